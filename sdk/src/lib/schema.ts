// The schemas the tool and structured-output helpers accept. Either a Standard Schema validator that
// can also describe itself as JSON Schema (zod ≥ 4.2, valibot with its JSON Schema converter,
// ArkType, or `jsonSchema()` from `@petrel/sdk/json-schema`): it is sent as JSON Schema, checks what
// comes back, and types it. Or a plain JSON Schema object: sent as is, and what comes back is only
// JSON-parsed (typed `unknown`). The interfaces are written here from the Standard Schema spec
// (standardschema.dev) so the SDK needs no package for them.

/** A JSON Schema document, as sent in `parameters` and `response_format.json_schema.schema`. */
export type JSONSchema = { [key: string]: unknown };

/** One problem a validator found; `path` leads to the value inside the checked object. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<SchemaIssue> };

/** The parts of a Standard Schema (v1) and of Standard JSON Schema that the SDK uses. */
export interface StandardSchema<Output = unknown> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
    readonly jsonSchema?:
      | {
          readonly input: (options: { readonly target: string }) => Record<string, unknown>;
          readonly output?: (options: { readonly target: string }) => Record<string, unknown>;
        }
      | undefined;
  };
}

export type SchemaLike = StandardSchema<unknown> | JSONSchema;

/** What a schema produces: the validator's output type, or `unknown` for plain JSON Schema. */
export type Infer<S> = S extends StandardSchema<infer Output> ? Output : unknown;

const isStandard = (schema: SchemaLike): schema is StandardSchema<unknown> => "~standard" in schema;

/** The JSON Schema to put on the wire. */
export function toJSONSchema(schema: SchemaLike): JSONSchema {
  if (!isStandard(schema)) return schema;
  const convert = schema["~standard"].jsonSchema;
  if (!convert) throw new TypeError("The schema has no JSON Schema converter (Standard JSON Schema)");
  // The output side where there is one: every field present, no extra keys (zod marks objects
  // `additionalProperties: false`), which is what strict structured outputs require and a valid input.
  const { $schema: _dialect, ...rest } = (convert.output ?? convert.input)({ target: "draft-2020-12" });
  return rest;
}

/** Checks `value` against the schema: the typed value, or the issues found. */
export async function check<S extends SchemaLike>(
  schema: S,
  value: unknown,
): Promise<{ value: Infer<S>; issues?: undefined } | { issues: readonly SchemaIssue[] }> {
  if (!isStandard(schema)) return { value: value as Infer<S> };
  const result = await schema["~standard"].validate(value);
  return result.issues ? { issues: result.issues } : { value: result.value as Infer<S> };
}

/** `path.to.field: message; …`, for error messages. */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}
