// @petrel/sdk — a small, typed client for Petrel's OpenAI-compatible API. Runs wherever `fetch`
// exists: Node ≥20, browsers, Cloudflare Workers, Deno, Bun.
import { Petrel } from "./client.js";

export {
  type ClientOptions,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  Petrel,
} from "./client.js";
export { APIPromise, type WithResponse } from "./core/api-promise.js";
export {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  type ErrorObject,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  PetrelError,
  RateLimitError,
  UnprocessableEntityError,
} from "./core/errors.js";
export { retryDelayMs, shouldRetryResponse } from "./core/retry.js";
export { decodeSSE, type ServerSentEvent } from "./core/sse-decoder.js";
export { Stream } from "./core/stream.js";
export type { Fetch, HeaderMap, RequestOptions } from "./core/transport.js";
export { ChatCompletionAccumulator } from "./lib/chat-completion-accumulator.js";
export { ChatCompletionStream } from "./lib/chat-completion-stream.js";
export { type OutputFailure, StructuredOutputError } from "./lib/output-errors.js";
export {
  type ParsedChatCompletion,
  type ParsedChatCompletionChoice,
  type ParsedChatCompletionMessage,
  type ParsedOutput,
  type ParsingResponseFormat,
  type ResponseFormatOptions,
  responseFormat,
} from "./lib/parse.js";
export { ResponseStream, responseEvents, withOutputText } from "./lib/response-stream.js";
export type { Infer, JSONSchema, SchemaIssue, SchemaLike, StandardSchema } from "./lib/schema.js";
export type { InputItemListParams } from "./resources/responses/input-items.js";
export type * from "./types.js";

export default Petrel;
