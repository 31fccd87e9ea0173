// Raw decode-step cost, no engine and no server: onnxruntime-node `session.run` on the with-past
// graph at batch sizes B, KV growing from --prompt to --prompt + --steps (present fed back as past,
// as the batched engine does), fp32 by default. Fits step(B) ≈ a + B·b from B=1 and the largest B:
// a is paid once per step (node dispatch, weight reads), b per row (its activations and KV). The
// raw 8-vs-1 gain is 8·step(1)/step(8) — the ceiling for the server's aggregate tok/s ratio.
// Prints JSON; with --out <dir>, also writes <dir>/<--name, default concurrency-step-cost>.json.
//   npx tsx bench/step-cost.ts [--models models/petrel-mini,bench/models/bench-24m] [--batches 1,2,4,8]
//     [--prompt 20[,100,240]] [--steps 128] [--reps 5] [--threads 1,2] [--variant fp32]
//     [--out bench/results] [--name concurrency-step-cost]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { ensureModel } from "./lib/bench-model.js";
import { loadNow, machineInfo, median, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "models/petrel-mini,bench/models/bench-24m" },
    batches: { type: "string", default: "1,2,4,8" },
    // cached positions before the first step; a list sweeps KV length (b grows with it)
    prompt: { type: "string", default: "20" },
    steps: { type: "string", default: "128" },
    reps: { type: "string", default: "5" },
    threads: { type: "string", default: "1,2" },
    variant: { type: "string", default: "fp32" },
    out: { type: "string" },
    name: { type: "string", default: "concurrency-step-cost" },
  },
});
const list = (s: string) => s.split(",").filter(Boolean);
const batches = list(values.batches as string).map(Number);
const prompts = list(values.prompt as string).map(Number);
const [steps, reps] = [values.steps, values.reps].map(Number) as [number, number];
const file = values.variant === "int8" ? "model_quantized.onnx" : "model.onnx";

const int64 = (n: number, fill: bigint, dims: number[]) =>
  new ort.Tensor("int64", new BigInt64Array(n).fill(fill), dims);

/** One decode of `steps` steps at batch size B; ms per step, wall and this process's CPU (all threads). */
async function decode(session: ort.InferenceSession, B: number, prompt: number) {
  const past: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith("past_key_values.") || !meta.isTensor) continue;
    const dims = meta.shape.map((d, i) => (typeof d === "number" ? d : i === 0 ? B : prompt));
    past[meta.name] = new ort.Tensor("float32", new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const total = prompt + s + 1;
    const out = await session.run({
      input_ids: int64(B, 5n, [B, 1]),
      position_ids: int64(B, BigInt(total - 1), [B, 1]),
      attention_mask: int64(B * total, 1n, [B, total]),
      ...past,
    });
    // present.N.key → past_key_values.N.key, without a copy (as the engine does)
    for (const [name, tensor] of Object.entries(out))
      if (name.startsWith("present.")) past[name.replace("present.", "past_key_values.")] = tensor;
  }
  const wall = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 / steps };
}

async function measure(model: string, threads: number, prompt: number) {
  const session = await ort.InferenceSession.create(`${model}/onnx/${file}`, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: threads,
  });
  for (const B of batches) await decode(session, B, prompt); // warm-up: arena and kernels for every shape
  const runs = new Map<number, { wall: number; cpu: number }[]>(batches.map((B) => [B, []]));
  for (let rep = 0; rep < reps; rep++) {
    // batch sizes alternate within a repetition, order rotating, so drift hits all of them alike
    const order = batches.map((_, i) => batches[(i + rep) % batches.length] as number);
    for (const B of order) runs.get(B)?.push(await decode(session, B, prompt));
  }
  await session.release();
  const rows = batches.map((B) => {
    const rs = runs.get(B) ?? [];
    const wall = median(rs.map((r) => r.wall));
    return {
      batch: B,
      step_ms: round(wall, 3),
      step_cpu_ms: round(median(rs.map((r) => r.cpu)), 3),
      ms_per_token: round(wall / B, 3),
      runs_step_ms: rs.map((r) => round(r.wall, 3)),
    };
  });
  const first = rows[0] as (typeof rows)[number];
  const last = rows[rows.length - 1] as (typeof rows)[number];
  const b = (last.step_ms - first.step_ms) / (last.batch - first.batch);
  return {
    model,
    threads,
    kv: `past ${prompt} → ${prompt + steps}`,
    rows,
    // step(B) ≈ a + B·b through B=1 and the largest B
    fit: { a_ms: round(first.step_ms - first.batch * b, 3), b_ms: round(b, 3) },
    raw_gain_max_vs_1: round((last.batch * first.step_ms) / last.step_ms, 2),
  };
}

const machine = machineInfo();
const results = [];
for (const model of list(values.models as string).map(ensureModel))
  for (const threads of list(values.threads as string).map(Number))
    for (const prompt of prompts) results.push(await measure(model, threads, prompt));
const report = {
  benchmark: "step-cost",
  variant: values.variant,
  kv: prompts.map((p) => `past ${p} → ${p + steps}`).join(", "),
  reps,
  results,
  machine: { ...machine, loadAverage1mAtEnd: loadNow() },
};
if (values.out) writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
