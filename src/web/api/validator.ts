// The API's schema compilers. Fastify's default Ajv coerces types everywhere, which would
// accept `{"lat": "5"}` or `{"name": 123}`; a JSON body must carry the right types, so bodies
// are checked without coercion. Path and query values are always strings and are coerced.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({
    useDefaults: true,
    removeAdditional: false,
    addUsedSchema: false,
    // allErrors lets one request make the validator do unbounded work.
    allErrors: false,
    ...options,
  });
  ajv.addFormat("uuid", UUID_RE);
  ajv.addFormat("email", EMAIL_RE);
  ajv.addFormat("date-time", DATE_TIME_RE);
  // Annotations used only by the OpenAPI document.
  ajv.addKeyword("example");
  return ajv;
}

const strict = makeAjv({ coerceTypes: false });
const coercing = makeAjv({ coerceTypes: "array" });

/** What a number in a path or query string may look like: Ajv coerces as Number() reads, so " 5", "0x10", "1e1" and "+5" would pass. */
const NUMERIC_TEXT = { integer: /^-?\d+$/, number: /^-?\d+(?:\.\d+)?$/ } as const;

/** The properties of a path or query schema that are numbers, and the notation each must be in. */
function numericProperties(schema: unknown): [string, RegExp][] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties).flatMap(([name, p]): [string, RegExp][] =>
    p.type === "integer" || p.type === "number" ? [[name, NUMERIC_TEXT[p.type]]] : [],
  );
}

/** The first numeric field of `data` not written in decimal notation, as Ajv would report it. */
function notationError(data: unknown, numeric: [string, RegExp][]): ErrorObject | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  for (const [name, re] of numeric) {
    const raw: unknown = (data as Record<string, unknown>)[name];
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    if (values.some((v) => typeof v === "string" && !re.test(v))) {
      const type = re === NUMERIC_TEXT.integer ? "integer" : "number";
      return {
        instancePath: `/${name}`,
        schemaPath: `#/properties/${name}/type`,
        keyword: "type",
        params: { type },
        message: `must be ${type}`,
      };
    }
  }
  return undefined;
}

/**
 * Each validator is compiled by Ajv when its route first validates a request, not when the server
 * starts: compiling the API's 22 schemas took 0.1-0.5 s of a start that serves /readyz before
 * any of them is needed (issue 8's restart goal, ADR 023). test/web/api-schemas.test.ts compiles
 * every one of them, so a schema Ajv refuses still fails a test rather than a first request.
 */
export const apiValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === "body" ? strict : coercing;
  let validate: ValidateFunction | undefined;
  const numeric = httpPart === "body" ? [] : numericProperties(schema);
  const explained = (data: unknown): boolean => {
    const refused = notationError(data, numeric);
    if (refused) {
      explained.errors = [refused];
      return false;
    }
    validate ??= ajv.compile(schema as object);
    const ok = validate(data);
    explained.errors = validate.errors;
    return ok as boolean;
  };
  explained.errors = null as ValidateFunction["errors"];
  return explained;
};
