// Batching keeps every request's own semantics: aborts, early leaves and errors touch only their
// own sequence; n>1 and seeded sampling give what the unbatched engine gives; admission is FIFO
// under the row and KV caps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogitsProcessor, PetrelEngine, SessionFactory } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { webSessions } from "../../service/src/ort/web.js";
import { drain, enginePair, interceptRuns, mixedPrompts, recordingSessions } from "./batching-helpers.js";
import { type Collected, collect } from "./helpers.js";

const model = "petrel-mini";
const prompts = mixedPrompts(model, 6);
const greedy = (maxTokens: number) => ({ temperature: 0, maxTokens });
/** Greedy with the end ids banned: exactly maxTokens (or up to the context), whatever the model would say. */
const endless = (maxTokens?: number) => ({ temperature: 0, maxTokens, logitBias: { 0: -100, 2: -100 } });

/** Real onnxruntime-node, but a run whose input_ids hold `poison` throws (a fault a real model can't be made to raise mid-decode). */
function poisonedSessions(poison: number): SessionFactory {
  return interceptRuns(nodeSessions(), "fake-poisoned", (session, feeds, fetches) => {
    const ids = feeds.input_ids?.data as BigInt64Array;
    if (ids.includes(BigInt(poison))) return Promise.reject(new Error(`poisoned token ${poison}`));
    return session.run(feeds, fetches);
  });
}

describe("batching: cancellation, errors, sampling, admission", () => {
  let plain: PetrelEngine;
  let batched: PetrelEngine;
  const reference: number[][] = [];
  beforeAll(async () => {
    ({ plain, batched } = await enginePair(model, nodeSessions(), { maxBatchSize: 8, prefillChunk: 16 }));
    for (const ids of prompts)
      reference.push((await collect(plain.generateFromIds(ids, greedy(30)))).ids[0] ?? []);
  });
  afterAll(async () => {
    await plain?.dispose();
    await batched?.dispose();
  });

  it("an abort mid-stream and a consumer that walks away leave the other rows' output unchanged", async () => {
    const abort = new AbortController();
    const runs = prompts.map((ids, i) => {
      if (i === 1)
        return drain(
          batched.generateFromIds(ids, endless(30), abort.signal),
          (n) => n === 3 && abort.abort(new Error("client gone")),
        );
      if (i === 2) {
        return (async () => {
          let seen = 0;
          for await (const event of batched.generateFromIds(ids, endless(30)))
            if (event.type === "delta" && ++seen === 2) break;
          return undefined;
        })();
      }
      return drain(batched.generateFromIds(ids, greedy(30)));
    });
    const settled = await Promise.allSettled(runs);
    expect(settled[1]).toMatchObject({ status: "rejected", reason: { message: "client gone" } });
    for (const i of [0, 3, 4, 5]) {
      const result = settled[i] as PromiseFulfilledResult<Collected>;
      expect(result.value.ids[0] ?? []).toEqual(reference[i]);
    }
    expect(batched.load()).toMatchObject({ active: 0, queued: 0 });
  });

  it("a reader that stops pulling holds back only itself: a new arrival still runs to the end", async () => {
    const longest = reference.indexOf([...reference].sort((a, b) => b.length - a.length)[0] as number[]);
    expect(reference[longest]?.length).toBeGreaterThan(10);
    const stalled = batched.generateFromIds(prompts[longest] as number[], greedy(30))[Symbol.asyncIterator]();
    await stalled.next(); // then nobody reads it while the late arrival runs
    const other = longest === 3 ? 4 : 3;
    const late = await drain(batched.generateFromIds(prompts[other] as number[], greedy(30)));
    expect(late.ids[0] ?? []).toEqual(reference[other]);
    await stalled.return?.(undefined);
    while (batched.load().active > 0) await new Promise((r) => setImmediate(r));
    expect(batched.load()).toMatchObject({ active: 0, queued: 0 });
  });

  it("a prompt the model rejects (token id out of vocabulary) fails alone", async () => {
    const bad = [5, 6, 999_999];
    const runs = [
      drain(batched.generateFromIds(prompts[0] as number[], greedy(30))),
      drain(batched.generateFromIds(bad, greedy(5))),
    ];
    const [good, failed] = await Promise.allSettled(runs);
    expect(failed?.status).toBe("rejected");
    expect((good as PromiseFulfilledResult<Collected>).value.ids[0] ?? []).toEqual(reference[0]);
  });

  it("fake fault: a decode step that fails for one row is retried row by row; only that request fails", async () => {
    const poison = 777;
    expect(reference.flat()).not.toContain(poison);
    const recorded = recordingSessions(poisonedSessions(poison));
    const { batched: faulty, plain: unused } = await enginePair(model, recorded, { maxBatchSize: 8 });
    await unused.dispose();
    try {
      const runs = prompts.map((ids, i) =>
        drain(
          faulty.generateFromIds(ids, i === 3 ? { ...greedy(30), logitBias: { [poison]: 100 } } : greedy(30)),
        ),
      );
      const settled = await Promise.allSettled(runs);
      expect(settled[3]).toMatchObject({
        status: "rejected",
        reason: { message: `poisoned token ${poison}` },
      });
      for (const i of [0, 1, 2, 4, 5]) {
        expect((settled[i] as PromiseFulfilledResult<Collected>).value.ids[0] ?? []).toEqual(reference[i]);
      }
      expect(recorded.shapes.some(([batch, seq]) => batch > 1 && seq === 1)).toBe(true);
    } finally {
      await faulty.dispose();
    }
  });

  it("a row that runs into the context limit ends with length there, beside shorter rows", async () => {
    const long = mixedPrompts(model, 9)[8] as number[]; // 150 tokens
    const context = batched.arch.contextLength;
    const want = await collect(plain.generateFromIds(long, endless()));
    const [got] = await Promise.all([
      drain(batched.generateFromIds(long, endless())),
      drain(batched.generateFromIds(prompts[3] as number[], greedy(30))),
    ]);
    expect(got.ids[0]).toEqual(want.ids[0]);
    expect(got.ids[0]?.length).toBe(context - long.length);
    expect(got.finish).toEqual(["length"]);
  });

  it("n=3 seeded sampling with stop strings: the same choices, texts and usage as unbatched", async () => {
    const params = {
      temperature: 0.9,
      topP: 0.95,
      seed: 1234,
      n: 3,
      maxTokens: 25,
      stop: ["e "],
      logprobs: true,
    };
    const want = await collect(plain.generateFromIds(prompts[4] as number[], params));
    const [got] = await Promise.all([
      drain(batched.generateFromIds(prompts[4] as number[], params)),
      drain(batched.generateFromIds(prompts[5] as number[], greedy(20))),
      drain(batched.generateFromIds(prompts[2] as number[], { ...params, seed: 99, n: 2 })),
    ]);
    expect(got.ids).toEqual(want.ids);
    expect(got.texts).toEqual(want.texts);
    expect(got.finish).toEqual(want.finish);
    expect(got.usage).toEqual(want.usage);
  });
});

