// Non-streaming responses are the stream folded up: every backend speaks chunks, and this turns them
// into one `chat.completion` object with OpenAI's exact shape.
import type { ChatCompletionChunk } from "../gateway/types.js";
import type { components } from "../generated/openapi.js";

type Schemas = components["schemas"];
export type ChatCompletion = Schemas["ChatCompletion"];
type TokenLogprob = Schemas["TokenLogprob"];
type FinishReason = Schemas["FinishReason"];

interface ChunkChoice {
  index: number;
  delta?: { content?: string | null; refusal?: string | null };
  logprobs?: { content?: TokenLogprob[] | null } | null;
  finish_reason?: FinishReason | null;
}

interface ChoiceState {
  content: string;
  refusal: string | null;
  logprobs: TokenLogprob[] | null;
  finishReason: FinishReason | null;
}

export async function aggregateChunks(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletion> {
  const states = new Map<number, ChoiceState>();
  let head: ChatCompletionChunk | undefined;
  let usage: Schemas["Usage"] | undefined;
  for await (const chunk of chunks) {
    head ??= chunk;
    if (chunk.usage) usage = chunk.usage as Schemas["Usage"];
    for (const choice of chunk.choices as ChunkChoice[]) foldChoice(states, choice);
  }
  if (!head) throw new Error("backend produced no chunks");
  const completion: ChatCompletion = {
    id: head.id,
    object: "chat.completion",
    created: head.created,
    model: head.model,
    choices: [...states.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, s]) => ({
        index,
        message: { role: "assistant", content: s.content, refusal: s.refusal },
        logprobs: s.logprobs ? { content: s.logprobs, refusal: null } : null,
        finish_reason: s.finishReason ?? "stop",
      })),
  };
  if (usage) completion.usage = usage;
  if (typeof head.system_fingerprint === "string") completion.system_fingerprint = head.system_fingerprint;
  return completion;
}

function foldChoice(states: Map<number, ChoiceState>, choice: ChunkChoice) {
  let state = states.get(choice.index);
  if (!state) {
    state = { content: "", refusal: null, logprobs: null, finishReason: null };
    states.set(choice.index, state);
  }
  if (typeof choice.delta?.content === "string") state.content += choice.delta.content;
  if (typeof choice.delta?.refusal === "string") state.refusal = (state.refusal ?? "") + choice.delta.refusal;
  const tokens = choice.logprobs?.content;
  if (tokens) state.logprobs = [...(state.logprobs ?? []), ...tokens];
  if (choice.finish_reason) state.finishReason = choice.finish_reason;
}
