// The scheduler → reader hand-off: a reader that keeps up sees every delta as pushed; one that is
// behind gets what it has not taken merged into one delta per choice (text, ids and logprobs in order).
import { describe, expect, it } from "vitest";
import { EventChannel } from "../../service/src/engine/batching/event-channel.js";
import type { GenerateEvent, TokenLogprob } from "../../service/src/engine/index.js";

const lp = (token: string): TokenLogprob => ({ token, logprob: -1, bytes: null, topLogprobs: [] });
const delta = (index: number, text: string, id: number): GenerateEvent => ({
  type: "delta",
  index,
  text,
  tokenIds: [id],
  logprobs: [lp(text)],
});

async function take(channel: EventChannel, count: number): Promise<GenerateEvent[]> {
  const out: GenerateEvent[] = [];
  const reader = channel.drain();
  for (let i = 0; i < count; i++) {
    const next = await reader.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe("EventChannel", () => {
  it("a reader that keeps up gets one delta per push", async () => {
    const channel = new EventChannel();
    const reader = channel.drain();
    const got: GenerateEvent[] = [];
    for (const [i, text] of ["a", "b", "c"].entries()) {
      const next = reader.next();
      channel.push([delta(0, text, i)]);
      got.push((await next).value as GenerateEvent);
    }
    expect(got.map((e) => (e.type === "delta" ? e.text : ""))).toEqual(["a", "b", "c"]);
  });

  it("a reader that is behind gets the deltas of each choice merged, in order; finish events stay", async () => {
    const channel = new EventChannel();
    channel.push([delta(0, "he", 1)]);
    channel.push([delta(0, "ll", 2)]);
    channel.push([delta(1, "x", 9)]);
    channel.push([delta(1, "y", 8), { type: "finish", index: 1, finishReason: "stop" }]);
    channel.push([delta(0, "o", 3), { type: "finish", index: 0, finishReason: "length" }]);
    channel.end();
    const events = await take(channel, 10);
    expect(events).toEqual([
      { type: "delta", index: 0, text: "hell", tokenIds: [1, 2], logprobs: [lp("he"), lp("ll")] },
      { type: "delta", index: 1, text: "xy", tokenIds: [9, 8], logprobs: [lp("x"), lp("y")] },
      { type: "finish", index: 1, finishReason: "stop" },
      { type: "delta", index: 0, text: "o", tokenIds: [3], logprobs: [lp("o")] },
      { type: "finish", index: 0, finishReason: "length" },
    ]);
  });

  it("with an interval, the reader gets the first delta at once, then deltas of `interval` tokens; a finish goes at once", async () => {
    const channel = new EventChannel();
    channel.interval = 3;
    const reader = channel.drain();
    const got: GenerateEvent[] = [];
    const next = () => reader.next().then((r) => got.push(r.value as GenerateEvent));
    channel.push([delta(0, "a", 1)]);
    await next();
    let pending = next();
    let taken = false;
    void pending.then(() => {
      taken = true;
    });
    channel.push([delta(0, "b", 2)]);
    channel.push([delta(0, "c", 3)]);
    await new Promise((r) => setImmediate(r));
    expect(taken).toBe(false); // two tokens gathered, the interval is three
    channel.push([delta(0, "d", 4)]);
    await pending;
    pending = next();
    channel.push([delta(0, "e", 5), { type: "finish", index: 0, finishReason: "stop" }]);
    await pending;
    await next();
    expect(got).toEqual([
      { type: "delta", index: 0, text: "a", tokenIds: [1], logprobs: [lp("a")] },
      { type: "delta", index: 0, text: "bcd", tokenIds: [2, 3, 4], logprobs: [lp("b"), lp("c"), lp("d")] },
      { type: "delta", index: 0, text: "e", tokenIds: [5], logprobs: [lp("e")] },
      { type: "finish", index: 0, finishReason: "stop" },
    ]);
  });

  it("with an interval, the end of the stream hands over what has gathered", async () => {
    const channel = new EventChannel();
    channel.interval = 4;
    channel.push([delta(0, "a", 1)]);
    const reader = channel.drain();
    expect((await reader.next()).value).toMatchObject({ text: "a" });
    const pending = reader.next();
    channel.push([delta(0, "b", 2)]);
    channel.end();
    expect((await pending).value).toMatchObject({ text: "b" });
    expect((await reader.next()).done).toBe(true);
  });

  it("a failure is thrown after what was already buffered", async () => {
    const channel = new EventChannel();
    channel.push([delta(0, "a", 1)]);
    channel.fail(new Error("boom"));
    const reader = channel.drain();
    expect((await reader.next()).value).toMatchObject({ text: "a" });
    await expect(reader.next()).rejects.toThrow("boom");
  });
});
