// The hand-off between the batch scheduler (producer, one loop for all requests) and one request's
// async iterator (consumer). The scheduler never waits for a slow reader: events queue here, so
// one stalled client cannot hold back the decode step of everyone else.
import type { GenerateEvent } from "../types.js";

export class EventChannel {
  private readonly buffered: GenerateEvent[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: { reason: unknown } | undefined;

  get closed(): boolean {
    return this.ended || this.failure !== undefined;
  }

  push(events: Iterable<GenerateEvent>): void {
    if (this.closed) return;
    for (const event of events) this.buffered.push(event);
    this.notify();
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

  async *drain(): AsyncGenerator<GenerateEvent> {
    for (;;) {
      const event = this.buffered.shift();
      if (event) {
        yield event;
        continue;
      }
      if (this.failure) throw this.failure.reason;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
