// Must show, inside real workerd (wrangler dev): greedy == PyTorch's golden.json token for token on
// onnxruntime-web; the same seed gives the same text as onnxruntime-node (fp32); the wasm memory after
// loading the shipped int8 petrel-mini stays ≤ 90 MB (local workerd does not enforce 128 MB).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerateEvent, OnnxVariant } from "../../service/src/engine/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import {
  type Collected,
  collect,
  collectEvents,
  engineOn,
  expectedGreedy,
  type GoldenCase,
  readGolden,
} from "./helpers.js";
import { type RunningWorker, startTestWorker } from "./workerd/start-worker.js";

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(() => worker?.stop());

async function inWorker(body: object) {
  const response = await fetch(`${worker.url}/generate`, { method: "POST", body: JSON.stringify(body) });
  const json = (await response.json()) as {
    events: GenerateEvent[];
    wasmMemoryBytes: number;
    message?: string;
  };
  if (!response.ok) throw new Error(`worker: ${json.message}`);
  return { ...collectEvents(json.events), wasmMemoryBytes: json.wasmMemoryBytes };
}

/** The /stream endpoint: events read line by line as the worker pulls them from the engine. */
async function streamInWorker(body: object) {
  const response = await fetch(`${worker.url}/stream`, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`worker: ${await response.text()}`);
  const lines = (await response.text()).split("\n").filter(Boolean);
  return collectEvents(lines.map((line) => JSON.parse(line) as GenerateEvent));
}

const MB = 1024 * 1024;

