// The embedded default: the in-process Engine behind the ChatBackend interface. Wire params
// (snake_case) become GenerateParams, text parts are flattened, and engine events become OpenAI
// chunks — role first, content deltas with logprobs, a finish chunk with an empty delta, then usage —
// so the HTTP layer treats the engine exactly like any upstream. Tools and response_format become the
// engine's template tools, grammar and parsed markup (engine-tools.ts, engine-tool-chunks.ts).
import {
  type ChatMessage,
  ContextLengthExceededError,
  type Engine,
  type GenerateEvent,
  type GenerateParams,
  InvalidParamError,
  type TokenLogprob,
} from "../engine/index.js";
import { ApiError } from "../protocol/errors.js";
import type * as Wire from "../protocol/wire.js";
import { ToolCallChunks } from "./engine-tool-chunks.js";
import { planTools } from "./engine-tools.js";
import type { ChatBackend, ChatCompletionChunk, ChatCompletionRequest, ChatStream } from "./types.js";

type WireContent = Wire.MessageContent | null | undefined;
type ChunkHead = Pick<ChatCompletionChunk, "id" | "object" | "created" | "model">;

export interface EngineBackendOptions {
  id: string;
  /** Resolves the engine; called per request, so a lazily created, cached engine fits. */
  engine: () => Promise<Engine>;
  now?: () => number;
  completionId?: () => string;
}

const invalid = (message: string, param: string, code: string | null = "invalid_value") =>
  new ApiError(400, message, "invalid_request_error", code, param);

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

function flatten(content: WireContent): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text).join("\n");
}

function toMessage(m: Wire.ChatMessage): ChatMessage {
  const message: ChatMessage = { role: m.role, content: flatten(m.content) };
  if ("name" in m && m.name) message.name = m.name;
  if (m.role === "tool") message.toolCallId = m.tool_call_id;
  if (m.role === "assistant" && m.tool_calls && m.tool_calls.length > 0) {
    message.toolCalls = m.tool_calls.map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
  }
  return message;
}

/** Maps the validated wire request's messages and sampling fields onto the engine's parameters. */
export function toGenerateParams(request: ChatCompletionRequest): GenerateParams {
  const topK = orUndefined(request.top_k);
  const stop = orUndefined(request.stop);
  return {
    messages: request.messages.map(toMessage),
    maxTokens: orUndefined(request.max_completion_tokens) ?? orUndefined(request.max_tokens),
    temperature: orUndefined(request.temperature),
    topP: orUndefined(request.top_p),
    topK: topK !== undefined && topK > 0 ? topK : undefined,
    minP: orUndefined(request.min_p),
    presencePenalty: orUndefined(request.presence_penalty),
    frequencyPenalty: orUndefined(request.frequency_penalty),
    repetitionPenalty: orUndefined(request.repetition_penalty),
    logitBias: request.logit_bias
      ? Object.fromEntries(Object.entries(request.logit_bias).map(([id, bias]) => [Number(id), bias]))
      : undefined,
    stop: stop === undefined ? undefined : typeof stop === "string" ? [stop] : stop,
    seed: orUndefined(request.seed),
    n: orUndefined(request.n),
    logprobs: orUndefined(request.logprobs),
    topLogprobs: orUndefined(request.top_logprobs),
  };
}

/** Engine errors in the OpenAI shape; anything else (aborts, bugs) passes through unchanged. */
export function toApiError(err: unknown): unknown {
  if (err instanceof ContextLengthExceededError)
    return invalid(err.message, "messages", "context_length_exceeded");
  if (err instanceof InvalidParamError) return invalid(err.message, err.param);
  return err;
}

const toWireLogprob = (t: TokenLogprob): Wire.TokenLogprob => ({
  token: t.token,
  logprob: t.logprob,
  bytes: t.bytes,
  top_logprobs: t.topLogprobs.map(({ token, logprob, bytes }) => ({ token, logprob, bytes })),
});

/** One OpenAI chunk per engine event. */
export function eventToChunk(event: GenerateEvent, head: ChunkHead): ChatCompletionChunk {
  if (event.type === "usage") {
    const { promptTokens, completionTokens } = event.usage;
    const usage: Wire.Usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
    return { ...head, choices: [], usage };
  }
  const choice: Wire.ChatCompletionChunkChoice =
    event.type === "delta"
      ? {
          index: event.index,
          delta: { content: event.text },
          logprobs: event.logprobs ? { content: event.logprobs.map(toWireLogprob), refusal: null } : null,
          finish_reason: null,
        }
      : { index: event.index, delta: {}, logprobs: null, finish_reason: event.finishReason };
  return { ...head, choices: [choice], usage: null };
}

/** Chunks of one event; with tool calls parsed out of the text when the request has a markup. */
function eventChunks(event: GenerateEvent, head: ChunkHead, calls?: ToolCallChunks): ChatCompletionChunk[] {
  if (!calls || event.type === "usage") return [eventToChunk(event, head)];
  const choices =
    event.type === "delta"
      ? calls.delta(event.index, event.text, event.logprobs)
      : calls.finish(event.index, event.finishReason);
  return choices.map((choice) => ({ ...head, choices: [choice], usage: null }));
}

async function* toChunks(
  first: IteratorResult<GenerateEvent>,
  events: AsyncIterator<GenerateEvent>,
  head: ChunkHead,
  choices: number,
  calls?: ToolCallChunks,
): AsyncGenerator<ChatCompletionChunk> {
  for (let index = 0; index < choices; index++) {
    const role: Wire.ChatCompletionChunkChoice = {
      index,
      delta: { role: "assistant", content: "" },
      logprobs: null,
      finish_reason: null,
    };
    yield { ...head, choices: [role], usage: null };
  }
  try {
    for (let result = first; !result.done; result = await events.next())
      yield* eventChunks(result.value, head, calls);
  } catch (err) {
    throw toApiError(err);
  } finally {
    await events.return?.();
  }
}

const randomId = () => `chatcmpl-${crypto.randomUUID().replace(/-/g, "")}`;

export function createEngineBackend(
  options: EngineBackendOptions,
): ChatBackend & { load(): ReturnType<Engine["load"]> } {
  const now = options.now ?? Date.now;
  const completionId = options.completionId ?? randomId;
  let loaded: Engine | undefined;
  return {
    id: options.id,
    // Before the engine exists its queue is empty; reporting that keeps the balancer honest.
    load: () => loaded?.load() ?? { queued: 0, active: 0, capacity: 1 },
    async start(request: ChatCompletionRequest, ctx): Promise<ChatStream> {
      const engine = await options.engine();
      loaded = engine;
      const plan = planTools(request, engine.info.toolCallFormat);
      const params = { ...toGenerateParams(request), tools: plan.tools, grammar: plan.grammar };
      let events: AsyncIterator<GenerateEvent>;
      let first: IteratorResult<GenerateEvent>;
      try {
        // Tokenizing, validation, the queue and prefill all happen before start() resolves, so
        // their failures reach the client as real HTTP statuses.
        events = engine.generate(params, ctx.signal)[Symbol.asyncIterator]();
        first = await events.next();
      } catch (err) {
        throw toApiError(err);
      }
      const head = {
        id: completionId(),
        object: "chat.completion.chunk" as const,
        created: Math.floor(now() / 1000),
        model: request.model,
      };
      const calls = plan.markup && new ToolCallChunks(plan.markup, (l) => l.map(toWireLogprob));
      return { backendId: options.id, chunks: toChunks(first, events, head, params.n ?? 1, calls) };
    },
  };
}
