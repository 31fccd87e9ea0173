// What XGrammar (web build 0.1.27) cannot honour, checked before it sees a schema. Two kinds:
// keywords it silently ignores (an output could then break the schema: rejected here rather than
// promised and not kept), and contradictions it does not report but aborts on (an abort costs a fresh
// wasm instance, see xgrammar.ts). tests/grammar/schema-support.test.ts shows each ignored keyword
// being ignored, so an XGrammar upgrade that starts honouring one shows up there.
import type { JsonSchema } from "../engine/index.js";

type Schema = Record<string, unknown>;

const ignoredKeywords = [
  "multipleOf",
  "uniqueItems",
  "contains",
  "minContains",
  "maxContains",
  "not",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "dependentRequired",
];
const schemaMaps = ["properties", "patternProperties", "$defs", "definitions"];
const schemaLists = ["anyOf", "oneOf", "allOf", "prefixItems"];
const schemaValues = ["items", "additionalProperties", "propertyNames", "unevaluatedProperties"];

const isSchema = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The first problem found, as a sentence naming where in the schema; undefined when none. */
export function unsupportedSchemaPart(schema: JsonSchema | unknown, path = "#"): string | undefined {
  if (schema === false && path === "#") return "the schema `false` accepts no value";
  if (typeof schema === "boolean") return undefined;
  if (!isSchema(schema)) return `${path} is not a schema (an object or a boolean)`;
  const own = ownProblem(schema, path);
  if (own) return own;
  for (const [key, value] of Object.entries(schema)) {
    const inner = subschemas(key, value).map(([at, sub]) =>
      unsupportedSchemaPart(sub, `${path}/${key}${at}`),
    );
    const found = inner.find((problem) => problem !== undefined);
    if (found) return found;
  }
  return undefined;
}

function subschemas(key: string, value: unknown): [string, unknown][] {
  if (schemaMaps.includes(key) && isSchema(value)) {
    return Object.entries(value).map(([name, sub]) => [
      `/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`,
      sub,
    ]);
  }
  if (schemaLists.includes(key) && Array.isArray(value)) return value.map((sub, i) => [`/${i}`, sub]);
  if (key === "items" && Array.isArray(value)) return value.map((sub, i) => [`/${i}`, sub]);
  if (schemaValues.includes(key) && (isSchema(value) || typeof value === "boolean")) return [["", value]];
  return [];
}

function ownProblem(schema: Schema, path: string): string | undefined {
  const ignored = ignoredKeywords.find((keyword) => keyword in schema);
  if (ignored) return `JSON Schema keyword "${ignored}" (at ${path}) is not supported`;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const integerOnly = types.length === 1 && types[0] === "integer";
  for (const bound of ["exclusiveMinimum", "exclusiveMaximum"]) {
    if (bound in schema && !integerOnly) {
      return `"${bound}" (at ${path}) is supported for "type": "integer" only`;
    }
  }
  for (const bound of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
    if (bound in schema && !Number.isInteger(schema[bound])) {
      return `"${bound}" (at ${path}) must be an integer`;
    }
  }
  for (const [low, high] of [
    ["minimum", "maximum"],
    ["minLength", "maxLength"],
    ["minItems", "maxItems"],
    ["minProperties", "maxProperties"],
  ] as const) {
    const [a, b] = [schema[low], schema[high]];
    if (typeof a === "number" && typeof b === "number" && a > b) {
      return `"${low}" is greater than "${high}" (at ${path}): no value fits`;
    }
  }
  return undefined;
}
