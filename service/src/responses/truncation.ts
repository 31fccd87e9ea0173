// truncation: "auto": when a backend refuses the conversation as longer than its context, the oldest
// turn goes (a turn is a user message and everything up to the next one); leading system messages
// and the latest turn always stay (the gateway retries through ChatContext.shorten). "disabled" (the
// default) passes the refusal on as a 400.
import type { ChatCompletionRequest } from "../gateway/types.js";

/** The request without its oldest turn, or undefined when only the latest turn is left. */
export function dropOldestTurn(request: ChatCompletionRequest): ChatCompletionRequest | undefined {
  const { messages } = request;
  let start = 0;
  while (start < messages.length && ["system", "developer"].includes(messages[start]?.role ?? "")) start++;
  // The oldest turn runs from here to the next user message; without one, only the latest is left.
  const next = messages.findIndex((m, i) => i > start && m.role === "user");
  if (next === -1) return undefined;
  return { ...request, messages: [...messages.slice(0, start), ...messages.slice(next)] };
}