describe("onnxruntime-web inside workerd", () => {
  // First, in a fresh isolate: nothing else has grown the wasm memory yet.
  // the shipped Worker's file: int8, new-KV layout (service/src/entry/bundled-model.ts)
  it("wasm memory after loading the shipped int8 petrel-mini is at most 90 MB", async () => {
    const response = await fetch(`${worker.url}/memory?model=petrel-mini&variant=new-kv-int8`);
    const { wasmMemoryBytes } = (await response.json()) as { wasmMemoryBytes: number };
    console.log(
      `workerd wasm memory after loading petrel-mini int8: ${(wasmMemoryBytes / MB).toFixed(1)} MB`,
    );
    expect(wasmMemoryBytes).toBeGreaterThan(0);
    expect(wasmMemoryBytes).toBeLessThanOrEqual(90 * MB);
    const after = await inWorker({
      model: "petrel-mini",
      variant: "new-kv-int8",
      messages: [{ role: "user", content: "Hello!" }],
      params: { maxTokens: 32, seed: 1 },
    });
    console.log(`... and after a 32-token generation: ${(after.wasmMemoryBytes / MB).toFixed(1)} MB`);
    expect(after.wasmMemoryBytes).toBeLessThanOrEqual(90 * MB);
  });

  // fp32 in both layouts: model.onnx (cache through present.*) and model_new_kv.onnx (new-KV)
  const goldenRuns = ["petrel-mini", "tiny-random"].flatMap((m) =>
    (["fp32", "new-kv"] as const).map((v) => [m, v]),
  );
  describe.each(goldenRuns)("golden %s (%s)", (model, variant) => {
    const golden = readGolden(model as string);
    it.each(golden.cases.map((c) => [c.name, c] as const))("greedy %s equals PyTorch", async (_n, c) => {
      const r = await inWorker({
        model,
        variant,
        promptIds: c.input_ids,
        params: { temperature: 0, maxTokens: c.max_new_tokens },
      });
      expect(r.ids[0] ?? []).toEqual(expectedGreedy(c, golden.eos_token_ids ?? []));
    });
  });

  // Every golden prompt at once, each request streamed: they share the isolate's one scheduler, so
  // decode runs hold several rows, and requests that finish early leave the others running.
  // `together` set: every request at once, held in the worker until all have arrived; unset: one by one
  const streamAll = async (variant: OnnxVariant, together?: number) => {
    const golden = readGolden("petrel-mini");
    await fetch(`${worker.url}/runs`); // forget earlier runs
    const request = (c: GoldenCase) =>
      streamInWorker({
        model: "petrel-mini",
        variant,
        promptIds: c.input_ids,
        params: { temperature: 0, maxTokens: c.max_new_tokens, logprobs: true },
        together,
      });
    const results: Collected[] = [];
    if (together) results.push(...(await Promise.all(golden.cases.map(request))));
    else for (const c of golden.cases) results.push(await request(c));
    const runs = (await (await fetch(`${worker.url}/runs`)).json()) as [number, number][];
    const decodeBatches = runs.filter(([, seq]) => seq === 1).map(([batch]) => batch);
    return { golden, results, maxDecodeBatch: Math.max(...decodeBatches) };
  };

  it("concurrent streams share decode steps and each still equals PyTorch's greedy (new-kv, fp32)", async () => {
    const { golden, results, maxDecodeBatch } = await streamAll(
      "new-kv",
      readGolden("petrel-mini").cases.length,
    );
    for (const [i, c] of golden.cases.entries())
      expect(results[i]?.ids[0] ?? []).toEqual(expectedGreedy(c, golden.eos_token_ids ?? []));
    expect(maxDecodeBatch).toBeGreaterThanOrEqual(2);
  });

  // The shipped int8 file batched: int8 quantizes activations with one scale per tensor, so rows
  // that share a decode step nudge each other's logits (engine/README.md, "int8 and shared steps").
  // A prompt's prefill never shares its run, and its chunks start at the same offsets whoever else
  // is waiting (scheduler.ts), so its first token and that token's logprob are exactly the lone run's.
  it("concurrent int8 streams share decode steps; each first token and its logprob equal the lone run's (new-kv-int8)", async () => {
    const alone = await streamAll("new-kv-int8");
    const { results, maxDecodeBatch } = await streamAll("new-kv-int8", alone.golden.cases.length);
    expect(maxDecodeBatch).toBeGreaterThanOrEqual(2);
    for (const [i, c] of alone.golden.cases.entries()) {
      const lone = alone.results[i] as Collected;
      const shared = results[i] as Collected;
      expect(shared.ids[0]?.[0]).toBe(lone.ids[0]?.[0]);
      const firstLogprob = (r: Collected) => r.events.find((e) => e.type === "delta")?.logprobs?.[0];
      expect(firstLogprob(shared)?.token).toBe(firstLogprob(lone)?.token);
      expect(firstLogprob(shared)?.logprob).toBe(firstLogprob(lone)?.logprob);
      expect(shared.finish[0]).toMatch(/^(stop|length)$/);
      // (no ids at all where the first token is an end id, alone and shared alike)
      expect((shared.ids[0] ?? []).length).toBeLessThanOrEqual(c.max_new_tokens);
    }
  });

  // fp32: with int8 weights, fp32 differences of ~1e-6 between the two runtimes flip the rounding of a
  // dynamically quantized activation now and then (logits up to 0.16 apart, bench/README.md), which
  // can flip a sampled token; fp32 logits agree to ~1e-4.
  it.each(["fp32", "new-kv"] as const)(
    "same request and seed give the same text as onnxruntime-node (%s, sampling, n=2, Chinese and emoji)",
    async (variant) => {
      const engine = await engineOn("petrel-mini", nodeSessions(), variant);
      const params = { maxTokens: 40, seed: 1234, temperature: 0.9, topP: 0.95, n: 2 };
      const messages = [{ role: "user" as const, content: "讲个故事 😀 please" }];
      const node = await collect(engine.generate({ ...params, messages }));
      const web = await inWorker({ model: "petrel-mini", variant, messages, params });
      expect(web.texts).toEqual(node.texts);
      expect(web.ids).toEqual(node.ids);
      expect(web.usage).toEqual(node.usage);
      for (const d of web.deltas.flat()) expect(d).not.toMatch(/[\uD800-\uDBFF]$/);
      await engine.dispose();
    },
  );
});
