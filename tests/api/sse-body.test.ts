// sseBody on its own: the pull-driven SSE stream (no TransformStream in between) keeps the framing,
// heartbeats, error events and abort semantics of the chat route's stream.
import { describe, expect, it, vi } from "vitest";
import type { ChatCompletionChunk } from "../../service/src/gateway/types.js";
import { Heartbeat, type StartedStream, sseBody } from "../../service/src/http/sse.js";

const head = { id: "chatcmpl-x", object: "chat.completion.chunk" as const, created: 1, model: "m" };
const delta = (content: string): ChatCompletionChunk => ({
  ...head,
  choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
  usage: null,
});
const usage: ChatCompletionChunk = {
  ...head,
  choices: [],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
} as ChatCompletionChunk;

/** A backend iterator over `chunks`; records whether return() was called. */
function source(chunks: ChatCompletionChunk[], failAt?: number) {
  const seen = { returned: false, pulled: 0 };
  let i = 0;
  const iterator: AsyncIterator<ChatCompletionChunk> = {
    async next() {
      seen.pulled++;
      if (failAt !== undefined && i === failAt) throw new Error("backend died");
      if (i < chunks.length) return { done: false, value: chunks[i++] as ChatCompletionChunk };
      return { done: true, value: undefined };
    },
    async return() {
      seen.returned = true;
      return { done: true, value: undefined };
    },
  };
  // like an upstream's reader: the chunks not handed out yet
  return { iterator, seen, inHand: () => chunks.length - i };
}

async function started(
  iterator: AsyncIterator<ChatCompletionChunk>,
  inHand?: () => number,
): Promise<StartedStream> {
  return { iterator, first: await iterator.next(), inHand };
}

const text = (body: ReadableStream<Uint8Array>) => new Response(body).text();

