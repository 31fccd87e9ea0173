// A ChatBackend for anything speaking OpenAI chat completions over HTTP: a Petrel backend server,
// vLLM, TGI, llama.cpp, Ollama, OpenAI itself. Always streams upstream (a non-streaming client is
// served by the HTTP layer collecting chunks), always asks for the usage chunk, and holds back
// chunks until the first one with content — the commit point. Anything that fails before it throws
// from start(), so the gateway can still fail over; anything after it throws from the iterator.

import { ApiError, clientClosed } from "../protocol/errors.js";
import { parseRetryAfterMs } from "./backoff.js";
import { type GatewayClock, realClock, withDeadline } from "./clock.js";
import type { BackendConfig } from "./config.js";
import { DONE, isCommitChunk, SseChunkReader } from "./sse-chunks.js";
import type { Transport, UpstreamResponse } from "./transport.js";

export type { FetchLike } from "./transport.js";

import type {
  ChatBackend,
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatContext,
  ChatStream,
} from "./types.js";
import { upstreamHttpError } from "./upstream-errors.js";

const MAX_ERROR_BODY = 64 * 1024;

export function createOpenAIUpstream(
  config: BackendConfig,
  transport: Transport,
  clock: GatewayClock = realClock,
): ChatBackend {
  if (!config.url) throw new Error(`backend ${config.id} has no url`);
  const url = `${config.url}/v1/chat/completions`;
  const t = config.timeouts;

  const timeoutError = (what: string, ms: number, code: string) =>
    new ApiError(504, `Upstream ${config.id} ${what} within ${ms} ms`, "server_error", code);

  async function connect(request: ChatCompletionRequest, ctx: ChatContext, signal: AbortSignal) {
    // Everything the client sent passes through unchanged (tools, tool_choice, response_format, tool
    // messages, unknown extensions) except explicit nulls, which OpenAI reads as absent; only the
    // model name and the stream settings are the gateway's.
    const body: ChatCompletionRequest = {
      ...withoutNulls(request),
      model: config.upstreamModel ?? request.model,
      stream: true,
      stream_options: { ...request.stream_options, include_usage: true },
    };
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "text/event-stream",
      "x-request-id": ctx.requestId,
    };
    if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
    const init = { method: "POST" as const, headers, body: JSON.stringify(body), signal };
    return withDeadline(clock, transport(url, init), t.connectMs, () =>
      timeoutError("sent no response headers", t.connectMs, "upstream_connect_timeout"),
    );
  }

  async function start(request: ChatCompletionRequest, ctx: ChatContext): Promise<ChatStream> {
    const abort = new AbortController();
    if (ctx.signal.aborted) throw clientGone(ctx.signal);
    const disarmTotal = clock.setTimer(
      () => abort.abort(timeoutError("did not finish", t.totalMs, "upstream_total_timeout")),
      t.totalMs,
    );
    // Aborting the fetch also errors its body, so a stream nobody iterates any more still closes
    // the upstream connection; the timer goes with it.
    const onAbort = () => {
      disarmTotal();
      abort.abort(ctx.signal.reason);
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => {
      disarmTotal();
      ctx.signal.removeEventListener("abort", onAbort);
    };
    const startedAt = clock.now();
    let reader: SseChunkReader | undefined;
    try {
      const res = await connect(request, ctx, abort.signal);
      if (res.status < 200 || res.status > 299) {
        const retryAfter = parseRetryAfterMs(res.headers);
        throw upstreamHttpError(config.id, res.status, await readErrorBody(res, clock), retryAfter);
      }
      reader = new SseChunkReader(res.body, config.id, request.model, clock);
      const budgetMs = t.firstTokenMs - (clock.now() - startedAt);
      if (t.firstByteMs < budgetMs) {
        await reader.firstByte(t.firstByteMs, () =>
          timeoutError("sent headers but no bytes", t.firstByteMs, "upstream_first_byte_timeout"),
        );
      }
      const held = await readUntilCommit(reader, t.firstTokenMs - (clock.now() - startedAt));
      const chunks = stream(reader, held, abort.signal, cleanup);
      const r = reader;
      return { backendId: config.id, chunks, inHand: () => held.length + r.pending };
    } catch (err) {
      const mapped = mapError(err, abort.signal, ctx.signal, config.id);
      reader?.cancel();
      abort.abort();
      cleanup();
      throw mapped;
    }
  }

  async function readUntilCommit(reader: SseChunkReader, budgetMs: number): Promise<ChatCompletionChunk[]> {
    const deadline = clock.now() + budgetMs;
    const held: ChatCompletionChunk[] = [];
    for (;;) {
      const chunk = await reader.next(deadline - clock.now(), () =>
        timeoutError("sent no first token", t.firstTokenMs, "upstream_first_token_timeout"),
      );
      if (chunk === DONE) {
        throw new ApiError(
          502,
          `Upstream ${config.id} ended the stream without output`,
          "server_error",
          "upstream_empty_stream",
        );
      }
      held.push(chunk);
      if (isCommitChunk(chunk)) return held;
    }
  }

  async function* stream(
    reader: SseChunkReader,
    held: ChatCompletionChunk[],
    signal: AbortSignal,
    cleanup: () => void,
  ): AsyncGenerator<ChatCompletionChunk> {
    try {
      // taken off the array as they go, so inHand() counts the ones still held
      for (let c = held.shift(); c !== undefined; c = held.shift()) yield c;
      for (;;) {
        const chunk = await reader.next(t.idleMs, () =>
          timeoutError("went silent mid-stream", t.idleMs, "upstream_idle_timeout"),
        );
        if (chunk === DONE) return;
        yield chunk;
      }
    } catch (err) {
      throw mapError(err, signal, signal, config.id);
    } finally {
      // Runs on completion, on error and when the consumer stops early (client gone): the
      // upstream request is cancelled so its GPU slot is freed.
      reader.cancel();
      cleanup();
    }
  }

  return { id: config.id, start };
}

