// The Worker's request log: JSON lines gathered in the isolate and written together, one
// `console.log` per batch instead of one per request. Each console.log is one log event for
// Workers Logs (billed per event), one entry in a Tail Worker's or Logpush's `logs`, and under
// `wrangler dev` a message relayed through the inspector into wrangler's Node process; a batch pays
// that once for many requests. The first record of a batch starts a timer and hands its promise to
// that request's `waitUntil`, so the invocation stays alive until the batch is written (nothing is
// lost when the isolate is evicted afterwards); a batch that reaches `maxChars` is written at once.
// Only the timer's own callback settles its promise, so no promise crosses from one request's
// context into another's. A batch is written inside the invocation that wrote it, not beside each
// request's own invocation log: records carry `request_id` for that.

export interface LogBatchOptions {
  /** Longest a record waits. */
  flushMs?: number;
  /** Write at once when this many characters are waiting (Workers Logs keeps 128 KB per log). */
  maxChars?: number;
  /** Where a batch goes: one call, its records as JSON lines. */
  write?: (text: string) => void;
  /** Calls `fn` after `ms`; default setTimeout. */
  setTimer?: (fn: () => void, ms: number) => void;
}

export interface LogBatch<T> {
  /** Queues `record`; `waitUntil` keeps the request alive while a batch it opened waits. */
  log(record: T, waitUntil?: (promise: Promise<unknown>) => void): void;
  /** Writes what is waiting now. */
  flush(): void;
}

export function batchedLog<T>(options: LogBatchOptions = {}): LogBatch<T> {
  const flushMs = options.flushMs ?? 1_000;
  const maxChars = options.maxChars ?? 64 * 1024;
  const write = options.write ?? ((text: string) => console.log(text));
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms));
  let lines: string[] = [];
  let chars = 0;
  let timerOpen = false;

  function flush() {
    if (lines.length === 0) return;
    const text = lines.join("\n");
    lines = [];
    chars = 0;
    write(text);
  }

  return {
    log(record, waitUntil) {
      const line = JSON.stringify(record);
      lines.push(line);
      chars += line.length + 1;
      if (chars >= maxChars) flush();
      if (timerOpen || lines.length === 0) return;
      timerOpen = true;
      const written = new Promise<void>((resolve) =>
        setTimer(() => {
          timerOpen = false;
          flush();
          resolve();
        }, flushMs),
      );
      waitUntil?.(written);
    },
    flush,
  };
}
