// The SSE writer for chat completion streams (reference: openai-contract.md §2 and §7).
// One `data: <json>\n\n` event per chunk, `: keep-alive` comments while waiting, mid-stream failures as
// `data: {"error": …}`, always `data: [DONE]` last, and a client that goes away aborts generation.
import type { ChatCompletionChunk } from "../gateway/types.js";
import { toErrorResponse } from "./errors.js";

export interface StartedStream {
  iterator: AsyncIterator<ChatCompletionChunk>;
  first: IteratorResult<ChatCompletionChunk>;
  /** Chunks already received behind the current one (ChatStream.inHand). */
  inHand?: () => number;
}

export interface SseOptions {
  /** Resolves with the stream and its first chunk; may still be pending when headers go out. */
  started: Promise<StartedStream>;
  includeUsage: boolean;
  heartbeatMs: number;
  /** Aborted here when the client disconnects; the backend watches its signal. */
  abort: AbortController;
  /**
   * Send a keep-alive comment with the headers: the first chunk is not there yet, and a gateway in
   * front (Petrel's edge) takes headers followed by silence for a hung backend (`firstByteMs`).
   */
  commentFirst?: boolean;
  /** Called once: the body ended (false) or the client cancelled it (true). */
  onEnd?: (cancelled: boolean) => void;
  /** Called at once when the client cancels; onEnd(true) follows once the pending frame settled. */
  onCancel?: () => void;
}

export interface PullOptions {
  /** How many frames are ready behind the one just pulled; all but the last join the same write. */
  inHand?: () => number;
  /** Called once: the body ended (false) or the client cancelled it (true). */
  onEnd?: (cancelled: boolean) => void;
  /** Called at once when the client cancels; onEnd(true) follows once the pending frame settled. */
  onCancel?: () => void;
}

const encoder = new TextEncoder();
export const sseEvent = (data: string) => encoder.encode(`data: ${data}\n\n`);
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

/** The usage chunk (choices: []) is sent only when the client asked for it. */
export const isUsageChunk = (chunk: ChatCompletionChunk) =>
  chunk.choices.length === 0 && chunk.usage !== null && chunk.usage !== undefined;

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // Tells nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
};

/** A write gathers in-hand frames up to this size, so a source that is always ready still streams. */
const MAX_WRITE_BYTES = 16 * 1024;

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A pull-driven stream: each read takes frames straight from the backend's iterator (no
 * TransformStream and writer in between — one fewer promise hop and queue per token, which the
 * server pays per stream per step). Chunks already received (an upstream read that carried several
 * events) leave together, as one write to the socket, but for the last of them; a frame whose chunk
 * is not here yet is never held back for the next. Cancelling it (the client went away) aborts generation.
 */
export function sseBody(options: SseOptions): ReadableStream<Uint8Array> {
  let inHand: (() => number) | undefined;
  options.started.then(
    (s) => {
      inHand = s.inHand;
    },
    () => {}, // the frames report it
  );
  return pullBody((beat) => sseFrames(options, beat), options.abort, options.commentFirst, {
    inHand: () => inHand?.() ?? 0,
    onEnd: options.onEnd,
    onCancel: options.onCancel,
  });
}

