// The wire types, generated from openapi/openapi.yaml by `npm run gen`, under the names the code uses.
// The HTTP layer validates a request against the contract once; from there the same types travel
// through security and the gateway to every backend, and chunks travel back the same way.
import type { components } from "../generated/openapi.js";

type Schemas = components["schemas"];

export type ChatCompletionRequest = Schemas["ChatCompletionRequest"];
export type ChatMessage = Schemas["ChatMessage"];
export type MessageContent = Schemas["MessageContent"];
export type FunctionTool = Schemas["FunctionTool"];
export type MessageToolCall = Schemas["MessageToolCall"];

export type ChatCompletion = Schemas["ChatCompletion"];
export type ChatCompletionMessage = Schemas["ChatCompletionMessage"];
export type ChatCompletionChunk = Schemas["ChatCompletionChunk"];
export type ChatCompletionChunkChoice = Schemas["ChatCompletionChunkChoice"];
export type ChatCompletionDelta = Schemas["ChatCompletionDelta"];
export type ToolCallDelta = Schemas["ToolCallDelta"];
export type FinishReason = Schemas["FinishReason"];
export type TokenLogprob = Schemas["TokenLogprob"];
export type Usage = Schemas["Usage"];

export type Model = Schemas["Model"];
export type ModelList = Schemas["ModelList"];
export type Health = Schemas["Health"];
export type ErrorBody = Schemas["Error"];
