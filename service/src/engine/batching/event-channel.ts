// The hand-off between the batch scheduler (producer, one for all requests) and one request's
// async iterator (consumer). The scheduler never waits for a slow reader: events queue here, so
// one stalled client cannot hold back the decode step of everyone else; what it has not taken yet
// is merged into one delta. With an `interval` above 1 the reader is handed deltas only once that
// many tokens have gathered (the first delta, a finish and the stream's end go at once).
import type { GenerateEvent } from "../types.js";

export class EventChannel {
  private readonly buffered: GenerateEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: { reason: unknown } | undefined;
  /** Tokens in the buffered deltas. */
  private pendingTokens = 0;
  /** Whether a delta has gone to the reader yet. */
  private delivered = false;
  /** Tokens a delivery gathers after the first delta; 1 = every token as it comes (the scheduler sets it). */
  interval = 1;

  /** Nothing buffered for the reader. */
  get empty(): boolean {
    return this.buffered.length === 0;
  }

  get closed(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** Something the reader should take now: the interval's tokens, a non-delta event, or the end. */
  get ready(): boolean {
    if (this.buffered.length === 0) return false;
    if (this.closed || !this.delivered || this.pendingTokens >= this.interval) return true;
    return this.buffered.some((event) => event.type !== "delta");
  }

  push(events: Iterable<GenerateEvent>): void {
    if (this.closed) return;
    for (const event of events) {
      if (event.type === "delta") this.pendingTokens += event.tokenIds.length;
      if (!this.mergeIntoLast(event)) this.buffered.push(event);
    }
    this.notify();
  }

  /**
   * A reader that is behind gets one delta for the tokens it has not taken yet, not one per token:
   * fewer, larger chunks (one SSE write instead of several) exactly when writing is the bottleneck,
   * and no added latency for a reader that keeps up (then nothing is buffered to merge with).
   */
  private mergeIntoLast(event: GenerateEvent): boolean {
    const last = this.buffered[this.buffered.length - 1];
    if (event.type !== "delta" || last?.type !== "delta" || last.index !== event.index) return false;
    const merged: GenerateEvent = {
      type: "delta",
      index: event.index,
      text: last.text + event.text,
      tokenIds: [...last.tokenIds, ...event.tokenIds],
    };
    if (last.logprobs || event.logprobs)
      merged.logprobs = [...(last.logprobs ?? []), ...(event.logprobs ?? [])];
    this.buffered[this.buffered.length - 1] = merged;
    return true;
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** Ends the stream with an error; events already buffered are still delivered first. */
  fail(reason: unknown): void {
    if (this.closed) return;
    this.failure = { reason };
    this.notify();
  }

  /**
   * The reader's side. When nothing is ready it awaits `refill` (the scheduler passes one that
   * runs the next iteration); by default it waits for the next push, end or failure.
   */
  async *drain(refill: () => Promise<void> = () => this.changed()): AsyncGenerator<GenerateEvent> {
    for (;;) {
      const event = this.ready ? this.buffered.shift() : undefined;
      if (event) {
        if (event.type === "delta") {
          this.pendingTokens -= event.tokenIds.length;
          this.delivered = true;
        }
        yield event;
        continue;
      }
      if (this.failure) throw this.failure.reason;
      if (this.ended) return;
      await refill();
    }
  }

  /** Resolves at the next push, end or failure. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
