// A Responses request (with the items of its chain before it) as the chat completion request every
// backend speaks: instructions → a system message; messages keep their roles; function_call items
// → an assistant message's tool_calls; function_call_output → a tool message; flat tools, text.format,
// tool_choice and max_output_tokens → their chat spellings.
import type {
  ChatCompletionRequest,
  ChatMessage,
  MessageContent,
  MessageToolCall,
} from "../protocol/wire.js";
import type { ContentPart, CreateResponseRequest, StoredItem } from "./types.js";

type Format = NonNullable<CreateResponseRequest["text"]>["format"];

const partText = (p: ContentPart) => (p.type === "refusal" ? p.refusal : p.text);

function messageContent(role: string, parts: ContentPart[]): MessageContent {
  // An assistant's output parts are pieces of one text; a user's parts stay parts (joined by the backend).
  if (role === "assistant" || parts.length <= 1) return parts.map(partText).join("");
  return parts.map((p) => ({ type: "text" as const, text: partText(p) }));
}

/** Chat messages for stored items, in order; consecutive calls share one assistant message. */
export function itemsToMessages(items: StoredItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const item of items) {
    if (item.type === "message") {
      messages.push({ role: item.role, content: messageContent(item.role, item.content) } as ChatMessage);
    } else if (item.type === "function_call") {
      const call: MessageToolCall = {
        id: item.call_id,
        type: "function",
        function: { name: item.name, arguments: item.arguments },
      };
      const last = messages.at(-1);
      if (last?.role === "assistant") {
        last.tool_calls = [...(last.tool_calls ?? []), call];
        if (last.content === "") last.content = null;
      } else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    } else {
      messages.push({ role: "tool", tool_call_id: item.call_id, content: item.output });
    }
  }
  return messages;
}

function responseFormat(format: Format): ChatCompletionRequest["response_format"] {
  if (format?.type !== "json_schema") return format;
  const { type, ...schema } = format;
  return { type, json_schema: schema };
}

/** Request fields that carry over unchanged or renamed; absent (or null) fields stay absent. */
function settings(request: CreateResponseRequest): Partial<ChatCompletionRequest> {
  const out: Partial<ChatCompletionRequest> = {
    temperature: request.temperature,
    top_p: request.top_p,
    max_completion_tokens: request.max_output_tokens,
    user: request.user,
    response_format: responseFormat(request.text?.format),
  };
  if (request.tools && request.tools.length > 0) {
    out.tools = request.tools.map(({ type, description, parameters, strict, name }) => ({
      type,
      function: {
        name,
        ...(description != null && { description }),
        ...(parameters != null && { parameters }),
        ...(strict != null && { strict }),
      },
    }));
    out.parallel_tool_calls = request.parallel_tool_calls;
    const choice = request.tool_choice;
    out.tool_choice =
      typeof choice === "object" && choice !== null
        ? { type: "function", function: { name: choice.name } }
        : choice;
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined && v !== null));
}

export function toChatRequest(request: CreateResponseRequest, items: StoredItem[]): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: "system", content: request.instructions });
  messages.push(...itemsToMessages(items));
  return {
    ...settings(request),
    model: request.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  };
}