describe("sseBody", () => {
  it("frames each chunk as one data event, filters usage unless asked, ends with [DONE]", async () => {
    const make = (includeUsage: boolean) => {
      const { iterator } = source([delta("a"), delta("b"), usage]);
      const abort = new AbortController();
      return text(sseBody({ started: started(iterator), includeUsage, heartbeatMs: 10_000, abort }));
    };
    const frame = (c: ChatCompletionChunk) => `data: ${JSON.stringify(c)}\n\n`;
    expect(await make(false)).toBe(`${frame(delta("a"))}${frame(delta("b"))}data: [DONE]\n\n`);
    expect(await make(true)).toBe(`${frame(delta("a"))}${frame(delta("b"))}${frame(usage)}data: [DONE]\n\n`);
  });

  it("sends keep-alive comments while the first chunk is pending (fake timers)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const { iterator } = source([delta("late")]);
      let start: (stream: Promise<StartedStream>) => void = () => {};
      const late = new Promise<StartedStream>((resolve) => {
        start = resolve;
      });
      const body = sseBody({
        started: late,
        includeUsage: false,
        heartbeatMs: 15,
        abort: new AbortController(),
      });
      const out = text(body);
      await vi.advanceTimersByTimeAsync(30); // two intervals with nothing to send
      start(started(iterator));
      const beat = ": keep-alive\n\n";
      expect(await out).toBe(`${beat}${beat}data: ${JSON.stringify(delta("late"))}\n\ndata: [DONE]\n\n`);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a backend failure mid-stream becomes an error event, then [DONE]", async () => {
    const { iterator } = source([delta("a"), delta("b")], 1);
    const abort = new AbortController();
    const out = await text(
      sseBody({ started: started(iterator), includeUsage: false, heartbeatMs: 10_000, abort }),
    );
    const events = out.split("\n\n").filter(Boolean);
    expect(events[0]).toBe(`data: ${JSON.stringify(delta("a"))}`);
    expect(JSON.parse((events[1] as string).slice(6)).error).toBeDefined();
    expect(events[2]).toBe("data: [DONE]");
    expect(events).toHaveLength(3);
  });

  it("cancelling the body (client gone) aborts the signal and returns the backend iterator", async () => {
    const { iterator, seen } = source(Array.from({ length: 1000 }, (_, i) => delta(String(i))));
    const abort = new AbortController();
    const body = sseBody({ started: started(iterator), includeUsage: false, heartbeatMs: 10_000, abort });
    const reader = body.getReader();
    await reader.read();
    await reader.cancel(new Error("gone"));
    expect(abort.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.returned).toBe(true);
  });

  it("pulls from a backend that makes chunks on demand only as the reader reads", async () => {
    // no inHand (the engine): every chunk is made when asked for, so at most one is made ahead
    const { iterator, seen } = source(Array.from({ length: 50 }, (_, i) => delta(String(i))));
    const body = sseBody({
      started: started(iterator),
      includeUsage: false,
      heartbeatMs: 10_000,
      abort: new AbortController(),
    });
    const reader = body.getReader();
    const first = await reader.read();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.pulled).toBeLessThanOrEqual(3);
    // a frame is not held back for the next one
    expect(new TextDecoder().decode(first.value)).toBe(`data: ${JSON.stringify(delta("0"))}\n\n`);
    await reader.cancel();
  });

  it("chunks already received (inHand) leave in one read but for the last, up to 16 KiB at a time", async () => {
    const few = source([delta("a"), delta("b"), usage]);
    const body = sseBody({
      started: started(few.iterator, few.inHand),
      includeUsage: true,
      heartbeatMs: 10_000,
      abort: new AbortController(),
    });
    const reader = body.getReader();
    const decode = async () => new TextDecoder().decode((await reader.read()).value);
    expect(await decode()).toBe(
      `data: ${JSON.stringify(delta("a"))}\n\ndata: ${JSON.stringify(delta("b"))}\n\n`,
    );
    // the last chunk here is pulled on its own: what follows it may be the stream's end
    expect(await decode()).toBe(`data: ${JSON.stringify(usage)}\n\n`);
    expect(await decode()).toBe("data: [DONE]\n\n");
    expect((await reader.read()).done).toBe(true);

    const many = source(Array.from({ length: 1000 }, (_, i) => delta(String(i))));
    const big = sseBody({
      started: started(many.iterator, many.inHand),
      includeUsage: false,
      heartbeatMs: 10_000,
      abort: new AbortController(),
    }).getReader();
    const firstWrite = (await big.read()).value as Uint8Array;
    expect(firstWrite.length).toBeGreaterThanOrEqual(16 * 1024);
    expect(firstWrite.length).toBeLessThan(16 * 1024 + 200);
    expect(many.seen.pulled).toBeLessThan(200);
    await big.cancel();
  });

  it("reports its end once: finished (false) or cancelled by the client (true)", async () => {
    const ends: boolean[] = [];
    const done = sseBody({
      started: started(source([delta("a")]).iterator),
      includeUsage: false,
      heartbeatMs: 10_000,
      abort: new AbortController(),
      onEnd: (cancelled) => ends.push(cancelled),
    });
    await text(done);
    const { iterator } = source(Array.from({ length: 1000 }, (_, i) => delta(String(i))));
    const reader = sseBody({
      started: started(iterator),
      includeUsage: false,
      heartbeatMs: 10_000,
      abort: new AbortController(),
      onEnd: (cancelled) => ends.push(cancelled),
    }).getReader();
    await reader.read();
    await reader.cancel();
    await reader.cancel();
    expect(ends).toEqual([false, true]);
  });
});

describe("Heartbeat (one timer per stream)", () => {
  const tick = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  it("beats every interval of one continuous wait, not during short waits", async () => {
    vi.useFakeTimers();
    try {
      let beats = 0;
      const heart = new Heartbeat(
        100,
        () => beats++,
        () => Date.now(),
      );
      // 40 short waits of 10 ms each: 400 ms of streaming, never 100 ms waiting at once
      for (let i = 0; i < 40; i++) {
        const wait = heart.during(new Promise((resolve) => setTimeout(resolve, 10)));
        await tick(10);
        await wait;
      }
      expect(beats).toBe(0);
      const long = heart.during(new Promise((resolve) => setTimeout(resolve, 350)));
      await tick(350);
      await long;
      expect(beats).toBe(3);
      await tick(1000);
      expect(beats).toBe(3); // not waiting: no beats
      const again = heart.during(new Promise(() => {}));
      await tick(250);
      expect(beats).toBe(5);
      heart.stop();
      await tick(1000);
      expect(beats).toBe(5);
      void again;
    } finally {
      vi.useRealTimers();
    }
  });
});
