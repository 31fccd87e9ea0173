// Valid chat requests generated from the contract: the ChatCompletionRequest schema of
// openapi/openapi.yaml (read from disk) turned into fast-check arbitraries, keyword by keyword.
import fc from "fast-check";
import { openapi } from "../helpers/contract.js";

type Json = Record<string, unknown>;

const schemas = (openapi.components as Json).schemas as Json;
export const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: "binary-ascii", maxLength: 24 }),
);

function resolve(schema: Json): Json {
  const ref = schema.$ref;
  return typeof ref === "string" ? resolve(schemas[ref.split("/").pop() as string] as Json) : schema;
}

function scalar(type: string, s: Json): fc.Arbitrary<unknown> {
  if (type === "null") return fc.constant(null);
  if (type === "boolean") return fc.boolean();
  if (type === "string")
    return typeof s.pattern === "string" ? fc.stringMatching(new RegExp(s.pattern)) : text;
  const min = (s.minimum ?? s.exclusiveMinimum ?? -1e6) as number;
  const max = (s.maximum ?? min + 1e6) as number;
  if (type === "integer") return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: "exclusiveMinimum" in s });
}

/** A value valid under `schema` (a fragment of the contract). */
export function fromSchema(input: Json, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(input);
  const branches = (s.oneOf ?? s.anyOf) as Json[] | undefined;
  if (branches) return fc.oneof(...branches.map((b) => fromSchema(b, depth + 1)));
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t) => fromSchema({ ...s, type: t }, depth)));
  if (s.type === "array") {
    const items = s.items ? fromSchema(s.items as Json, depth + 1) : fc.jsonValue();
    const maxLength = Math.min((s.maxItems as number | undefined) ?? 3, 3);
    return fc.array(items, { minLength: (s.minItems as number | undefined) ?? 0, maxLength });
  }
  if (s.type === "object") {
    const props = (s.properties ?? {}) as Record<string, Json>;
    // A free-form object (a JSON Schema in `parameters`, `schema`): any small JSON object.
    if (Object.keys(props).length === 0 && s.additionalProperties === true)
      return fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
    if (Object.keys(props).length === 0 && s.additionalProperties) {
      const digits = fc.stringMatching(/^[0-9]{1,4}$/);
      return fc.dictionary(digits, fromSchema(s.additionalProperties as Json, depth + 1), { maxKeys: 3 });
    }
    const record = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromSchema(v, depth + 1)]));
    return fc.record(record, { requiredKeys: (s.required ?? []) as string[] });
  }
  return scalar(String(s.type), s);
}

const MODELS = ["petrel-mini", "petrel-mini", "petrel-mini", "petrel-large", "no-such-model"];

type Message = { role?: string; tool_call_id?: string; tool_calls?: { id: string }[] };

/**
 * What the schema cannot say (http/tool-checks.ts): `tool_choice` only with tools, a named choice
 * naming one of them, a tool message answering an earlier call. Fixed up so "valid" stays valid.
 */
function withConsistentTools(request: Json): Json {
  const out = { ...request };
  const names = ((out.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);
  if (names.length === 0) delete out.tool_choice;
  const choice = out.tool_choice as { function?: { name: string } } | undefined;
  if (choice?.function) out.tool_choice = { type: "function", function: { name: names[0] } };
  const calls = new Set<string>();
  out.messages = (out.messages as Message[]).filter((m) => {
    for (const call of m.role === "assistant" ? (m.tool_calls ?? []) : []) calls.add(call.id);
    return m.role !== "tool" || calls.has(m.tool_call_id ?? "");
  });
  if ((out.messages as Message[]).length === 0) out.messages = [{ role: "user", content: "hi" }];
  return out;
}

/** Valid requests from the contract; most name a served model and ask for few tokens. */
export const validRequest = fc
  .tuple(
    fromSchema(schemas.ChatCompletionRequest as Json),
    fc.constantFrom(...MODELS),
    fc.integer({ min: 1, max: 8 }),
  )
  .map(([request, model, maxTokens]) =>
    withConsistentTools({ ...(request as Json), model, max_tokens: maxTokens }),
  );
