// Non-streaming responses are the stream folded up: every backend speaks chunks, and this turns them
// into one `chat.completion` object with OpenAI's exact shape. Tool-call fragments are joined by
// their `index` the way openai-node's stream accumulator does: `id`, `type` and `name` are set by the
// fragment that carries them, `arguments` are appended.
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  FinishReason,
  MessageToolCall,
  TokenLogprob,
  ToolCallDelta,
  Usage,
} from "../protocol/wire.js";

export type { ChatCompletion } from "../protocol/wire.js";

interface ChoiceState {
  content: string;
  refusal: string | null;
  logprobs: TokenLogprob[] | null;
  toolCalls: Map<number, MessageToolCall>;
  finishReason: FinishReason | null;
}

export async function aggregateChunks(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletion> {
  const states = new Map<number, ChoiceState>();
  let head: ChatCompletionChunk | undefined;
  let usage: Usage | undefined;
  for await (const chunk of chunks) {
    head ??= chunk;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) foldChoice(states, choice);
  }
  if (!head) throw new Error("backend produced no chunks");
  const completion: ChatCompletion = {
    id: head.id,
    object: "chat.completion",
    created: head.created,
    model: head.model,
    choices: [...states.entries()].sort(([a], [b]) => a - b).map(([index, s]) => toChoice(index, s)),
  };
  if (usage) completion.usage = usage;
  if (typeof head.system_fingerprint === "string") completion.system_fingerprint = head.system_fingerprint;
  return completion;
}

function toChoice(index: number, s: ChoiceState): ChatCompletion["choices"][number] {
  const toolCalls = [...s.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  // OpenAI answers a tool-calls-only turn with `content: null`, not "".
  const content = toolCalls.length > 0 && s.content === "" ? null : s.content;
  return {
    index,
    message: {
      role: "assistant",
      content,
      refusal: s.refusal,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    },
    logprobs: s.logprobs ? { content: s.logprobs, refusal: null } : null,
    finish_reason: s.finishReason ?? "stop",
  };
}

function foldToolCall(calls: Map<number, MessageToolCall>, delta: ToolCallDelta) {
  let call = calls.get(delta.index);
  if (!call) {
    call = { id: "", type: "function", function: { name: "", arguments: "" } };
    calls.set(delta.index, call);
  }
  if (delta.id) call.id = delta.id;
  if (delta.type) call.type = delta.type;
  if (delta.function?.name) call.function.name = delta.function.name;
  if (delta.function?.arguments) call.function.arguments += delta.function.arguments;
}

function foldChoice(states: Map<number, ChoiceState>, choice: ChatCompletionChunkChoice) {
  let state = states.get(choice.index);
  if (!state) {
    state = { content: "", refusal: null, logprobs: null, toolCalls: new Map(), finishReason: null };
    states.set(choice.index, state);
  }
  const { delta } = choice;
  if (typeof delta?.content === "string") state.content += delta.content;
  if (typeof delta?.refusal === "string") state.refusal = (state.refusal ?? "") + delta.refusal;
  for (const call of delta?.tool_calls ?? []) foldToolCall(state.toolCalls, call);
  const tokens = choice.logprobs?.content;
  if (tokens) state.logprobs = [...(state.logprobs ?? []), ...tokens];
  if (choice.finish_reason) state.finishReason = choice.finish_reason;
}
