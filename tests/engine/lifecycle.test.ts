// Request lifecycle on the engine: context-limit errors before the first event, max_tokens and
// context-limit finishes, abort at the next step (and while queued), n > 1, and batch size 1 as a
// setting of the one scheduler (requests queue in arrival order).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ContextLengthExceededError,
  createEngine,
  InvalidParamError,
  type PetrelEngine,
} from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { fakeScriptedSessions } from "./fake-session.js";
import { collect, engineOn, modelDir } from "./helpers.js";

let engine: PetrelEngine;
beforeAll(async () => {
  engine = await engineOn("tiny-random", nodeSessions());
});
afterAll(() => engine.dispose());

const user = (content: string) => [{ role: "user" as const, content }];

describe("context limit", () => {
  it("a prompt that cannot fit throws ContextLengthExceededError synchronously, before any event", () => {
    const ctx = engine.info.contextLength;
    const ids = new Array(ctx).fill(65);
    expect(() => engine.generateFromIds(ids, {})).toThrow(ContextLengthExceededError);
    const long = "word ".repeat(ctx);
    expect(() => engine.generate({ messages: user(long) })).toThrow(ContextLengthExceededError);
  });

  it("prompt + max_tokens over the context throws with the numbers the API reports", () => {
    const ctx = engine.info.contextLength;
    try {
      engine.generateFromIds([1, 2, 3], { maxTokens: ctx });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ContextLengthExceededError);
      const e = error as ContextLengthExceededError;
      expect([e.promptTokens, e.requestedTokens, e.contextLength]).toEqual([3, ctx, ctx]);
    }
  });

  it("without max_tokens, generation stops with 'length' exactly at the context limit", async () => {
    const ctx = engine.info.contextLength;
    const prompt = new Array(ctx - 6).fill(0).map((_, i) => 40 + (i % 50));
    const r = await collect(
      engine.generateFromIds(prompt, { temperature: 0.8, seed: 5, logitBias: { 2: -100, 0: -100 } }),
    );
    expect(r.finish[0]).toBe("length");
    expect(r.usage).toEqual({ promptTokens: ctx - 6, completionTokens: 6 });
  });

  it("max_tokens ends with 'length' and usage counts every token", async () => {
    const r = await collect(
      engine.generate({ messages: user("Hi"), maxTokens: 7, seed: 1, logitBias: { 2: -100, 0: -100 } }),
    );
    expect(r.finish[0]).toBe("length");
    expect(r.ids[0]).toHaveLength(7);
    expect(r.usage?.completionTokens).toBe(7);
    expect(r.usage?.promptTokens).toBe(engine.tokenizer.encodeChat(user("Hi")).length);
  });

  it("invalid parameters throw InvalidParamError naming the wire parameter", () => {
    const bad = (params: object, param: string) => {
      try {
        engine.generate({ messages: user("x"), ...params });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidParamError);
        expect((error as InvalidParamError).param).toBe(param);
      }
    };
    bad({ temperature: 3 }, "temperature");
    bad({ topP: 0 }, "top_p");
    bad({ n: 0 }, "n");
    bad({ topLogprobs: 3 }, "top_logprobs");
    bad({ logitBias: { 99999: 1 } }, "logit_bias");
  });
});

