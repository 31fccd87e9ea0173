// The Node servers' request log: one JSON line per request on stdout, written in batches off the
// request path. A console.log per request is a synchronous write(2) to a pipe or file (Node writes
// stdout synchronously there) inside the request's own CPU time; here a request only appends its
// record to a buffer, and a timer (or a full buffer) writes the lines out together. Pending lines
// are written at exit, so a stopped server loses none; a killed one (SIGKILL) loses at most one
// interval's worth.

export interface LogSinkOptions {
  /** Longest a line waits in the buffer. */
  flushMs?: number;
  /** Write at once when this many characters are waiting. */
  maxChars?: number;
  write?: (text: string) => void;
}

export interface LogSink<T> {
  log(record: T): void;
  flush(): void;
}

export function batchedJsonLines<T>(options: LogSinkOptions = {}): LogSink<T> {
  const flushMs = options.flushMs ?? 100;
  const maxChars = options.maxChars ?? 64 * 1024;
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  let pending: T[] = [];
  let chars = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const records = pending;
    pending = [];
    chars = 0;
    let text = "";
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    write(text);
  }

  process.once("exit", flush);
  return {
    log(record) {
      pending.push(record);
      // records are small and alike: their count stands in for their size until the flush
      chars += 256;
      if (chars >= maxChars) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushMs);
        timer.unref?.();
      }
    },
    flush,
  };
}