/**
 * The request without optional fields set to an explicit `null`: OpenAI reads null as absent, not
 * every engine does (a Pydantic TypedDict refuses `name: null` in a message).
 */
function withoutNulls(request: ChatCompletionRequest): ChatCompletionRequest {
  // Most requests have no null anywhere: they are passed on without a copy.
  let out: Record<string, unknown> | undefined;
  for (const key in request) {
    if ((request as unknown as Record<string, unknown>)[key] !== null) continue;
    out ??= { ...request };
    delete out[key];
  }
  if (!request.messages.some((m) => "name" in m && m.name === null))
    return (out as unknown as ChatCompletionRequest | undefined) ?? request;
  const messages = request.messages.map((m) => {
    if (!("name" in m) || m.name !== null) return m;
    const { name: _null, ...rest } = m;
    return rest as typeof m;
  });
  return { ...((out ?? request) as ChatCompletionRequest), messages };
}

function clientGone(signal: AbortSignal): ApiError {
  const reason = signal.reason;
  if (reason instanceof ApiError) return reason;
  return clientClosed();
}

/**
 * Normalises fetch/stream failures: aborts keep their reason, network errors become 502. What the
 * network said (`connect ECONNREFUSED 10.0.0.5:9101`) names internal addresses: it goes to logs as
 * the error's cause, never into the message a client reads.
 */
function mapError(err: unknown, own: AbortSignal, client: AbortSignal, backendId: string): ApiError {
  if (err instanceof ApiError) return err;
  if (client.aborted) return clientGone(client);
  if (own.aborted) return clientGone(own);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return new ApiError(
    502,
    `Upstream ${backendId} unreachable`,
    "server_error",
    "upstream_unreachable",
    null,
    {
      cause,
    },
  );
}

async function readErrorBody(res: UpstreamResponse, clock: GatewayClock): Promise<unknown> {
  const text = (
    await withDeadline(clock, res.text(), 2_000, () => new Error("slow error body")).catch(() => "")
  ).slice(0, MAX_ERROR_BODY);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
