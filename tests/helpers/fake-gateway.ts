// A fake Gateway for http tests (app.request(), no server): it serves scripted chunks so every
// framing and error path of the HTTP layer can be caused on purpose.
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatContext,
  Gateway,
  ModelEntry,
} from "../../service/src/gateway/types.js";
import type { ApiError } from "../../service/src/protocol/errors.js";
import type { ToolCallDelta } from "../../service/src/protocol/wire.js";

export type Step =
  /** `after`: the chunk is already on its way, held until the promise settles, whatever the abort. */
  | { text: string; index?: number; after?: Promise<unknown> }
  | { toolCall: ToolCallDelta; index?: number }
  | { finish: "stop" | "length" | "tool_calls"; index?: number }
  | { usage: { prompt: number; completion: number } }
  | { delayMs: number }
  | { fail: ApiError | Error };

export interface FakeGatewayOptions {
  models?: string[];
  /** Steps to play for each request; by default "Hello", " world", stop, usage. */
  script?: (request: ChatCompletionRequest) => Step[];
  /** Thrown by chat() itself, i.e. before the first token. */
  startError?: ApiError;
  /** Delay before chat() resolves (a long prefill). */
  startDelayMs?: number;
}

export interface FakeGateway extends Gateway {
  requests: ChatCompletionRequest[];
  contexts: ChatContext[];
}

export const DEFAULT_SCRIPT: Step[] = [
  { text: "Hello" },
  { text: " world" },
  { finish: "stop" },
  { usage: { prompt: 5, completion: 2 } },
];

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

type ChunkBase = Pick<ChatCompletionChunk, "id" | "object" | "created" | "model">;

function chunkFor(step: Step, base: ChunkBase): ChatCompletionChunk | null {
  if ("text" in step) {
    const choice = {
      index: step.index ?? 0,
      delta: { content: step.text },
      logprobs: null,
      finish_reason: null,
    };
    return { ...base, choices: [choice] };
  }
  if ("toolCall" in step) {
    const choice = {
      index: step.index ?? 0,
      delta: { tool_calls: [step.toolCall] },
      logprobs: null,
      finish_reason: null,
    };
    return { ...base, choices: [choice] };
  }
  if ("finish" in step) {
    const choice = { index: step.index ?? 0, delta: {}, logprobs: null, finish_reason: step.finish };
    return { ...base, choices: [choice] };
  }
  if ("usage" in step) {
    const { prompt, completion } = step.usage;
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    return { ...base, choices: [], usage };
  }
  return null;
}

async function* play(steps: Step[], model: string, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
  const base = {
    id: "chatcmpl-fake",
    object: "chat.completion.chunk" as const,
    created: 1_700_000_000,
    model,
  };
  yield {
    ...base,
    choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    usage: null,
  };
  for (const step of steps) {
    if (signal.aborted) return;
    if ("delayMs" in step) await sleep(step.delayMs, signal);
    else if ("fail" in step) throw step.fail;
    else {
      if ("text" in step && step.after) await step.after;
      const chunk = chunkFor(step, base);
      if (chunk) yield { usage: null, ...chunk };
    }
  }
}

export function fakeGateway(options: FakeGatewayOptions = {}): FakeGateway {
  const models: ModelEntry[] = (options.models ?? ["petrel-mini"]).map((id) => ({
    id,
    created: 1_700_000_000,
    ownedBy: "petrel",
  }));
  const requests: ChatCompletionRequest[] = [];
  const contexts: ChatContext[] = [];
  return {
    requests,
    contexts,
    listModels: () => models,
    getModel: (id) => models.find((m) => m.id === id),
    async chat(request, ctx) {
      requests.push(request);
      contexts.push(ctx);
      if (options.startDelayMs) await sleep(options.startDelayMs, ctx.signal);
      if (options.startError) throw options.startError;
      const steps = options.script?.(request) ?? DEFAULT_SCRIPT;
      return { backendId: "fake", chunks: play(steps, request.model, ctx.signal) };
    },
  };
}
