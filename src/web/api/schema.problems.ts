// What a JSON-schema refusal says to a person: one plain problem per Ajv keyword, following the
// field's name ("body.username may use letters, ..."). Ajv's own messages quote regular
// expressions and schema words ("must match pattern \"^ *[a-z]+ *$\"", "must match format uuid"),
// which tell a caller nothing they can act on. Problems read as the services' own sentences
// (src/shared/validation.ts), so the API and the pages refuse a value with the same words.
import { MULTILINE_TEXT_PATTERN, TEXT_PATTERN, TEXT_PROBLEM } from "../../shared/text.ts";
import { CURSOR_PATTERN, PROMO_CODE_PATTERN, USERNAME_PATTERN } from "./schemas.ts";

/** The part of an Ajv error a problem is made of. */
export interface SchemaRefusal {
  keyword: string;
  params?: Record<string, unknown>;
}

/** Each `pattern` of the schemas, as a sentence; a pattern not here gets a generic one. */
const PATTERN_PROBLEMS: Record<string, string> = {
  [TEXT_PATTERN]: TEXT_PROBLEM,
  [MULTILINE_TEXT_PATTERN]: TEXT_PROBLEM,
  [USERNAME_PATTERN]: "may use letters, digits, '.', '_' and '-' only",
  [PROMO_CODE_PATTERN]: "may use letters, digits, '_' and '-' only",
  [CURSOR_PATTERN]: "is not a cursor this server gave out",
};

const FORMAT_PROBLEMS: Record<string, string> = {
  uuid: "must be a UUID",
  email: "is not an email address",
  "date-time": "must be a date and time such as 2026-01-31T12:00:00Z",
};

const TYPE_NAMES: Record<string, string> = {
  string: "text",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  null: "null",
};

const typeNames = (type: unknown): string => {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(",");
  return types.map((t) => TYPE_NAMES[t] ?? t).join(" or ");
};

const count = (n: unknown, unit: string): string => `${String(n)} ${unit}${n === 1 ? "" : "s"}`;

/**
 * The problem with one refused value, to follow the field's name: a sentence fragment without
 * regular expressions or schema vocabulary, e.g. "must be a UUID", "is required". Never throws.
 */
export function problemOf(refusal: SchemaRefusal): string {
  const p = refusal.params ?? {};
  switch (refusal.keyword) {
    case "pattern":
      return PATTERN_PROBLEMS[String(p.pattern)] ?? "is not in the form this field takes";
    case "format":
      return FORMAT_PROBLEMS[String(p.format)] ?? "is not in the form this field takes";
    case "type":
      return `must be ${typeNames(p.type)}`;
    case "enum": {
      const allowed = Array.isArray(p.allowedValues) ? p.allowedValues.filter((v) => v !== null) : [];
      return allowed.length > 0
        ? `must be one of ${allowed.map(String).join(", ")}`
        : "is not an allowed value";
    }
    case "const":
      return `must be ${String(p.allowedValue)}`;
    case "minLength":
      return p.limit === 1 ? "must not be empty" : `must be at least ${count(p.limit, "character")}`;
    case "maxLength":
      return `must be at most ${count(p.limit, "character")}`;
    case "minimum":
      return `must be at least ${String(p.limit)}`;
    case "maximum":
      return `must be at most ${String(p.limit)}`;
    case "exclusiveMinimum":
      return `must be greater than ${String(p.limit)}`;
    case "exclusiveMaximum":
      return `must be less than ${String(p.limit)}`;
    case "multipleOf":
      return `must be a multiple of ${String(p.multipleOf)}`;
    case "minItems":
      return `must have at least ${count(p.limit, "item")}`;
    case "maxItems":
      return `must have at most ${count(p.limit, "item")}`;
    case "uniqueItems":
      return "must not repeat an item";
    case "required":
      return "is required";
    case "additionalProperties":
      return "is not a field this request takes";
    case "minProperties":
    case "maxProperties":
      return `must have ${refusal.keyword === "minProperties" ? "at least" : "at most"} ${count(p.limit, "field")}`;
    default:
      return "is not valid here";
  }
}
