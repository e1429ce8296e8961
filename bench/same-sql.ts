// Checks that a baseline issues MovR's own statements: both sides run briefly in this process
// with every statement sent through `pg` recorded, and the baseline's texts that MovR neither
// sent then nor lists in its statement catalogue (test/sql/catalogue.txt, every statement of
// every repository function) are listed. Transaction control (BEGIN, COMMIT, ROLLBACK) and `select 1` are left out: how
// many of those each side sends is the point of the comparison, not a difference in SQL.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT } from "../src/config.ts";

const CONTROL = /^(begin|commit|rollback|select 1)\b/i;
const normalize = (text: string) => text.replace(/\s+/g, " ").trim();

/** The distinct statement texts `fn` sends through any pg.Client (a pool's too). */
export async function capturedStatements(fn: () => Promise<unknown>): Promise<Set<string>> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const texts = new Set<string>();
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    const text = typeof q === "string" ? q : String((q as { text?: unknown } | null)?.text ?? "");
    if (text && !CONTROL.test(text.trim())) texts.add(normalize(text));
    return Reflect.apply(original, this, args); // a handful of driver arguments
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return texts;
}

/** The statements of MovR's catalogue (one line each, whitespace collapsed as here). */
export function catalogueStatements(): Set<string> {
  const file = path.join(PROJECT_ROOT, "test", "sql", "catalogue.txt");
  if (!existsSync(file)) return new Set();
  const lines = readFileSync(file, "utf8").split("\n");
  return new Set(lines.filter((l) => l.trim() && !l.startsWith("##")).map(normalize));
}

/** The baseline's statements MovR did not send; empty when the baseline issues only MovR's SQL. */
export function foreignStatements(movr: Set<string>, baseline: Set<string>): string[] {
  return [...baseline].filter((text) => !movr.has(text)).sort();
}
