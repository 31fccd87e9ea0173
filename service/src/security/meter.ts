// Counts one request's tokens as its chunks pass between the gateway and the HTTP layer, so usage is
// known however the request ends: the backend's usage chunk when it arrives, otherwise (a client that
// went away, a backend that died mid-stream) the prompt estimate plus one completion token per
// content chunk (or per logprob entry when chunks carry several tokens).
import type { ChatCompletionChunk, ChatStream, Gateway } from "../gateway/types.js";
import type { ChatCompletionChunkChoice } from "../protocol/wire.js";
import type { UsedTokens } from "./rate-limit.js";

export interface MeteredGateway {
  gateway: Gateway;
  /** True once the gateway was asked for a completion (then the stream settles the meter). */
  readonly started: boolean;
  /** Settles once; later calls return the same promise. */
  finish(): Promise<void>;
}

function tokensIn({ delta, logprobs }: ChatCompletionChunkChoice): number {
  const hasText =
    (typeof delta?.content === "string" && delta.content !== "") ||
    (typeof delta?.refusal === "string" && delta.refusal !== "") ||
    (Array.isArray(delta?.tool_calls) && delta.tool_calls.length > 0);
  if (!hasText) return 0;
  const content = logprobs?.content;
  return Array.isArray(content) && content.length > 0 ? content.length : 1;
}

function exactUsage(chunk: ChatCompletionChunk): UsedTokens | undefined {
  const usage = chunk.usage;
  // Upstreams' usage chunks are relayed as sent: check the numbers rather than trust the type.
  if (typeof usage?.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number")
    return undefined;
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

export function meterGateway(
  inner: Gateway,
  promptTokensEstimate: number,
  settle: (used: UsedTokens) => Promise<void>,
): MeteredGateway {
  let started = false;
  let counted = 0;
  let reported: UsedTokens | undefined;
  let sawChunks = false;
  let settled: Promise<void> | undefined;

  const finish = () => {
    // Nothing streamed (the backend refused before its first token): nothing was consumed.
    const used = reported ?? {
      promptTokens: sawChunks ? promptTokensEstimate : 0,
      completionTokens: counted,
    };
    settled ??= settle(used);
    return settled;
  };

  async function* counting(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
    try {
      for await (const chunk of chunks) {
        sawChunks = true;
        for (const choice of chunk.choices ?? []) counted += tokensIn(choice);
        reported = exactUsage(chunk) ?? reported;
        yield chunk;
      }
    } finally {
      await finish();
    }
  }

  const gateway: Gateway = {
    listModels: () => inner.listModels(),
    getModel: (id) => inner.getModel(id),
    async chat(request, ctx): Promise<ChatStream> {
      started = true;
      let stream: ChatStream;
      try {
        stream = await inner.chat(request, ctx);
      } catch (err) {
        await finish();
        throw err;
      }
      return { backendId: stream.backendId, chunks: counting(stream.chunks), inHand: stream.inHand };
    },
  };
  return {
    gateway,
    get started() {
      return started;
    },
    finish,
  };
}
