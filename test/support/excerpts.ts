// Code excerpts in the docs that cannot drift from the code they show.
//
// A fenced block in a Markdown file is tied to its source by an HTML comment on the line
// before the fence:
//
//   <!-- source: src/db/transaction.ts#runTransaction -->
//   <!-- source: migrations/0001_movr_tables.sql#users -->
//   <!-- source: src/users/user.table.ts -->
//
// `path#name` in a TypeScript file is the top-level declaration `name` (function, const, class,
// interface, type, enum; exported or not) with the comment right above it; in a SQL file it is
// the CREATE (or ALTER) statement that names `name`; a bare path is the whole file.
import { readFileSync } from "node:fs";
import path from "node:path";

export interface Excerpt {
  /** The Markdown file, relative to the project root. */
  doc: string;
  /** 1-based line of the `<!-- source: … -->` comment. */
  line: number;
  /** What the comment names, e.g. `src/db/transaction.ts#runTransaction`. */
  reference: string;
  /** The block's text as it stands in the doc (without the fences). */
  shown: string;
  /** Line indexes (0-based) of the block's first and last content lines, for rewriting. */
  bodyStart: number;
  bodyEnd: number;
}

const SOURCE_COMMENT = /^<!--\s*source:\s*(\S+)\s*-->\s*$/;

/** Every `<!-- source: … -->` excerpt in one Markdown text. Throws when a comment has no fence. */
export function findExcerpts(doc: string, markdown: string): Excerpt[] {
  const lines = markdown.split("\n");
  const found: Excerpt[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = SOURCE_COMMENT.exec(lines[i] ?? "");
    if (!m?.[1]) continue;
    // The formatter may put a blank line between the comment and the fence.
    let open = i + 1;
    while ((lines[open] ?? "x").trim() === "" && open < lines.length) open++;
    const fence = /^(`{3,}|~{3,})/.exec(lines[open] ?? "");
    if (!fence?.[1]) throw new Error(`${doc}:${i + 1}: a source comment must be followed by a fenced block`);
    let end = open + 1;
    while (end < lines.length && !(lines[end] ?? "").startsWith(fence[1])) end++;
    if (end >= lines.length) throw new Error(`${doc}:${i + 1}: the fenced block never closes`);
    found.push({
      doc,
      line: i + 1,
      reference: m[1],
      shown: lines.slice(open + 1, end).join("\n"),
      bodyStart: open + 1,
      bodyEnd: end - 1,
    });
  }
  return found;
}

/** The text a reference names, read from the project at `root`. Throws when it is not found. */
export function extract(root: string, reference: string): string {
  const [file, name] = reference.split("#", 2) as [string, string | undefined];
  const text = readFileSync(path.join(root, file), "utf8").replace(/\n+$/, "");
  if (!name) return text;
  return file.endsWith(".sql") ? sqlStatement(text, name, reference) : declaration(text, name, reference);
}

function sqlStatement(text: string, name: string, reference: string): string {
  const lines = text.split("\n");
  const named = new RegExp(`^\\s*(CREATE|ALTER)\\b.*\\b${escape(name)}\\b`, "i");
  const start = lines.findIndex((l) => named.test(l));
  if (start < 0) throw new Error(`${reference}: no CREATE statement names ${name}`);
  let end = start;
  while (end < lines.length && !/;\s*$/.test(lines[end] ?? "")) end++;
  return lines.slice(start, end + 1).join("\n");
}

function declaration(text: string, name: string, reference: string): string {
  const lines = text.split("\n");
  const decl = new RegExp(
    `^(export )?(declare )?(async )?(function\\*?|const|let|class|interface|type|enum) ${escape(name)}\\b`,
  );
  let start = lines.findIndex((l) => decl.test(l));
  if (start < 0) throw new Error(`${reference}: no top-level declaration named ${name}`);
  let end = start;
  const first = lines[start] ?? "";
  if (!(/;\s*$/.test(first) && balanced(first))) {
    // Prettier puts the closing bracket of a top-level declaration in column 0.
    end = start + 1;
    // (`}: Deps): Promise<T> {` closes a parameter list, not the declaration: it opens the body.)
    while (end < lines.length && !closesDeclaration(lines[end] ?? "") && !endsTypeUnion(lines, end)) end++;
    if (end >= lines.length) throw new Error(`${reference}: cannot find where ${name} ends`);
  }
  // Take the comment right above the declaration with it.
  while (start > 0 && /^(\/\/|\/\*\*|\s*\*)/.test(lines[start - 1] ?? "")) start--;
  return lines.slice(start, end + 1).join("\n");
}

function closesDeclaration(line: string): boolean {
  return /^[})\]]/.test(line) && !/[{([]\s*$/.test(line);
}

function endsTypeUnion(lines: string[], i: number): boolean {
  // `type X =\n  | "a"\n  | "b";` ends on an indented line with a semicolon and a blank line after.
  return (
    /^\s+.*;\s*$/.test(lines[i] ?? "") && (lines[i + 1] ?? "").trim() === "" && /^\s+\|/.test(lines[i] ?? "")
  );
}

function balanced(line: string): boolean {
  let depth = 0;
  for (const c of line) {
    if ("({[".includes(c)) depth++;
    else if (")}]".includes(c)) depth--;
  }
  return depth === 0;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The Markdown text with every excerpt replaced by its source's current text. */
export function syncExcerpts(root: string, doc: string, markdown: string): string {
  const lines = markdown.split("\n");
  // From the last excerpt to the first, so earlier line numbers stay valid.
  for (const e of findExcerpts(doc, markdown).reverse()) {
    // One element holding newlines joins back to the same lines.
    lines.splice(e.bodyStart, e.bodyEnd - e.bodyStart + 1, extract(root, e.reference));
  }
  return lines.join("\n");
}

export interface Link {
  doc: string;
  line: number;
  target: string;
}

/** Relative links (`[text](target)`) in one Markdown text; web and mail links are left out. */
export function relativeLinks(doc: string, markdown: string): Link[] {
  const links: Link[] = [];
  let inFence = false;
  markdown.split("\n").forEach((text, i) => {
    if (/^(`{3,}|~{3,})/.test(text)) inFence = !inFence;
    if (inFence) return;
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] ?? "";
      if (/^(https?:|mailto:)/.test(target)) continue;
      links.push({ doc, line: i + 1, target });
    }
  });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^(`{3,}|~{3,})/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m?.[1]) continue;
    const slug = m[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    let unique = slug;
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`;
    anchors.add(unique);
  }
  return anchors;
}