/** Allows only `script[k]` at step k (a stand-in for a grammar's token mask); records what it is told. */
function scripted(script: number[]): LogitsProcessor & { accepted: number[] } {
  const accepted: number[] = [];
  return {
    accepted,
    process(logits) {
      const allowed = script[accepted.length] ?? 0;
      for (let id = 0; id < logits.length; id++) if (id !== allowed) logits[id] = Number.NEGATIVE_INFINITY;
    },
    accept: (id) => accepted.push(id),
  };
}

describe("batching on onnxruntime-web (runs that never leave the microtask queue)", () => {
  it("every stream of 8 gets its first delta before any of them has ended", async () => {
    const { plain, batched } = await enginePair(model, webSessions(), { maxBatchSize: 8 });
    await plain.dispose();
    const order: string[] = [];
    await Promise.all(
      mixedPrompts(model, 8).map((ids, i) =>
        drain(batched.generateFromIds(ids, endless(24)), (n) => {
          if (n === 1) order.push(`first ${i}`);
        }).then(() => order.push(`end ${i}`)),
      ),
    );
    await batched.dispose();
    const firstEnd = order.findIndex((e) => e.startsWith("end"));
    expect(order.slice(0, firstEnd).filter((e) => e.startsWith("first"))).toHaveLength(8);
  });
});

describe("batching: per-row logits processors", () => {
  it("each choice's processors shape only its own row and see only its own tokens", async () => {
    const { plain, batched } = await enginePair(model, nodeSessions(), { maxBatchSize: 8 });
    const free = (await collect(plain.generateFromIds(prompts[1] as number[], greedy(12)))).ids[0];
    const scripts = [
      [40, 41, 42, 43, 44, 45],
      [50, 51, 52, 53, 54, 55],
    ];
    const made: ReturnType<typeof scripted>[] = [];
    const logitsProcessors = (index: number) => {
      made[index] = scripted(scripts[index] as number[]);
      return [made[index] as LogitsProcessor];
    };
    const [masked, unmasked] = await Promise.all([
      drain(batched.generateFromIds(prompts[0] as number[], { ...greedy(6), n: 2, logitsProcessors })),
      drain(batched.generateFromIds(prompts[1] as number[], greedy(12))),
    ]);
    await plain.dispose();
    await batched.dispose();
    expect(masked.ids).toEqual(scripts);
    expect(made.map((p) => p.accepted)).toEqual(scripts);
    expect(unmasked.ids[0]).toEqual(free);
  });
});

