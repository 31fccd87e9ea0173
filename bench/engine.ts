// Engine benchmark: prefill and decode tokens/s of Petrel on onnxruntime-node and onnxruntime-web,
// of transformers.js, and of llama.cpp (node-llama-cpp on the directory's GGUF: Q8_0 against int8,
// F32 against fp32) at each count in --llama-threads, on the same model directory, same prompts
// (golden.json), greedy; then a thread sweep of Petrel and llama.cpp on one prompt (--sweep-threads,
// bench/lib/thread-sweep.ts). Medians over alternating runs; prints JSON and writes
// bench/results/engine.json (+ .svg).
//   npx tsx bench/engine.ts [--model models/petrel-mini] [--variant int8] [--tokens 64] [--reps 5]
//     [--llama-threads 1] [--sweep-threads 1,2]
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type OnnxVariant, onnxPath } from "../service/src/engine/index.js";
import { breakdown, sessionRunShare } from "./engine-breakdown.js";
import { barChart } from "./engine-svg.js";
import { allSystems, petrelVariant, type System } from "./engine-systems.js";
import { ensureModel } from "./lib/bench-model.js";
import { hasGguf, llamaCppSystem } from "./lib/llama-cpp.js";
import { llamaCppRatios } from "./lib/llama-cpp-ratios.js";
import { threadSweep } from "./lib/thread-sweep.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/petrel-mini" },
    variant: { type: "string", default: "int8" },
    tokens: { type: "string", default: "64" },
    reps: { type: "string", default: "5" },
    out: { type: "string", default: "bench/results/engine" },
    "llama-threads": { type: "string", default: "1" },
    "sweep-threads": { type: "string", default: "1,2" },
  },
});
const dir = resolve(ensureModel(values.model as string));
const variant = values.variant as OnnxVariant;
const tokens = Number(values.tokens);
const reps = Number(values.reps);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const golden = JSON.parse(readFileSync(`${dir}/golden.json`, "utf8")) as {
  cases: { name: string; input_ids: number[] }[];
};
const context = JSON.parse(readFileSync(`${dir}/config.json`, "utf8")).max_position_embeddings as number;
const prompts = golden.cases.filter((c) => c.input_ids.length + tokens <= context).slice(0, 4);
const systems: System[] = await allSystems(dir, variant);
const llamaKind = variant === "fp32" ? "f32" : "q8_0";
const numbers = (x: unknown) => (x as string).split(",").filter(Boolean).map(Number);
const llamaThreads = numbers(values["llama-threads"]);
const hasLlama = hasGguf(dir, llamaKind);
if (hasLlama) for (const threads of llamaThreads) systems.push(await llamaCppSystem(dir, llamaKind, threads));

// Warm-up, and a check that all three produce the same greedy tokens (else the race is unfair).
const agree: Record<string, boolean> = {};
for (const p of prompts) {
  const ref = await (systems[0] as System).generate(p.input_ids, tokens);
  for (const s of systems.slice(1))
    agree[`${s.name}:${p.name}`] =
      JSON.stringify(await s.generate(p.input_ids, tokens)) === JSON.stringify(ref);
}

const samples: Record<string, { prefill: number[]; decode: number[] }> = {};
for (const s of systems) samples[s.name] = { prefill: [], decode: [] };
for (let rep = 0; rep < reps; rep++) {
  // rotate the order each repetition so no system always runs on a warmer or cooler machine
  const order = systems.map((_, i) => systems[(i + rep) % systems.length] as System);
  for (const p of prompts) {
    for (const s of order) {
      const first = await time(() => s.generate(p.input_ids, 1));
      const decodeMs = (await time(() => s.generate(p.input_ids, tokens))) - first;
      const entry = samples[s.name] as (typeof samples)[string];
      entry.prefill.push((p.input_ids.length / first) * 1000);
      entry.decode.push(((tokens - 1) / decodeMs) * 1000);
    }
  }
}

const results = Object.fromEntries(
  Object.entries(samples).map(([name, s]) => [
    name,
    {
      prefillTokPerS: Math.round(median(s.prefill)),
      decodeTokPerS: Math.round(median(s.decode)),
      decodeMsPerToken: +(1000 / median(s.decode)).toFixed(3),
    },
  ]),
);
// Petrel and llama.cpp at each thread count, one prompt, 32 new tokens (llama.cpp past one thread
// can crawl on a loaded machine: kept out of the main table's many runs)
const sweep =
  hasLlama && numbers(values["sweep-threads"]).length > 0
    ? await threadSweep({
        dir,
        variant,
        kind: llamaKind,
        threads: numbers(values["sweep-threads"]),
        ids: prompts[0]?.input_ids ?? [1],
        tokens: Math.min(tokens, 32),
        reps,
      })
    : undefined;
const tjs = results["transformers.js"] as { decodeTokPerS: number; prefillTokPerS: number };
const ratio = (name: string, key: "decodeTokPerS" | "prefillTokPerS", base = tjs) =>
  +((results[name] as typeof tjs)[key] / base[key]).toFixed(2);
const tjsOneThread = results["transformers.js(1-thread)"] as typeof tjs;
const report = {
  model: values.model,
  variant,
  newTokens: tokens,
  prompts: prompts.map((p) => ({ name: p.name, promptTokens: p.input_ids.length })),
  reps,
  // the benchmark machine is shared: the load average says how contended these numbers are
  machine: { cpus: cpus().length, loadAverage1m: +(loadavg()[0] ?? 0).toFixed(2), node: process.version },
  greedyAgreesWithPetrelNode: agree,
  results,
  ratiosVsTransformersJs: {
    nodeDecode: ratio("petrel+onnxruntime-node", "decodeTokPerS"),
    nodeDefaultThreadsDecode: ratio("petrel+onnxruntime-node(ort-default-threads)", "decodeTokPerS"),
    nodePrefill: ratio("petrel+onnxruntime-node", "prefillTokPerS"),
    webDecode: ratio("petrel+onnxruntime-web", "decodeTokPerS"),
    webPrefill: ratio("petrel+onnxruntime-web", "prefillTokPerS"),
    // both on one intra-op thread: the engine loops compared with the thread choice taken out
    nodeDecodeSameThreads: ratio("petrel+onnxruntime-node", "decodeTokPerS", tjsOneThread),
    // Petrel on transformers.js's own file (present.* every step): the loop without the layout
    nodeDecodeSameFile: ratio("petrel+onnxruntime-node(transformers.js file)", "decodeTokPerS"),
  },
  // Petrel on onnxruntime-node over llama.cpp, decode tok/s: at one thread each, at two, and each
  // at the thread count it does best at in this run
  ratiosVsLlamaCpp: llamaCppRatios(results, sweep?.rows),
  threadSweep: sweep,
  files: {
    petrel: onnxPath(petrelVariant(dir, variant)),
    transformersJs: onnxPath(variant),
    llamaCpp: llamaKind === "f32" ? "model.gguf" : "model-q8_0.gguf",
  },
  // per token, inside onnxruntime's session.run vs the engine's own loop, for every node system
  sessionRunShareMs: await sessionRunShare(
    systems.filter((s) => !s.name.includes("web")),
    prompts[0]?.input_ids ?? [1],
    tokens,
  ),
  perTokenBreakdownMs: await breakdown(
    dir,
    petrelVariant(dir, variant),
    prompts[0]?.input_ids ?? [1],
    tokens,
  ),
};
console.log(JSON.stringify(report, null, 2));
writeFileSync(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(`${values.out}.svg`, barChart(results));
process.exit(0);
