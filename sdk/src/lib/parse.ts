// Structured output: `responseFormat(schema, name)` builds the `json_schema` response format and keeps
// the schema with it (under a symbol, so it never reaches the wire), and `parseCompletion` turns each
// choice's text into `message.parsed`, checked by that schema.
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionCreateParams,
  ChatCompletionMessage,
  ResponseFormatJSONSchema,
} from "../types.js";
import { StructuredOutputError } from "./output-errors.js";
import { check, type Infer, type SchemaLike, toJSONSchema } from "./schema.js";

const SCHEMA = Symbol("petrel.schema");

/** A `json_schema` response format that `parse()` checks the answer against, typed as `T`. */
export type ParsingResponseFormat<T> = ResponseFormatJSONSchema & {
  readonly [SCHEMA]: SchemaLike;
  /** Type-level only: what the parsed answer is. */
  readonly __output?: T;
};

export interface ResponseFormatOptions {
  description?: string;
  /** Ask the server to enforce the schema (default true). */
  strict?: boolean;
}

/** `response_format` for an answer that follows `schema`; `name` identifies it to the model. */
export function responseFormat<S extends SchemaLike>(
  schema: S,
  name: string,
  options: ResponseFormatOptions = {},
): ParsingResponseFormat<Infer<S>> {
  const { description, strict = true } = options;
  const json_schema = { name, description, schema: toJSONSchema(schema), strict };
  return { type: "json_schema", json_schema, [SCHEMA]: schema };
}

/**
 * What `parse()` returns for a request: the schema's type with `responseFormat()`, `unknown` for a
 * plain `json_schema` or `json_object` format (JSON-parsed, not checked), otherwise `null`.
 */
export type ParsedOutput<P> = P extends { response_format: ParsingResponseFormat<infer T> }
  ? T
  : P extends { response_format: { type: "json_schema" | "json_object" } }
    ? unknown
    : null;

export type ParsedChatCompletionMessage<T> = ChatCompletionMessage & { parsed: T | null };
export type ParsedChatCompletionChoice<T> = ChatCompletionChoice & {
  message: ParsedChatCompletionMessage<T>;
};
export type ParsedChatCompletion<T> = Omit<ChatCompletion, "choices"> & {
  choices: ParsedChatCompletionChoice<T>[];
};

/**
 * Sets `message.parsed` on every choice (in place, so the completion keeps its `_request_id`). A
 * refusal, or a message without text (tool calls), parses to null; a JSON format whose answer
 * stopped early, is not JSON, or breaks the schema throws a StructuredOutputError.
 */
export async function parseCompletion<T>(
  completion: ChatCompletion,
  params: Pick<ChatCompletionCreateParams, "response_format">,
): Promise<ParsedChatCompletion<T>> {
  for (const choice of completion.choices)
    (choice.message as ParsedChatCompletionMessage<unknown>).parsed = await parseChoice(
      choice,
      completion,
      params,
    );
  return completion as ParsedChatCompletion<T>;
}

async function parseChoice(
  choice: ChatCompletionChoice,
  completion: ChatCompletion,
  { response_format: format }: Pick<ChatCompletionCreateParams, "response_format">,
): Promise<unknown> {
  const { content, refusal } = choice.message;
  if (!format || format.type === "text" || refusal || content === null) return null;
  const reason = choice.finish_reason;
  if (reason === "length" || reason === "content_filter")
    throw new StructuredOutputError(reason, content, completion);
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    throw new StructuredOutputError("json", content, completion);
  }
  const schema = (format as Partial<ParsingResponseFormat<unknown>>)[SCHEMA];
  if (!schema) return value;
  const result = await check(schema, value);
  if (result.issues) throw new StructuredOutputError("schema", content, completion, result.issues);
  return result.value;
}