describe("abort", () => {
  it("aborting after the second delta stops decoding at the next step and throws the reason", async () => {
    const files = await readModelDir(modelDir("tiny-random"));
    const sessions = fakeScriptedSessions({
      script: new Array(100).fill(65),
      promptLength: 3,
      vocabSize: 1024,
      numLayers: 2,
      // each run ends in a later macrotask, so the reader sees every delta one step after it
      beforeRun: () => new Promise((resolve) => setImmediate(resolve)),
    });
    const fake = await createEngine({ files, sessions });
    const controller = new AbortController();
    let deltas = 0;
    let runsAtAbort = -1;
    await expect(
      (async () => {
        for await (const event of fake.generateFromIds(
          [1, 2, 3],
          { temperature: 0, maxTokens: 100 },
          controller.signal,
        )) {
          if (event.type === "delta" && ++deltas === 2) {
            runsAtAbort = sessions.runs;
            controller.abort(new Error("client went away"));
          }
        }
      })(),
    ).rejects.toThrow("client went away");
    // prefill, the step that produced the 2nd token and the one in flight when the reader saw it
    expect(runsAtAbort).toBe(3);
    for (let i = 0; i < 50 && fake.load().active > 0; i++) await new Promise((r) => setImmediate(r));
    // none started after the abort, and the scheduler let go of the request
    expect(sessions.runs).toBe(runsAtAbort);
    expect(fake.load()).toEqual({ queued: 0, active: 0, capacity: 8 });
  });

  it("batch size 1: a request aborted while queued never runs and leaves the queue", async () => {
    const single = await engineOn("tiny-random", nodeSessions(), "int8", { maxBatchSize: 1 });
    const first = single.generate({ messages: user("one"), maxTokens: 20, seed: 1 })[Symbol.asyncIterator]();
    await first.next(); // first now holds the only row
    const controller = new AbortController();
    const second = collect(single.generate({ messages: user("two"), maxTokens: 5 }, controller.signal));
    expect(single.load()).toEqual({ queued: 1, active: 1, capacity: 1 });
    controller.abort(new Error("gave up waiting"));
    await expect(second).rejects.toThrow("gave up waiting");
    expect(single.load().queued).toBe(0);
    await first.return?.();
    expect(single.load()).toEqual({ queued: 0, active: 0, capacity: 1 });
    await single.dispose();
  });
});

describe("n > 1 and batch size 1", () => {
  it("n choices each get an index, a finish and their own PRNG stream; usage sums them", async () => {
    const params = { messages: user("Once upon a time"), n: 3, maxTokens: 12, seed: 42, temperature: 1.5 };
    const a = await collect(engine.generate(params));
    const b = await collect(engine.generate(params));
    expect(a.texts).toEqual(b.texts);
    expect(a.finish).toHaveLength(3);
    expect(new Set(a.texts).size).toBeGreaterThan(1);
    const total =
      a.ids.reduce((sum, ids) => sum + ids.length, 0) + a.finish.filter((f) => f === "stop").length;
    expect(a.usage?.completionTokens).toBe(total);
  });

  // fp32: the n rows share decode steps, and int8's per-tensor activation scales would let the
  // other two rows move choice 0's logits (engine/README.md, "int8 and shared steps")
  it("choice 0 of n=3 equals the n=1 run with the same seed (shared prefill, own rows; fp32)", async () => {
    const fp32 = await engineOn("tiny-random", nodeSessions(), "fp32");
    const params = { messages: user("Hello"), maxTokens: 10, seed: 9 };
    const one = await collect(fp32.generate(params));
    const three = await collect(fp32.generate({ ...params, n: 3 }));
    expect(three.texts[0]).toBe(one.texts[0]);
    await fp32.dispose();
  });

  it("batch size 1: concurrent requests run one at a time in arrival order, each as if alone", async () => {
    const single = await engineOn("tiny-random", nodeSessions(), "int8", { maxBatchSize: 1 });
    const p1 = { messages: user("first request"), maxTokens: 16, seed: 1 };
    const p2 = { messages: user("second, different"), maxTokens: 16, seed: 2 };
    const alone1 = await collect(engine.generate(p1));
    const alone2 = await collect(engine.generate(p2));
    const order: number[] = [];
    const tag = async (i: number, stream: AsyncIterable<unknown>) => {
      const r = await collect(stream as never);
      order.push(i);
      return r;
    };
    const [c1, c2] = await Promise.all([tag(1, single.generate(p1)), tag(2, single.generate(p2))]);
    expect(c1.texts).toEqual(alone1.texts);
    expect(c2.texts).toEqual(alone2.texts);
    expect(order).toEqual([1, 2]);
    await single.dispose();
  });
});
