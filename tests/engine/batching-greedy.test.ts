// Greedy output of requests that share decode steps equals each request run alone (batch size 1),
// token id for token id: mixed prompt lengths (chunked prefill), requests joining while others
// decode and leaving at different lengths, on onnxruntime-node and onnxruntime-web. Logprobs are compared too (to 1e-4): the
// shipped model may be random weights whose argmax survives small errors, a wrong mask does not.
import { afterAll, describe, expect, it } from "vitest";
import type { OnnxVariant, PetrelEngine, SessionFactory } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { webSessions } from "../../service/src/ort/web.js";
import { drain, enginePair, mixedPrompts, recordingSessions } from "./batching-helpers.js";
import { type Collected, collect } from "./helpers.js";

// [name, sessions, new-KV layout, variant]: Petrel's new-KV graph (model_new_kv.onnx: the runner
// keeps the cache buffers and fetches only this run's K/V), and the convention graph (model.onnx,
// the cache carried through present.*, as for any transformers.js-ready export). fp32 both: int8
// quantizes activations per tensor, so co-batched rows would change each other's output.
const flavours: [string, () => SessionFactory, boolean, OnnxVariant][] = [
  ["onnxruntime-node, model_new_kv.onnx (new-KV)", () => nodeSessions(), true, "new-kv"],
  ["onnxruntime-web, model_new_kv.onnx (new-KV)", () => webSessions(), true, "new-kv"],
  ["onnxruntime-node, model.onnx (present)", () => nodeSessions(), false, "fp32"],
  ["onnxruntime-web, model.onnx (present)", () => webSessions(), false, "fp32"],
];

const logprobsOf = (out: Collected) =>
  out.events.flatMap((e) => (e.type === "delta" ? (e.logprobs ?? []).map((l) => l.logprob) : []));

describe.each(flavours)("shared-step greedy = lone greedy (%s)", (_name, sessions, newKv, variant) => {
  const model = "petrel-mini";
  let plain: PetrelEngine;
  let batched: PetrelEngine;
  afterAll(async () => {
    await plain?.dispose();
    await batched?.dispose();
  });

  it("12 requests of 1–150 prompt tokens, staggered joins, mixed lengths: identical ids", async () => {
    const recorded = recordingSessions(sessions());
    ({ plain, batched } = await enginePair(model, recorded, { maxBatchSize: 6, prefillChunk: 16 }, variant));
    const prompts = mixedPrompts(model, 12);
    const params = (i: number) => ({ temperature: 0, maxTokens: 6 + ((i * 11) % 35), logprobs: true });
    const reference: Collected[] = [];
    for (const [i, ids] of prompts.entries())
      reference.push(await collect(plain.generateFromIds(ids, params(i))));
    recorded.shapes.length = 0;

    // requests 0–4 start together; request i+5 starts when request i streams its first delta
    const results: Promise<Collected>[] = [];
    const start = (i: number): void => {
      if (i >= prompts.length || results[i]) return;
      results[i] = drain(batched.generateFromIds(prompts[i] as number[], params(i)), () =>
        start(i + 5),
      ).finally(() => start(i + 5));
    };
    for (const i of [0, 1, 2, 3, 4]) start(i);
    const got: Collected[] = [];
    for (let i = 0; i < prompts.length; i++) {
      while (!results[i]) await new Promise((r) => setTimeout(r, 5));
      got.push(await (results[i] as Promise<Collected>));
    }

    expect(got.map((o) => o.ids[0])).toEqual(reference.map((o) => o.ids[0]));
    expect(got.map((o) => o.finish)).toEqual(reference.map((o) => o.finish));
    for (const [i, out] of got.entries()) {
      const want = logprobsOf(reference[i] as Collected);
      const have = logprobsOf(out);
      expect(have.length).toBe(want.length);
      for (const [t, lp] of have.entries()) expect(Math.abs(lp - (want[t] as number))).toBeLessThan(1e-4);
    }
    // rows really shared decode runs, and long prompts really ran in chunks of ≤16
    const decodeBatches = recorded.shapes.filter(([, seq]) => seq === 1).map(([batch]) => batch);
    expect(Math.max(...decodeBatches)).toBeGreaterThanOrEqual(5);
    expect(new Set(decodeBatches).size).toBeGreaterThanOrEqual(4); // rows came and went
    expect(Math.max(...recorded.shapes.map(([, seq]) => seq))).toBe(16);
    // the new-KV layout fetches logits and new_key_values only; present mode fetches everything
    const fetches = recorded.fetched.slice(-decodeBatches.length);
    const want = newKv ? ["logits", "new_key_values"] : undefined;
    expect(fetches.every((f) => JSON.stringify(f) === JSON.stringify(want))).toBe(true);
  });
});

describe("streamInterval (onnxruntime-web, model_new_kv.onnx)", () => {
  it("8 requests sharing steps: the same ids as alone, the first delta as alone, later ones gathered", async () => {
    const model = "petrel-mini";
    const { plain, batched } = await enginePair(
      model,
      webSessions(),
      { maxBatchSize: 8, streamInterval: 4 },
      "new-kv",
    );
    try {
      const prompts = mixedPrompts(model, 8).map((ids) => ids.slice(0, 20));
      const params = { temperature: 0, maxTokens: 24, logitBias: { 0: -100, 2: -100 } };
      const reference: Collected[] = [];
      for (const ids of prompts) reference.push(await collect(plain.generateFromIds(ids, params)));
      const got = await Promise.all(prompts.map((ids) => drain(batched.generateFromIds(ids, params))));
      expect(got.map((o) => o.ids[0])).toEqual(reference.map((o) => o.ids[0]));
      const deltaSizes = (o: Collected) =>
        o.events.flatMap((e) => (e.type === "delta" ? [e.tokenIds.length] : []));
      const sizes = got.map(deltaSizes);
      const alone = reference.map(deltaSizes);
      // the first delta goes out as soon as its text is whole (a token that ends inside a character
      // waits for the next), never gathered: the same size as alone
      expect(sizes.map((s) => s[0])).toEqual(alone.map((s) => s[0]));
      // alone, a delta holds only the tokens that finish a character (UTF-8: at most 4 bytes); with
      // 8 rows sharing steps, deliveries gather up to 4 tokens
      expect(Math.max(...alone.flat())).toBeLessThanOrEqual(4);
      expect(Math.max(...sizes.flat())).toBeGreaterThanOrEqual(3);
      expect(sizes.flat().length).toBeLessThan(8 * 24 * 0.6);
    } finally {
      await plain.dispose();
      await batched.dispose();
    }
  });
});
