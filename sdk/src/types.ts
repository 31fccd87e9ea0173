// Public names for the wire types. Everything here derives from openapi/openapi.yaml through the
// generated file; the SDK adds only the streaming/non-streaming split that a schema cannot express.
import type { components } from "./generated/openapi.js";

type Schemas = components["schemas"];

export type ChatCompletionCreateParams = Schemas["ChatCompletionRequest"];
export type ChatCompletionCreateParamsStreaming = Omit<ChatCompletionCreateParams, "stream"> & {
  stream: true;
};
export type ChatCompletionCreateParamsNonStreaming = Omit<ChatCompletionCreateParams, "stream"> & {
  stream?: false | null;
};
export type ChatCompletionMessageParam = Schemas["ChatMessage"];
export type ChatCompletionSystemMessageParam = Schemas["SystemMessage"];
export type ChatCompletionDeveloperMessageParam = Schemas["DeveloperMessage"];
export type ChatCompletionUserMessageParam = Schemas["UserMessage"];
export type ChatCompletionAssistantMessageParam = Schemas["AssistantMessage"];
export type ChatCompletionToolMessageParam = Schemas["ToolMessage"];
export type ChatCompletion = Schemas["ChatCompletion"];
export type ChatCompletionChoice = Schemas["ChatCompletionChoice"];
export type ChatCompletionMessage = Schemas["ChatCompletionMessage"];
export type ChatCompletionChunk = Schemas["ChatCompletionChunk"];
export type ChatCompletionChunkChoice = Schemas["ChatCompletionChunkChoice"];
export type ChatCompletionDelta = Schemas["ChatCompletionDelta"];
export type ChoiceLogprobs = Schemas["ChoiceLogprobs"];
export type ChatCompletionTool = Schemas["FunctionTool"];
export type FunctionDefinition = Schemas["FunctionDefinition"];
export type ChatCompletionToolChoiceOption = NonNullable<ChatCompletionCreateParams["tool_choice"]>;
export type ChatCompletionNamedToolChoice = Schemas["NamedToolChoice"];
export type ChatCompletionMessageToolCall = Schemas["MessageToolCall"];
export type ChatCompletionChunkToolCall = Schemas["ToolCallDelta"];
export type ResponseFormat = Schemas["ResponseFormat"];
export type ResponseFormatJSONSchema = Schemas["ResponseFormatJsonSchema"];
export type ResponseFormatJSONObject = Schemas["ResponseFormatJsonObject"];
export type ResponseFormatText = Schemas["ResponseFormatText"];
export type FinishReason = Schemas["FinishReason"];
export type CompletionUsage = Schemas["Usage"];
export type Model = Schemas["Model"];
export type ModelList = Schemas["ModelList"];
export type ErrorResponse = Schemas["ErrorResponse"];

export type ResponseCreateParams = Schemas["ResponseCreateRequest"];
export type ResponseCreateParamsStreaming = Omit<ResponseCreateParams, "stream"> & { stream: true };
export type ResponseCreateParamsNonStreaming = Omit<ResponseCreateParams, "stream"> & {
  stream?: false | null;
};
export type ResponseInputItem = Schemas["ResponseInputItem"];
export type ResponseOutputItem = Schemas["ResponseOutputItem"];
export type ResponseOutputMessage = Schemas["ResponseOutputMessage"];
export type ResponseFunctionCall = Schemas["ResponseFunctionCall"];
export type ResponseFunctionTool = Schemas["ResponseFunctionTool"];
export type ResponseUsage = Schemas["ResponseUsage"];
export type ResponseStreamEvent = Schemas["ResponseStreamEvent"];
export type ResponseItem = Schemas["ResponseItem"];
export type ResponseItemList = Schemas["ResponseItemList"];
export type ResponseDeleted = Schemas["ResponseDeleted"];
/** A response as the client returns it: the wire object plus `output_text`, all its text joined. */
export type Response = Schemas["Response"] & { output_text: string };

/** Objects returned by the client carry the server's request id, as openai-node's do. */
export type WithRequestId<T> = T & { _request_id?: string | null };
