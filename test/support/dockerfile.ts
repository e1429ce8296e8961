// Reads the repository's Dockerfile into instructions, and splits shell-like command lines, for
// tests that check deployment files against the code without Docker.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./server.ts";

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  args: string;
  /** The stage (FROM ... AS name) it belongs to. */
  stage: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
export function readDockerfile(file = path.join(ROOT, "Dockerfile")): Instruction[] {
  const joined = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  const out: Instruction[] = [];
  let stage = "";
  for (const line of joined.split("\n")) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim().replace(/\s+/g, " ");
    if (keyword === "FROM") stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? "";
    out.push({ keyword, args, stage });
  }
  return out;
}

/** Splits a command line as a POSIX shell would for plain words and '…' / "…" quoting. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? "") + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new Error(`unclosed quote in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** The `movr …` command lines of a Markdown file's fenced code blocks, continuations joined. */
export function movrCommandsOf(markdown: string): string[] {
  const commands: string[] = [];
  let inFence = false;
  for (const line of markdown.replace(/\\\n\s*/g, " ").split("\n")) {
    if (line.trimStart().startsWith("```")) {
      inFence = !inFence;
      continue;
    }
    const m = /^\s*(?:\$\s+)?(movr\s.*)$/.exec(line);
    if (inFence && m) commands.push(m[1]!.trim());
  }
  return commands;
}