describe("batching: admission caps", () => {
  it("maxBatchSize 2: at most 2 rows per decode run, the rest wait and are admitted in arrival order", async () => {
    const recorded = recordingSessions(nodeSessions());
    // a prefill budget above every prompt's length: each prompt is prefilled in one run of its own
    const { batched, plain } = await enginePair(model, recorded, { maxBatchSize: 2, prefillChunk: 256 });
    await plain.dispose();
    let sawQueue = false;
    const runs = prompts.map((ids) =>
      drain(batched.generateFromIds(ids, greedy(12)), () => {
        sawQueue ||= batched.load().queued > 0;
      }),
    );
    // one more, aborted while it waits: it rejects at once and never reaches the model
    const waiting = new AbortController();
    const queuedRun = drain(batched.generateFromIds([9, 9, 9, 9, 9, 9, 9], greedy(12), waiting.signal));
    waiting.abort(new Error("gave up waiting"));
    await expect(queuedRun).rejects.toThrow("gave up waiting");
    await Promise.all(runs);
    await batched.dispose();
    expect(sawQueue).toBe(true);
    expect(Math.max(...recorded.shapes.map(([batch]) => batch))).toBe(2);
    // each prompt is prefilled in one run of its own length: their order is the admission order
    // (the aborted 7-token prompt is not among them)
    const prefills = recorded.shapes.filter(([, seq]) => seq > 1).map(([, seq]) => seq);
    expect(prefills).toEqual(prompts.map((p) => p.length).filter((n) => n > 1));
  });

  it("a long prompt is prefilled in chunks with decode steps of the running stream between them", async () => {
    const recorded = recordingSessions(nodeSessions());
    const { batched, plain } = await enginePair(model, recorded, { maxBatchSize: 4, prefillChunk: 16 });
    await plain.dispose();
    const long = mixedPrompts(model, 9)[8] as number[]; // 150 tokens → 10 chunks
    let late: Promise<unknown> | undefined;
    await drain(batched.generateFromIds(prompts[1] as number[], endless(60)), (n) => {
      if (n === 1) late = drain(batched.generateFromIds(long, greedy(4)));
    });
    await late;
    await batched.dispose();
    const kinds = recorded.shapes.map(([, seq]) => (seq === 16 ? "chunk" : seq === 1 ? "step" : "other"));
    const first = kinds.indexOf("chunk");
    const last = kinds.lastIndexOf("chunk");
    expect(kinds.filter((k) => k === "chunk").length).toBe(Math.floor(long.length / 16));
    // between any two chunks of the late prompt, the running stream got a decode step
    for (let i = first; i < last; i++)
      if (kinds[i] === "chunk") expect(kinds.slice(i + 1, i + 3)).toContain("step");
  });

  // onnxruntime-web's runs never leave the microtask queue: its readers must still get each first
  // token before the next prompt's run, so a Worker writes each response as soon as it can.
  it.each([
    ["node", nodeSessions()],
    ["web", webSessions()],
  ] as const)(
    "requests that arrive together get each first token as soon as their own prompt is read (%s)",
    async (_name, sessions) => {
      const recorded = recordingSessions(sessions);
      const { batched, plain } = await enginePair(model, recorded, { maxBatchSize: 8, prefillChunk: 32 });
      await plain.dispose();
      const together = prompts.slice(1, 4); // 3, 9 and 17 tokens: one budget of 32, no decode step between
      const seen: { prefills: number; steps: number }[] = [];
      const count = () => ({
        prefills: recorded.shapes.filter(([, seq]) => seq > 1).length,
        steps: recorded.shapes.filter(([, seq]) => seq === 1).length,
      });
      await Promise.all(
        together.map((ids, i) =>
          drain(batched.generateFromIds(ids, greedy(4)), (n) => {
            if (n === 1) seen[i] = count();
          }),
        ),
      );
      await batched.dispose();
      // the k-th prompt's first token reaches its reader after k + 1 prompt runs and no decode step
      expect(seen).toEqual(together.map((_, k) => ({ prefills: k + 1, steps: 0 })));
    },
  );

  it("maxKvTokens: a request that would overflow the KV budget waits for room", async () => {
    const recorded = recordingSessions(nodeSessions());
    // each request reserves prompt + 12 positions; the budget admits only the first two of these
    const short = prompts.slice(0, 3);
    const budget = (short[0]?.length ?? 0) + (short[1]?.length ?? 0) + 24;
    const { batched, plain } = await enginePair(model, recorded, { maxBatchSize: 8, maxKvTokens: budget });
    await plain.dispose();
    await Promise.all(short.map((ids) => drain(batched.generateFromIds(ids, greedy(12)))));
    await batched.dispose();
    expect(Math.max(...recorded.shapes.map(([batch]) => batch))).toBe(2);
  });
});