/** The body behind sseBody (and the Responses stream): frames pulled as the client reads. */
export function pullBody(
  makeFrames: (beat: () => void) => AsyncGenerator<Uint8Array, void>,
  abort: AbortController,
  /** Send a keep-alive comment with the headers, before the first frame (a backend server's promptness). */
  commentFirst = false,
  { inHand, onEnd, onCancel }: PullOptions = {},
): ReadableStream<Uint8Array> {
  let frames: AsyncGenerator<Uint8Array, void> | undefined;
  let ended = false;
  const end = (cancelled: boolean) => {
    if (ended) return;
    ended = true;
    onEnd?.(cancelled);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const beat = () => {
          try {
            controller.enqueue(KEEP_ALIVE);
          } catch {
            // closed or cancelled meanwhile: the beat has nowhere to go
          }
        };
        frames = makeFrames(beat);
        if (commentFirst) beat();
      },
      async pull(controller) {
        if (!frames) return;
        const parts: Uint8Array[] = [];
        let result = await frames.next();
        let bytes = 0;
        while (!result.done) {
          parts.push(result.value);
          bytes += result.value.length;
          // The next frame joins this write only if its chunk is here and is not the last one here:
          // pulling past the last may run the stream's end (metering, the circuit's verdict), which
          // can wait on I/O, and chunks already here must not wait for it.
          if (bytes >= MAX_WRITE_BYTES || !inHand || inHand() < 2) break;
          result = await frames.next();
        }
        try {
          if (parts.length > 0) controller.enqueue(join(parts));
          if (result.done) {
            controller.close();
            end(false);
          }
        } catch {
          // cancelled while the frames were on their way
        }
      },
      cancel() {
        onCancel?.();
        abort.abort(new Error("client disconnected"));
        // Runs the generator's finally (the backend iterator's return) once its pending frame settles.
        // The end is reported after that, so the request's record counts the chunk that was on its
        // way when the client left, as the meter (security/meter.ts) does.
        const closing = frames?.return().catch(() => {});
        if (!closing) return end(true);
        return closing.then(() => end(true));
      },
    },
    { highWaterMark: 0 },
  );
}

async function* sseFrames(options: SseOptions, beat: () => void): AsyncGenerator<Uint8Array, void> {
  const { abort } = options;
  let iterator: AsyncIterator<ChatCompletionChunk> | undefined;
  const heart = new Heartbeat(options.heartbeatMs, () => {
    if (!abort.signal.aborted) beat();
  });
  try {
    const started = await heart.during(options.started);
    iterator = started.iterator;
    let result = started.first;
    while (!result.done) {
      const chunk = result.value;
      if ((options.includeUsage || !isUsageChunk(chunk)) && !abort.signal.aborted)
        yield sseEvent(JSON.stringify(chunk));
      // waiting()/idle() around a plain await: no wrapper promise per token
      heart.waiting();
      result = await iterator.next();
      heart.idle();
    }
    if (!abort.signal.aborted) yield sseEvent("[DONE]");
  } catch (err) {
    heart.idle();
    if (!abort.signal.aborted) {
      yield sseEvent(JSON.stringify(toErrorResponse(err).body));
      yield sseEvent("[DONE]");
    }
  } finally {
    heart.stop();
    if (abort.signal.aborted) await iterator?.return?.().catch(() => {});
  }
}

/**
 * Calls `beat` every `intervalMs` of one continuous wait, like a setInterval per awaited chunk, but
 * with ONE timer per stream that is re-armed only when it fires: a fresh interval timer per token
 * (insert + unenroll in Node's timer lists) was a visible per-token cost with many streams.
 */
export class Heartbeat {
  #since: number | undefined;
  #nextBeat = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly beat: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async during<T>(promise: Promise<T>): Promise<T> {
    this.waiting();
    try {
      return await promise;
    } finally {
      this.idle();
    }
  }

  /** A wait starts now; beats come every interval until idle(). */
  waiting(): void {
    this.#since = this.now();
    this.#nextBeat = this.#since + this.intervalMs;
    this.#timer ??= setTimeout(() => this.#fire(), this.intervalMs);
  }

  idle(): void {
    this.#since = undefined;
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#since = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#since === undefined) return; // not waiting: the next wait arms it again
    const now = this.now();
    // timers may fire up to a millisecond early (rounding); that still counts as due
    if (now >= this.#nextBeat - 1) {
      this.beat();
      this.#nextBeat += this.intervalMs;
      if (this.#nextBeat <= now) this.#nextBeat = now + this.intervalMs;
    }
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, this.#nextBeat - now));
  }
}
