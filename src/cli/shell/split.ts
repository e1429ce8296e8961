// Splits SQL text into complete statements at semicolons outside quotes, dollar quotes and
// comments; what follows the last semicolon is kept for the next line (multi-line input).

export interface Split {
  statements: string[];
  rest: string;
}

export function splitStatements(text: string): Split {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      if (end === -1) break; // a comment runs to the end of the line
      i = end + 1;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) return { statements, rest: text.slice(start) };
      i = end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        const k = text.indexOf(c, j);
        if (k === -1) return { statements, rest: text.slice(start) };
        if (text[k + 1] === c) {
          j = k + 2; // doubled quote inside
          continue;
        }
        i = k + 1;
        break;
      }
    } else if (c === "$") {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        if (end === -1) return { statements, rest: text.slice(start) };
        i = end + tag[0].length;
      } else {
        i++;
      }
    } else if (c === ";") {
      const statement = text.slice(start, i).trim();
      if (stripComments(statement) !== "") statements.push(statement);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  return { statements, rest: text.slice(start) };
}

/** The text without `--` and block comments, trimmed (to tell empty statements apart). */
export function stripComments(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .trim();
}
