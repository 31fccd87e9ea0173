// Folds streamed chunks back into the ChatCompletion the same request would have returned without
// `stream: true`: content and refusal deltas concatenated per choice, tool-call fragments joined by
// their index (id, type and name set, arguments appended), logprobs appended, the finish reason and
// the usage chunk (sent with `stream_options.include_usage`) kept.
import { PetrelError } from "../core/errors.js";
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionChunkToolCall,
  ChatCompletionMessageToolCall,
  ChoiceLogprobs,
} from "../types.js";

type TokenLogprob = NonNullable<ChoiceLogprobs["content"]>[number];

interface ChoiceState {
  role: "assistant" | undefined;
  content: string | null;
  refusal: string | null;
  finishReason: ChatCompletionChoice["finish_reason"] | null;
  logprobs: { content: TokenLogprob[] | null; refusal: TokenLogprob[] | null } | null;
  toolCalls: Map<number, ChatCompletionMessageToolCall>;
  /** String fields servers add to deltas (vLLM `reasoning`, llama.cpp `reasoning_content`). */
  extra: Record<string, string>;
}

export class ChatCompletionAccumulator {
  #head: ChatCompletionChunk | undefined;
  #choices = new Map<number, ChoiceState>();
  #usage: ChatCompletion["usage"] | undefined;

  add(chunk: ChatCompletionChunk): void {
    this.#head ??= chunk;
    if (chunk.usage) this.#usage = chunk.usage;
    for (const choice of chunk.choices) this.#addChoice(choice);
  }

  #addChoice(choice: ChatCompletionChunkChoice): void {
    let state = this.#choices.get(choice.index);
    if (!state) {
      state = {
        role: undefined,
        content: null,
        refusal: null,
        finishReason: null,
        logprobs: null,
        toolCalls: new Map(),
        extra: {},
      };
      this.#choices.set(choice.index, state);
    }
    const { role, content, refusal, tool_calls, ...rest } = choice.delta;
    if (role) state.role = role;
    for (const call of tool_calls ?? []) addToolCall(state.toolCalls, call);
    if (typeof content === "string") state.content = (state.content ?? "") + content;
    if (typeof refusal === "string") state.refusal = (state.refusal ?? "") + refusal;
    for (const [key, value] of Object.entries(rest)) {
      if (typeof value === "string") state.extra[key] = (state.extra[key] ?? "") + value;
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
    if (choice.logprobs) {
      state.logprobs ??= { content: null, refusal: null };
      if (choice.logprobs.content)
        state.logprobs.content = [...(state.logprobs.content ?? []), ...choice.logprobs.content];
      if (choice.logprobs.refusal)
        state.logprobs.refusal = [...(state.logprobs.refusal ?? []), ...choice.logprobs.refusal];
    }
  }

  /** The whole completion; throws when the stream ended before every choice had a finish reason. */
  build(): ChatCompletion {
    const head = this.#head;
    if (!head) throw new PetrelError("The stream ended without any chunks.");
    const choices = [...this.#choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]): ChatCompletionChoice => {
        if (!state.finishReason) throw new PetrelError(`Choice ${index} is missing finish_reason.`);
        const toolCalls = [...state.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
        const message = {
          ...state.extra,
          role: "assistant" as const,
          content: state.content,
          refusal: state.refusal,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        };
        return { index, message, finish_reason: state.finishReason, logprobs: state.logprobs };
      });
    const completion: ChatCompletion = {
      id: head.id,
      object: "chat.completion",
      created: head.created,
      model: head.model,
      choices,
    };
    if (this.#usage) completion.usage = this.#usage;
    if (head.system_fingerprint !== undefined) completion.system_fingerprint = head.system_fingerprint;
    return completion;
  }
}

function addToolCall(calls: Map<number, ChatCompletionMessageToolCall>, delta: ChatCompletionChunkToolCall) {
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
