// Results as aligned text tables, the way psql and `cockroach sql` print them.
import type { ShellResult } from "./connection.ts";
import { maxOf } from "../../shared/arrays.ts";

const NULL_TEXT = "NULL";

export function renderTable(fields: string[], rows: (string | null)[][]): string[] {
  const cells = rows.map((row) => fields.map((_, i) => (row[i] ?? NULL_TEXT).split("\n")));
  const widths = fields.map((f, i) =>
    maxOf(
      cells.map((row) => maxOf(row[i]!.map((line) => line.length))),
      f.length,
    ),
  );
  const out: string[] = [];
  out.push(` ${fields.map((f, i) => f.padEnd(widths[i]!)).join(" | ")}`.trimEnd());
  out.push(widths.map((w) => "-".repeat(w + 2)).join("+"));
  for (const row of cells) {
    const height = maxOf(
      row.map((c) => c.length),
      1,
    );
    for (let h = 0; h < height; h++) {
      out.push(` ${row.map((c, i) => (c[h] ?? "").padEnd(widths[i]!)).join(" | ")}`.trimEnd());
    }
  }
  out.push(`(${rows.length} ${rows.length === 1 ? "row" : "rows"})`);
  return out;
}

/** The command tag for a statement without rows: "INSERT 3", "CREATE TABLE", "SET". */
export function commandTag(sql: string, affected: number | null): string {
  const words = sql
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .trim()
    .split(/\s+/)
    .map((w) => w.toUpperCase());
  const first = words[0] ?? "";
  const twoWords = ["CREATE", "DROP", "ALTER"].includes(first);
  let tag = twoWords ? `${first} ${words[1] === "UNIQUE" ? "INDEX" : (words[1] ?? "")}`.trim() : first;
  if (["INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "COPY"].includes(first) && affected !== null) {
    tag += ` ${affected}`;
  }
  return tag;
}

export function renderResult(sql: string, r: ShellResult): string[] {
  if (r.fields.length === 0) return [commandTag(sql, r.affected)];
  return renderTable(r.fields, r.rows);
}
