// A grammar guarantees the shape, not an end: inside an unbounded string a small model at
// temperature 1 rarely samples the closing quote, and runs into max_tokens with invalid JSON (measured
// on petrel-mini v1, 256-token context: 0 of 40 seeded runs valid, all finish_reason "length"). So the
// engine compiles a narrowed copy of each schema: strings without a pattern, format, enum or const
// that already shape them get a pattern of plain characters with a maximum length, arrays without a maxItems get one, sized
// from the model's context, and integers without bounds get ±999,999,999 (digits are single tokens and
// run on too; `number` fractions have no such bound in XGrammar and stay open). Every output of the narrowed schema is valid against the original one.
import type { GrammarSpec, JsonSchema } from "./types.js";

export interface GrammarBounds {
  maxStringLength: number;
  maxItems: number;
  /** Integers without bounds get [−maxInteger, maxInteger]. */
  maxInteger: number;
  /** Parallel tool calls in one turn: a model that never learned to stop would chain them to the limit. */
  maxCalls: number;
}

/**
 * Bounds that let a few fields fit in the context: 4 items, and 32 characters at 256 tokens or more
 * (16 to 32 below). They stay fixed above 256 tokens: a schema with a string and an array of
 * strings already needs (1 + items) × maxLength characters, which must fit beside the prompt.
 * Parallel tool calls: one per 128 tokens of context (2 at 256, 4 at 512).
 */
export function boundsForContext(contextLength: number): GrammarBounds {
  return {
    maxStringLength: Math.min(32, Math.max(16, Math.floor(contextLength / 8))),
    maxItems: 4,
    maxInteger: 999_999_999,
    maxCalls: Math.max(1, Math.floor(contextLength / 128)),
  };
}

type Schema = Record<string, unknown>;
const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const nested = ["properties", "patternProperties", "$defs", "definitions"];
const lists = ["anyOf", "oneOf", "allOf", "prefixItems"];
const single = ["items", "additionalProperties", "propertyNames"];

function typesOf(schema: Schema): unknown[] {
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

export function boundSchema(schema: JsonSchema, bounds: GrammarBounds): JsonSchema {
  if (!isSchema(schema)) return schema;
  const out: Schema = { ...schema };
  for (const key of nested) {
    if (isSchema(out[key])) {
      out[key] = Object.fromEntries(
        Object.entries(out[key] as Schema).map(([name, sub]) => [
          name,
          boundSchema(sub as JsonSchema, bounds),
        ]),
      );
    }
  }
  for (const key of lists) {
    if (Array.isArray(out[key])) out[key] = (out[key] as JsonSchema[]).map((sub) => boundSchema(sub, bounds));
  }
  for (const key of single) {
    if (isSchema(out[key])) out[key] = boundSchema(out[key] as JsonSchema, bounds);
  }
  const types = typesOf(out);
  const shaped = ["pattern", "format", "enum", "const"].some((k) => k in out);
  if (types.includes("string") && !shaped) out.pattern = plainText(out, bounds);
  // digits are one token each here too: an unbounded integer can run on just like a string
  if (types.length === 1 && types[0] === "integer" && !shaped) {
    if (!("minimum" in out) && !("exclusiveMinimum" in out)) out.minimum = -bounds.maxInteger;
    if (!("maximum" in out) && !("exclusiveMaximum" in out)) out.maximum = bounds.maxInteger;
  }
  if (types.includes("array") && !("maxItems" in out)) {
    out.maxItems = Math.max(bounds.maxItems, Number(out.minItems ?? 0));
  }
  return out;
}

/**
 * A free string as a pattern: at most maxLength characters (the bound where the schema sets none), and
 * no control character, quote or backslash. XGrammar's own string rule lets raw control characters
 * other than CR and LF through, which JSON parsers refuse (seen at temperature 1 on tiny-random).
 */
function plainText(schema: Schema, bounds: GrammarBounds): string {
  const min = Number(schema.minLength ?? 0);
  const max =
    schema.maxLength === undefined ? Math.max(bounds.maxStringLength, min) : Number(schema.maxLength);
  return `^[^\\x00-\\x1f"\\\\]{${min},${max}}$`;
}

/** json_object as a bounded schema: any object whose keys and string values are bounded, nesting two deep. */
function boundedObject(bounds: GrammarBounds): Schema {
  const key = { type: "string" };
  const scalar = { type: ["string", "number", "boolean", "null"] };
  const inner = {
    type: "object",
    propertyNames: key,
    additionalProperties: scalar,
    maxProperties: bounds.maxItems,
  };
  const value = {
    anyOf: [scalar, { type: "array", items: scalar }, inner],
  };
  return boundSchema(
    { type: "object", propertyNames: key, additionalProperties: value, maxProperties: bounds.maxItems },
    bounds,
  ) as Schema;
}

/** The spec the runtime compiles: the same language, narrowed to end within the context. */
export function boundSpec(spec: GrammarSpec, bounds: GrammarBounds): GrammarSpec {
  if (spec.kind === "json_schema") return { kind: "json_schema", schema: boundSchema(spec.schema, bounds) };
  if (spec.kind === "json_object") return { kind: "json_schema", schema: boundedObject(bounds) };
  const tools = spec.tools.map((t) => ({ ...t, parameters: boundSchema(t.parameters, bounds) }));
  return { ...spec, tools, maxCalls: spec.parallel ? bounds.maxCalls : 1 };
}
