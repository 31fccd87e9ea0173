// The Node servers' batched request log: lines leave in order, together, on the timer or when the
// buffer is full, and nothing is written on the request's own path. Timers are fake (driven here).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { batchedJsonLines } from "../../service/src/server/log-sink.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("batchedJsonLines", () => {
  it("writes nothing while a request logs; one write of every line, in order, when the timer fires", () => {
    const writes: string[] = [];
    const sink = batchedJsonLines<{ n: number }>({ flushMs: 100, write: (t) => writes.push(t) });
    for (let n = 0; n < 3; n++) sink.log({ n });
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(99);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual(['{"n":0}\n{"n":1}\n{"n":2}\n']);
    vi.advanceTimersByTime(1_000);
    expect(writes).toHaveLength(1);
  });

  it("writes at once when the buffer is full, and flush() empties it", () => {
    const writes: string[] = [];
    const sink = batchedJsonLines<{ n: number }>({
      flushMs: 100,
      maxChars: 512,
      write: (t) => writes.push(t),
    });
    sink.log({ n: 1 });
    expect(writes).toEqual([]);
    sink.log({ n: 2 }); // 2 records ≈ 512 characters: full
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n']);
    sink.log({ n: 3 });
    sink.flush();
    expect(writes).toEqual(['{"n":1}\n{"n":2}\n', '{"n":3}\n']);
    vi.advanceTimersByTime(1_000);
    expect(writes).toHaveLength(2);
  });
});
