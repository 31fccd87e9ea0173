// What one request did, as the HTTP layer saw it: times since arrival (queue = until a backend
// accepted it, ttft = until the first content token, total = until the last chunk), model, backend,
// token counts and how it ended. Turned into a Server-Timing header and one log/metrics record.
import type {
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionRequest,
  ChatMessage,
} from "../protocol/wire.js";

/** ok: completed · invalid: 4xx · error: 5xx or a failure mid-stream · cancelled: the client left. */
export type Outcome = "ok" | "invalid" | "error" | "cancelled";

/** One structured log line per request (snake_case, like the wire). */
export interface RequestRecord {
  msg: "request";
  level: "info" | "warn" | "error";
  request_id: string;
  method: string;
  path: string;
  status: number;
  key_id: string | null;
  model: string | null;
  backend: string | null;
  stream: boolean;
  outcome: Outcome;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  queue_ms: number | null;
  ttft_ms: number | null;
  latency_ms: number;
  error?: string;
  /** Only with logPrompts. */
  messages?: ChatMessage[];
}

export interface RecordBase {
  requestId: string;
  method: string;
  path: string;
  status: number;
  keyId: string | null;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

// A plain loop, not .some() with a closure: this runs once per chunk of every stream.
function hasContent(choices: ChatCompletionChunkChoice[]): boolean {
  for (const c of choices) {
    const delta = c.delta;
    if (delta && ((delta.content ?? "") !== "" || (delta.tool_calls?.length ?? 0) > 0)) return true;
  }
  return false;
}

export class RequestTrace {
  readonly #now: () => number;
  readonly #start: number;
  readonly #keepMessages: boolean;
  model: string | null = null;
  backend: string | null = null;
  stream = false;
  messages: ChatMessage[] | undefined;
  queueMs: number | null = null;
  ttftMs: number | null = null;
  totalMs: number | null = null;
  promptTokens: number | null = null;
  completionTokens: number | null = null;
  /** Content chunks seen: the token count when a backend sends no usage. */
  contentChunks = 0;
  outcome: Outcome | null = null;
  error: string | null = null;
  /** Set by a route whose SSE body reports its own end (bodyEnded); other bodies are watched. */
  reportsBodyEnd = false;
  #bodyEnded: boolean | undefined;
  #onBodyEnd: ((cancelled: boolean) => void) | undefined;

  constructor(now: () => number, keepMessages: boolean) {
    this.#now = now;
    this.#start = now();
    this.#keepMessages = keepMessages;
  }

  elapsed(): number {
    return this.#now() - this.#start;
  }

  requested(request: ChatCompletionRequest) {
    this.model = request.model;
    this.stream = request.stream === true;
    if (this.#keepMessages) this.messages = request.messages;
  }

  accepted(backendId: string) {
    this.backend = backendId;
    this.queueMs = this.elapsed();
  }

  chunk(chunk: ChatCompletionChunk) {
    if (hasContent(chunk.choices)) {
      this.contentChunks += 1;
      this.ttftMs ??= this.elapsed();
    }
    const usage = chunk.usage;
    if (usage) {
      this.promptTokens = usage.prompt_tokens ?? this.promptTokens;
      this.completionTokens = usage.completion_tokens ?? this.completionTokens;
    }
  }

  /** The backend's stream ended (first call wins: a return after an error stays an error). */
  finished(outcome: Outcome, error: string | null = null) {
    if (this.outcome !== null) return;
    this.outcome = outcome;
    this.error = error;
    this.totalMs = this.elapsed();
  }

  /**
   * A non-streamed response: its status decides unless the stream already said otherwise. 499 is
   * the client gone before an answer (protocol/errors.ts clientClosed): cancelled, as a left stream is.
   */
  settleFromStatus(status: number) {
    this.totalMs = this.elapsed();
    if (status === 499) this.outcome = "cancelled";
    else if (status >= 500) this.outcome = "error";
    else if (status >= 400) this.outcome = "invalid";
    else this.outcome ??= "ok";
  }

  /** A streamed body ended or was cancelled. */
  settleStream(cancelled: boolean) {
    this.totalMs = this.elapsed();
    if (cancelled && this.outcome !== "error") this.outcome = "cancelled";
    // The body ended without the backend's stream ending: the gateway failed after the commit.
    this.outcome ??= "error";
  }

  /**
   * The hooks of an SSE body that reports its own end (sse.ts pullBody), for a route whose stream the
   * middleware then does not wrap: the record is written once the body ends, after the chunk on its
   * way when a client left has settled (so it counts what the meter bills), and a cancel sets the
   * outcome at once, whatever the abort then makes the backend's stream throw.
   */
  bodyHooks(): { onEnd: (cancelled: boolean) => void; onCancel: () => void } {
    this.reportsBodyEnd = true;
    return { onEnd: (cancelled) => this.bodyEnded(cancelled), onCancel: () => this.finished("cancelled") };
  }

  /** The streamed body ended (false) or its client cancelled it (true); the first call counts. */
  bodyEnded(cancelled: boolean) {
    if (this.#bodyEnded !== undefined) return;
    this.#bodyEnded = cancelled;
    this.#onBodyEnd?.(cancelled);
  }

  /** Calls `fn` once the body ends, at once if it already has. */
  onBodyEnd(fn: (cancelled: boolean) => void) {
    this.#onBodyEnd = fn;
    if (this.#bodyEnded !== undefined) fn(this.#bodyEnded);
  }

  /** `queue;dur=…, ttft;dur=…, total;dur=…` — a stream's headers leave before its total is known. */
  serverTiming(streaming: boolean): string {
    const parts: string[] = [];
    if (this.queueMs !== null) parts.push(`queue;dur=${round(this.queueMs)};desc="until a backend accepted"`);
    if (this.ttftMs !== null) parts.push(`ttft;dur=${round(this.ttftMs)};desc="first token"`);
    if (!streaming) parts.push(`total;dur=${round(this.totalMs ?? this.elapsed())}`);
    else parts.push(`total;desc="stream - see request log"`);
    return parts.join(", ");
  }

  record(base: RecordBase): RequestRecord {
    const outcome = this.outcome ?? "ok";
    const completion = this.completionTokens ?? (this.contentChunks > 0 ? this.contentChunks : null);
    return {
      msg: "request",
      level: outcome === "error" ? "error" : outcome === "invalid" ? "warn" : "info",
      request_id: base.requestId,
      method: base.method,
      path: base.path,
      status: base.status,
      key_id: base.keyId,
      model: this.model,
      backend: this.backend,
      stream: this.stream,
      outcome,
      prompt_tokens: this.promptTokens,
      completion_tokens: this.model === null ? null : completion,
      queue_ms: this.queueMs === null ? null : round(this.queueMs),
      ttft_ms: this.ttftMs === null ? null : round(this.ttftMs),
      latency_ms: round(this.totalMs ?? this.elapsed()),
      ...(this.error ? { error: this.error } : {}),
      ...(this.messages ? { messages: this.messages } : {}),
    };
  }
}
