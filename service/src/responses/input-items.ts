// A request's `input` as stored items: a string becomes one user message, every item gets an id, text
// shorthands become parts, and `item_reference`s are replaced by the stored items they name.
import { ApiError, invalidRequest } from "../protocol/errors.js";
import type { NewId } from "./ids.js";
import type { ContentPart, CreateResponseRequest, InputItem, StoredItem } from "./types.js";

type Input = CreateResponseRequest["input"];

const itemNotFound = (id: string, index: number) =>
  new ApiError(
    404,
    `Item with id '${id}' not found.`,
    "invalid_request_error",
    "item_not_found",
    `input[${index}]`,
  );

/** Ids of the stored items the input refers to, to look up before converting it. */
export function referencedIds(input: Input): string[] {
  if (typeof input === "string") return [];
  return input.flatMap((item) => (item.type === "item_reference" ? [item.id] : []));
}

function parts(role: string, content: string | ContentPart[]): ContentPart[] {
  if (typeof content !== "string") return content;
  return role === "assistant"
    ? [{ type: "output_text", text: content, annotations: [] }]
    : [{ type: "input_text", text: content }];
}

function toStored(
  item: InputItem,
  index: number,
  resolved: Map<string, StoredItem>,
  newId: NewId,
): StoredItem {
  switch (item.type) {
    case "item_reference": {
      const found = resolved.get(item.id);
      if (!found) throw itemNotFound(item.id, index);
      return found;
    }
    case "function_call":
      return {
        type: "function_call",
        id: item.id ?? newId("fc"),
        call_id: item.call_id,
        name: item.name,
        arguments: item.arguments,
        status: "completed",
      };
    case "function_call_output": {
      const output = typeof item.output === "string" ? item.output : item.output.map((p) => p.text).join("");
      return {
        type: "function_call_output",
        id: item.id ?? newId("fco"),
        call_id: item.call_id,
        output,
        status: "completed",
      };
    }
    default:
      return {
        type: "message",
        id: item.id ?? newId("msg"),
        role: item.role,
        status: "completed",
        content: parts(item.role, item.content),
      };
  }
}

export function toStoredItems(input: Input, resolved: Map<string, StoredItem>, newId: NewId): StoredItem[] {
  if (typeof input === "string") return [toStored({ role: "user", content: input }, 0, resolved, newId)];
  return input.map((item, index) => toStored(item, index, resolved, newId));
}

/**
 * Every function_call_output in the input answers a function_call before it, in the chain or earlier in
 * the input (as OpenAI requires): otherwise a backend would get a tool message answering no call.
 */
export function checkCallOutputs(past: StoredItem[], input: StoredItem[]): void {
  const calls = new Set(past.flatMap((item) => (item.type === "function_call" ? [item.call_id] : [])));
  input.forEach((item, index) => {
    if (item.type === "function_call") calls.add(item.call_id);
    if (item.type !== "function_call_output" || calls.has(item.call_id)) return;
    const id = item.call_id.length > 256 ? `${item.call_id.slice(0, 256)}…` : item.call_id;
    throw invalidRequest(
      `No tool call found for function call output with call_id ${id}.`,
      `input[${index}]`,
      "invalid_value",
    );
  });
}
