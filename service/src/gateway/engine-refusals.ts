// What the embedded engine (in the Worker and in the backend server) cannot honour yet: tools, tool
// turns in the conversation and JSON response formats. Refused with a 400 naming the param, never
// silently ignored; HTTP backends receive these fields unchanged.
import { invalidRequest } from "../protocol/errors.js";
import type { ChatCompletionRequest } from "../protocol/wire.js";

const ELSEWHERE = "route this model to an HTTP backend that supports them (vLLM, llama.cpp, Ollama, OpenAI).";

const unsupported = (what: string, param: string) =>
  invalidRequest(
    `Petrel's built-in engine does not support ${what} yet; ${ELSEWHERE}`,
    param,
    "unsupported_parameter",
  );

export function refuseUnsupported(request: ChatCompletionRequest): void {
  if (request.tools && request.tools.length > 0) throw unsupported("`tools`", "tools");
  const format = request.response_format?.type;
  if (format === "json_object" || format === "json_schema")
    throw unsupported(`\`response_format\` of type '${format}'`, "response_format");
  request.messages.forEach((message, i) => {
    if (message.role === "tool") throw unsupported("tool messages", `messages[${i}].role`);
    if (message.role === "assistant" && message.tool_calls && message.tool_calls.length > 0)
      throw unsupported("assistant `tool_calls`", `messages[${i}].tool_calls`);
  });
}
