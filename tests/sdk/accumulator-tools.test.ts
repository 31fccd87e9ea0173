// The SDK folds streamed tool-call fragments by index, as OpenAI streams them, into message.tool_calls.
import { describe, expect, it } from "vitest";
import { ChatCompletionAccumulator, type ChatCompletionChunk } from "../../sdk/src/index.js";

const head = { id: "chatcmpl-1", object: "chat.completion.chunk" as const, created: 1, model: "m" };
const chunk = (
  delta: ChatCompletionChunk["choices"][number]["delta"],
  finish: "tool_calls" | null = null,
) => ({
  ...head,
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe("ChatCompletionAccumulator with tool calls", () => {
  it("joins interleaved fragments of two calls and keeps content null", () => {
    const acc = new ChatCompletionAccumulator();
    acc.add(chunk({ role: "assistant" }));
    acc.add(
      chunk({
        tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "add", arguments: "" } }],
      }),
    );
    acc.add(
      chunk({
        tool_calls: [
          { index: 1, id: "call_b", type: "function", function: { name: "lookup", arguments: "" } },
        ],
      }),
    );
    acc.add(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1,' } }] }));
    acc.add(chunk({ tool_calls: [{ index: 1, function: { arguments: '{"city":"Oslo"}' } }] }));
    acc.add(chunk({ tool_calls: [{ index: 0, function: { arguments: '"b":2}' } }] }));
    acc.add(chunk({}, "tool_calls"));
    const [choice] = acc.build().choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "call_a", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } },
        { id: "call_b", type: "function", function: { name: "lookup", arguments: '{"city":"Oslo"}' } },
      ],
    });
  });
});
