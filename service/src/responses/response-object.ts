// The response object a request starts as: status in_progress, no output, the request's settings
// echoed with OpenAI's defaults filled in.
import type { CreateResponseRequest, ResponseObject } from "./types.js";

export function initialResponse(
  request: CreateResponseRequest,
  id: string,
  createdAt: number,
): ResponseObject {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    top_p: request.top_p ?? 1,
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    text: { format: request.text?.format ?? { type: "text" } },
    truncation: request.truncation ?? "disabled",
    usage: null,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
  };
}
