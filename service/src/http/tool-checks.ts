// What the contract's schema cannot say about tools, checked once after validation so every backend
// sees a consistent request: `tool_choice` needs `tools`, a named choice must name one of them, and a
// tool message must answer a call an earlier assistant message made. Wording follows OpenAI's.
import { invalidRequest } from "../protocol/errors.js";
import type { ChatCompletionRequest } from "../protocol/wire.js";

function checkToolChoice(request: ChatCompletionRequest): void {
  const choice = request.tool_choice;
  if (choice === undefined) return;
  const names = new Set((request.tools ?? []).map((t) => t.function.name));
  if (names.size === 0) {
    throw invalidRequest(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      "tool_choice",
      "invalid_value",
    );
  }
  if (typeof choice === "object" && !names.has(choice.function.name)) {
    throw invalidRequest(
      `Invalid value for 'tool_choice': no function named '${choice.function.name}' in 'tools'.`,
      "tool_choice.function.name",
      "invalid_value",
    );
  }
}

function checkToolMessages(request: ChatCompletionRequest): void {
  const calls = new Set<string>();
  request.messages.forEach((message, i) => {
    if (message.role === "assistant") for (const call of message.tool_calls ?? []) calls.add(call.id);
    if (message.role === "tool" && !calls.has(message.tool_call_id)) {
      throw invalidRequest(
        `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'; no earlier call has id '${message.tool_call_id}'.`,
        `messages[${i}].tool_call_id`,
        "invalid_value",
      );
    }
  });
}

/** Throws a 400 naming the param when the request's tool fields contradict each other. */
export function checkTools(request: ChatCompletionRequest): void {
  checkToolChoice(request);
  checkToolMessages(request);
}
