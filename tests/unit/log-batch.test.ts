// The Worker's batched request log (http/log-batch.ts): records leave together in one write, in
// order, when the batch's timer fires or when it is full; the request that opened a batch gets the
// timer's promise for its waitUntil, and only that timer settles it. The timer is driven here.
import { describe, expect, it } from "vitest";
import { batchedLog, type LogBatchOptions } from "../../service/src/http/log-batch.js";

function harness(options: Omit<LogBatchOptions, "write" | "setTimer"> = {}) {
  const writes: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const batch = batchedLog<{ n: number }>({
    flushMs: 1_000,
    ...options,
    write: (text) => writes.push(text),
    setTimer: (fn, ms) => void timers.push({ fn, ms }),
  });
  const fire = () => timers.shift()?.fn();
  return { batch, writes, timers, fire };
}

describe("batchedLog", () => {
  it("writes nothing while requests log; one write of every record as JSON lines when the timer fires", () => {
    const { batch, writes, timers, fire } = harness();
    const kept: Promise<unknown>[] = [];
    for (let n = 0; n < 3; n++) batch.log({ n }, (p) => kept.push(p));
    expect(writes).toEqual([]);
    // one timer for the batch, one promise, handed to the request that opened it
    expect(timers.map((t) => t.ms)).toEqual([1_000]);
    expect(kept).toHaveLength(1);
    fire();
    expect(writes).toEqual(['{"n":0}\n{"n":1}\n{"n":2}']);
    // each line parses on its own, as a log reader splits them
    expect(writes[0]?.split("\n").map((l) => JSON.parse(l))).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  it("the waitUntil promise settles only once the batch it opened is written", async () => {
    const { batch, writes, fire } = harness();
    let settled = false;
    batch.log({ n: 1 }, (p) => void p.then(() => (settled = true)));
    await Promise.resolve();
    expect(settled).toBe(false);
    fire();
    await Promise.resolve();
    expect(writes).toHaveLength(1);
    expect(settled).toBe(true);
  });

  it("a record after the timer fired opens a new batch with its own timer and promise", () => {
    const { batch, writes, timers, fire } = harness();
    const kept: Promise<unknown>[] = [];
    batch.log({ n: 1 }, (p) => kept.push(p));
    fire();
    batch.log({ n: 2 }, (p) => kept.push(p));
    expect(timers).toHaveLength(1);
    expect(kept).toHaveLength(2);
    fire();
    expect(writes).toEqual(['{"n":1}', '{"n":2}']);
  });

  it("a full batch is written at once; what comes after waits for the open batch's timer", () => {
    const { batch, writes, timers, fire } = harness({ maxChars: 16 });
    batch.log({ n: 1 }); // 8 characters with its newline
    expect(writes).toEqual([]);
    batch.log({ n: 2 }); // 16: full
    expect(writes).toEqual(['{"n":1}\n{"n":2}']);
    batch.log({ n: 3 });
    expect(timers).toHaveLength(1); // still the first batch's timer
    fire();
    expect(writes).toEqual(['{"n":1}\n{"n":2}', '{"n":3}']);
  });

  it("a record larger than a batch leaves alone, at once, and opens no timer", () => {
    const { batch, writes, timers } = harness({ maxChars: 4 });
    const kept: Promise<unknown>[] = [];
    batch.log({ n: 12345 }, (p) => kept.push(p));
    expect(writes).toEqual(['{"n":12345}']);
    expect(timers).toHaveLength(0);
    expect(kept).toHaveLength(0);
  });

  it("flush() writes what is waiting; the timer then finds nothing to write", () => {
    const { batch, writes, fire } = harness();
    batch.log({ n: 1 });
    batch.flush();
    expect(writes).toEqual(['{"n":1}']);
    fire();
    expect(writes).toHaveLength(1);
  });
});
