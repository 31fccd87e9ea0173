// The one place that retries. Before the first token a failed attempt (connect error, timeout, 429,
// 5xx) moves to another backend — or, with one left, waits a jittered exponential backoff or the
// upstream's Retry-After — all inside one overall deadline and a bounded number of upstream calls.
// After the first token nothing is retried: a failure ends the stream with an error.

import { ApiError, clientClosed } from "../protocol/errors.js";
import { backoffDelayMs } from "./backoff.js";
import type { FailureKind } from "./circuit.js";
import type { SetTimer } from "./clock.js";
import type { RetryPolicy } from "./config.js";
import type { BackendSlot, Pool } from "./pool.js";
import type { ChatCompletionRequest, ChatContext, ChatStream } from "./types.js";
import { isRetryable } from "./upstream-errors.js";

export interface DispatchOptions {
  retry: RetryPolicy;
  totalMs: number;
  random: () => number;
  /** The gateway's clock and its waits (backoff, Retry-After rests); tests drive both. */
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Arms the overall deadline. */
  setTimer: SetTimer;
}

function unavailable(modelId: string, waitMs: number): ApiError {
  const seconds = Number.isFinite(waitMs) ? Math.max(1, Math.ceil(waitMs / 1000)) : 5;
  return new ApiError(
    503,
    `No backend for ${modelId} is available right now`,
    "server_error",
    "backends_unavailable",
    null,
    { retryAfterSeconds: seconds },
  );
}

/** Waits for a slot worth waiting for (a Retry-After rest), or throws if none is within the deadline. */
async function waitForSlot(
  pool: Pool,
  deadline: number,
  signal: AbortSignal,
  opts: DispatchOptions,
  lastError?: ApiError,
) {
  const waitMs = pool.soonestWaitMs();
  if (opts.now() + waitMs >= deadline) throw lastError ?? unavailable(pool.modelId, pool.retryAfterMs());
  await opts.sleep(Math.max(1, waitMs), signal);
}

/** The request's own abort signal: the client leaving or the one overall deadline, whichever first. */
function requestScope(ctx: ChatContext, totalMs: number, setTimer: SetTimer) {
  const overall = new AbortController();
  const onClientAbort = () => overall.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onClientAbort, { once: true });
  const message = `Request exceeded its ${totalMs} ms deadline`;
  const disarm = setTimer(
    () => overall.abort(new ApiError(504, message, "server_error", "deadline_exceeded")),
    totalMs,
  );
  const finish = () => {
    disarm();
    ctx.signal.removeEventListener("abort", onClientAbort);
  };
  return { signal: overall.signal, finish };
}

export async function dispatch(
  pool: Pool,
  request: ChatCompletionRequest,
  ctx: ChatContext,
  opts: DispatchOptions,
): Promise<ChatStream> {
  const deadline = opts.now() + opts.totalMs;
  const { signal, finish } = requestScope(ctx, opts.totalMs, opts.setTimer);
  const attemptCtx: ChatContext = { requestId: ctx.requestId, signal };
  const failed = new Set<BackendSlot>();
  let lastError: ApiError | undefined;
  try {
    for (let sent = 0; sent < opts.retry.maxAttempts; ) {
      pool.refreshStale(ctx.waitUntil);
      const slot = pool.pick(failed);
      if (!slot) {
        await waitForSlot(pool, deadline, signal, opts, lastError);
        continue;
      }
      if (failed.has(slot)) {
        // Only backends that already failed this request are left: back off before trying again.
        const delay = backoffDelayMs(sent, opts.retry.baseDelayMs, opts.retry.maxDelayMs, opts.random);
        if (opts.now() + delay >= deadline) break;
        await opts.sleep(delay, signal);
        if (!slot.available()) continue;
      }
      sent += 1;
      try {
        return guard(await attempt(slot, request, attemptCtx, opts.now), slot, signal, finish);
      } catch (err) {
        if (signal.aborted) throw abortReason(signal);
        if (!(err instanceof ApiError) || !isRetryable(err)) throw err;
        lastError = err;
        failed.add(slot);
      }
    }
    throw lastError ?? unavailable(pool.modelId, pool.retryAfterMs());
  } catch (err) {
    finish();
    throw err instanceof ApiError ? err : abortReason(signal, err);
  }
}

/**
 * Headers followed by silence from a backend that writes at once is a hang, not load: the circuit
 * opens on the first one. A slow first token may be a queue, and counts like any other failure.
 */
function failureKind(err: unknown): FailureKind {
  return err instanceof ApiError && err.code === "upstream_first_byte_timeout" ? "hang" : "error";
}

/** One upstream call, with the slot's bookkeeping: in-flight count, circuit, Retry-After cooldown. */
async function attempt(
  slot: BackendSlot,
  request: ChatCompletionRequest,
  ctx: ChatContext,
  now: () => number,
): Promise<ChatStream> {
  slot.outstanding += 1;
  try {
    // No verdict yet: the circuit hears how the stream ends (guard), not that it began.
    return await slot.backend.start(request, ctx);
  } catch (err) {
    slot.outstanding -= 1;
    if (ctx.signal.aborted) throw err;
    if (err instanceof ApiError && err.status === 429) {
      // Overloaded is not broken: rest the backend for as long as it asked, without tripping it.
      slot.cooldownUntil = now() + (err.retryAfterSeconds ?? 1) * 1000;
    } else if (isRetryable(err)) slot.circuit.recordFailure(failureKind(err));
    throw err;
  }
}

/**
 * Keeps the slot counted until the stream ends however it ends, and gives the circuit its verdict on
 * the whole stream: a clean end is a success, a failure after the first token a failure, a client
 * that left says nothing about the backend.
 */
function guard(stream: ChatStream, slot: BackendSlot, signal: AbortSignal, finish: () => void): ChatStream {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    slot.outstanding -= 1;
    signal.removeEventListener("abort", release);
    finish();
  };
  // If the client leaves before anyone iterates, the generator's finally would never run.
  signal.addEventListener("abort", release, { once: true });
  async function* chunks() {
    try {
      yield* stream.chunks;
      if (!signal.aborted) slot.circuit.recordSuccess();
    } catch (err) {
      if (!signal.aborted) slot.circuit.recordFailure(failureKind(err));
      throw err instanceof ApiError ? err : abortReason(signal, err);
    } finally {
      release();
    }
  }
  return { backendId: stream.backendId, chunks: chunks(), inHand: stream.inHand };
}

function abortReason(signal: AbortSignal, err?: unknown): ApiError {
  if (signal.reason instanceof ApiError) return signal.reason;
  if (signal.aborted) return clientClosed();
  const message = err instanceof Error ? err.message : String(err);
  // Keep the original as the cause, so the HTTP layer's 500 log shows what actually broke.
  return new ApiError(500, `Gateway failure: ${message}`, "server_error", "gateway_error", null, {
    cause: err,
  });
}
