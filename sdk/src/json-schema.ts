// `@petrel/sdk/json-schema`: a plain JSON Schema made into a checked schema for `responseFormat()`
// and `defineTool()`, validated by @cfworker/json-schema (runs wherever the SDK runs, compiles no
// code at runtime, so it works in Workers). A separate entry, so the main bundle stays small.
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import type { JSONSchema, SchemaIssue, StandardSchema } from "./lib/schema.js";

export type JSONSchemaDraft = "4" | "7" | "2019-09" | "2020-12";

/** `/a~1b/0` → ["a/b", "0"] (RFC 6901, as the validator writes locations, after its `#`). */
const pointerPath = (location: string): string[] =>
  location
    .replace(/^#/, "")
    .split("/")
    .slice(1)
    .map((part) => decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~"));

/**
 * The validator reports each failure together with the keywords that contain it ("Property "city"
 * does not match schema" above "Expected string"); keep only the innermost, and not `false` schemas
 * (their parent, e.g. additionalProperties, says which property).
 */
function issuesOf(errors: readonly OutputUnit[]): SchemaIssue[] {
  return errors
    .filter(
      (unit) =>
        unit.keyword !== "false" &&
        !errors.some((other) => other.keywordLocation.startsWith(`${unit.keywordLocation}/`)),
    )
    .map((unit) => ({ message: unit.error, path: pointerPath(unit.instanceLocation) }));
}

/**
 * Wraps a JSON Schema so the SDK checks values against it; `T` is the type you promise it describes.
 *
 *     const Weather = jsonSchema<{ city: string; celsius: number }>({ type: "object", … });
 *     responseFormat(Weather, "weather");
 */
export function jsonSchema<T = unknown>(
  schema: JSONSchema,
  draft: JSONSchemaDraft = "2020-12",
): StandardSchema<T> & { readonly schema: JSONSchema } {
  const validator = new Validator(schema as ConstructorParameters<typeof Validator>[0], draft, false);
  return {
    schema,
    "~standard": {
      version: 1,
      vendor: "@petrel/sdk/json-schema",
      validate(value: unknown) {
        const result = validator.validate(value);
        return result.valid ? { value: value as T } : { issues: issuesOf(result.errors) };
      },
      jsonSchema: { input: () => schema },
    },
  };
}

export type { JSONSchema, SchemaIssue, StandardSchema } from "./lib/schema.js";
