// The one rule for text that comes in (API fields, form fields, query strings, CLI arguments):
// well-formed Unicode without control characters, its length counted in characters. The JSON
// schemas publish TEXT_PATTERN, the form and CLI parsers and the services test the same regular
// expression, so every edge refuses the same values with the same sentence.
// Why: PostgreSQL refuses U+0000 in text (SQLSTATE 22021) and unpaired surrogates in JSONB
// (22P05), and stores an unpaired surrogate in a VARCHAR as U+FFFD, a different value; control
// characters have no place in a name, an address or a code; nor have the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder the text shown
// after them ("Trojan Source", CVE-2021-42574): a name with U+202E turned the "@username" beside
// it backwards on the pages. Marks (U+200E, U+200F) reorder nothing and stay. See docs/decisions/012.

/**
 * ECMA-262 pattern (with the `u` flag, as Ajv compiles every `pattern`): no character of the
 * Unicode categories Cc (U+0000–U+001F, U+007F–U+009F) or Cs (a UTF-16 surrogate not in a pair),
 * and no bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069).
 */
export const TEXT_PATTERN = "^[^\\p{Cc}\\p{Cs}\\u202A-\\u202E\\u2066-\\u2069]*$";

/** The characters TEXT_PATTERN refuses, as a character class's contents. */
const REFUSED_CHARACTERS = TEXT_PATTERN.slice(3, -3);

/** The same, but tab, line feed and carriage return are allowed (SQL statements, multi-line text). */
export const MULTILINE_TEXT_PATTERN = `^(?:[^${REFUSED_CHARACTERS}]|[\\t\\n\\r])*$`;

const TEXT_RE = new RegExp(TEXT_PATTERN, "u");
const MULTILINE_TEXT_RE = new RegExp(MULTILINE_TEXT_PATTERN, "u");

/** What is wrong with a value the rule refuses; follows the field's name in messages. */
export const TEXT_PROBLEM =
  "must not contain control characters, bidirectional overrides or unpaired UTF-16 surrogates";

/** True when `value` may be stored and shown: no control characters, bidirectional overrides or unpaired surrogates. */
export function isText(value: string, options: { multiline?: boolean } = {}): boolean {
  return (options.multiline ? MULTILINE_TEXT_RE : TEXT_RE).test(value);
}

/**
 * Characters (Unicode code points) in `value`, the unit JSON Schema's `maxLength` counts
 * (RFC 8259 strings; Ajv's default `unicode: true`): an emoji is 1, not its 2 UTF-16 units.
 */
export function characterCount(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** At most `max` characters of `value`, never cutting a surrogate pair in two. */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = 0;
  for (let n = 0; n < max && end < value.length; n++) {
    const unit = value.charCodeAt(end);
    const next = value.charCodeAt(end + 1);
    end += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return value.slice(0, end);
}

/**
 * `text` with every character the text rule refuses written as an escape (`\n`, `\t`, `\r`,
 * `\u001b`): for one line on a terminal that quotes what someone typed. A value's escape
 * sequences would otherwise recolour or clear the terminal, and its line breaks split the line.
 */
export function printable(text: string): string {
  return text.replace(new RegExp(`[${REFUSED_CHARACTERS}]`, "gu"), (c) => {
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    if (c === "\r") return "\\r";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
