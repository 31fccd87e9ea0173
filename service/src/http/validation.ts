// Request validation derived from the contract: the generated copy of openapi/openapi.yaml is
// compiled once into a @cfworker/json-schema validator (no eval, so it runs in workerd).
// OpenAPI discriminators are annotations that JSON Schema ignores; a plain `oneOf` over five message
// roles reports five unrelated failures. We rewrite each discriminated `oneOf` into an enum on the
// discriminator plus `if/then` per mapping entry, so a bad message names the field that is wrong.
import { type OutputUnit, type Schema, Validator } from "@cfworker/json-schema";

export interface ValidationFailure {
  /** OpenAI-style path to the offending field, e.g. `messages[0].role`. */
  param: string;
  message: string;
  code:
    | "missing_required_parameter"
    | "invalid_type"
    | "invalid_value"
    | "string_above_max_length"
    | "array_above_max_length";
}

type Json = Record<string, unknown>;

/** Replaces `{oneOf, discriminator: {propertyName, mapping}}` with an equivalent that reports precisely. */
export function expandDiscriminators(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(expandDiscriminators);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) out[key] = expandDiscriminators(value);
  const discriminator = out.discriminator as { propertyName?: string; mapping?: Record<string, string> };
  if (!Array.isArray(out.oneOf) || !discriminator?.propertyName || !discriminator.mapping) return out;
  const { propertyName, mapping } = discriminator;
  const { oneOf: _oneOf, discriminator: _discriminator, ...rest } = out;
  return {
    ...rest,
    type: "object",
    required: [propertyName],
    properties: { [propertyName]: { type: "string", enum: Object.keys(mapping) } },
    allOf: Object.entries(mapping).map(([value, ref]) => ({
      if: { properties: { [propertyName]: { const: value } }, required: [propertyName] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: { $ref: ref },
    })),
  };
}

// Keywords that only say "something below failed"; the useful report is the leaf under them.
const WRAPPERS = new Set([
  "$ref",
  "properties",
  "items",
  "prefixItems",
  "additionalProperties",
  "oneOf",
  "anyOf",
  "allOf",
  "if",
  "then",
  "else",
  "not",
]);

function segmentsOf(unit: OutputUnit): string[] {
  const segments = unit.instanceLocation
    .replace(/^#\/?/, "")
    .split("/")
    .filter((s) => s !== "")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (unit.keyword === "required") {
    const missing = /property "(.+)"/.exec(unit.error)?.[1];
    if (missing) segments.push(missing);
  }
  return segments;
}

function formatParam(segments: string[]): string {
  return segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), "");
}

/** Picks one error to report: the first failing top-level field, at its deepest failing leaf. */
export function describeFailure(errors: OutputUnit[]): ValidationFailure {
  const leaves = errors.filter((e) => !WRAPPERS.has(e.keyword)).map((e) => ({ e, segments: segmentsOf(e) }));
  const first = leaves[0];
  if (!first) return { param: "", message: "The request body is invalid.", code: "invalid_value" };
  const sameField = leaves.filter((l) => l.segments[0] === first.segments[0]);
  // Deepest wins; at equal depth a constraint beats a type mismatch, which in a oneOf usually comes
  // from a branch the value was never meant for (e.g. `stop` as a string when it is an array).
  const rank = (l: (typeof leaves)[number]) => l.segments.length * 2 + (l.e.keyword === "type" ? 0 : 1);
  const deepest = sameField.reduce((best, l) => (rank(l) > rank(best) ? l : best));
  const param = formatParam(deepest.segments);
  if (deepest.e.keyword === "required") {
    return { param, message: `Missing required parameter: '${param}'.`, code: "missing_required_parameter" };
  }
  const tooLong = tooLongFailure(param, deepest.e);
  if (tooLong) return tooLong;
  const code = deepest.e.keyword === "type" ? "invalid_type" : "invalid_value";
  return { param, message: `Invalid value for '${param}': ${deepest.e.error}`, code };
}

/**
 * OpenAI's words for a string or array over its contract limit. The message states both lengths and
 * never the value: echoing a 500 KB string back is what the limit is there to prevent.
 */
function tooLongFailure(param: string, unit: OutputUnit): ValidationFailure | undefined {
  const counts = /\((\d+) > (\d+)\)/.exec(unit.error);
  if (!counts) return undefined;
  const [, got, max] = counts;
  if (unit.keyword === "maxLength") {
    const message = `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${got} instead.`;
    return { param, message, code: "string_above_max_length" };
  }
  if (unit.keyword === "maxItems") {
    const message = `Invalid '${param}': array too long. Expected an array with maximum length ${max}, but got an array with length ${got} instead.`;
    return { param, message, code: "array_above_max_length" };
  }
  return undefined;
}

export type RequestValidator = (body: unknown) => ValidationFailure | null;

/** Compiles a validator for `#/components/schemas/<schemaName>` of an OpenAPI 3.1 document. */
export function createSchemaValidator(
  document: { components?: unknown },
  schemaName: string,
): RequestValidator {
  const root = {
    components: expandDiscriminators(document.components),
    $ref: `#/components/schemas/${schemaName}`,
  } as Schema;
  const validator = new Validator(root, "2020-12", false);
  return (body) => {
    const result = validator.validate(body);
    return result.valid ? null : describeFailure(result.errors);
  };
}
