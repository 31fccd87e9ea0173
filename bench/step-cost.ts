// Decode-step cost without a server: the batch engine's own runner (engine/batching/batch-runner.ts)
// on onnxruntime-node at batch sizes B, KV growing from --prompt to --prompt + --steps, fp32 by
// default, in both of its cache modes: "new-kv" (model_new_kv*.onnx: this run's K/V written into a
// buffer with spare columns; what Petrel's export gets) and "present" (model*.onnx, the convention
// layout: present fed back as past; what any other export gets). No sampling, no events. Fits step(B) ≈ a + B·b from B=1 and the largest B:
// a is paid once per step (node dispatch, weight reads), b per row (its activations and KV). The
// raw 8-vs-1 gain is 8·step(1)/step(8) — the ceiling for the server's aggregate tok/s ratio.
// --runtime web runs the same steps on onnxruntime-web (WASM, one thread: --threads is ignored), the
// Worker's runtime, in this Node process.
// Prints JSON; with --out <dir>, also writes <dir>/<--name, default concurrency-step-cost>.json.
//   npx tsx bench/step-cost.ts [--models models/petrel-mini,bench/models/bench-24m] [--batches 1,2,4,8]
//     [--prompt 20[,100,240]] [--steps 128] [--reps 5] [--threads 1,2] [--variant fp32[,int8]]
//     [--modes new-kv,present] [--runtime node] [--out bench/results] [--name concurrency-step-cost]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BatchRunner } from "../service/src/engine/batching/batch-runner.js";
import { type OnnxVariant, onnxPath } from "../service/src/engine/index.js";
import { parseModelArch } from "../service/src/engine/model-arch.js";
import { nodeSessions } from "../service/src/ort/node.js";
import { readModelDir } from "../service/src/ort/node-files.js";
import { webSessions } from "../service/src/ort/web.js";
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
    modes: { type: "string", default: "new-kv,present" },
    runtime: { type: "string", default: "node" },
    out: { type: "string" },
    name: { type: "string", default: "concurrency-step-cost" },
  },
});
const list = (s: string) => s.split(",").filter(Boolean);
const batches = list(values.batches as string).map(Number);
const prompts = list(values.prompt as string).map(Number);
const [steps, reps] = [values.steps, values.reps].map(Number) as [number, number];
const variants = list(values.variant as string);
const web = values.runtime === "web";

/** One decode of `steps` steps at batch size B; ms per step, wall and this process's CPU (all threads). */
async function decode(runner: BatchRunner, B: number, prompt: number) {
  const rows = [];
  for (let b = 0; b < B; b++) {
    const ids = Array.from({ length: prompt }, (_, i) => 10 + ((i * 7 + b) % 200));
    rows.push((await runner.prefillChunk(ids, undefined)).kv);
  }
  let { block, columns } = runner.pack(rows);
  const lengths = rows.map(() => prompt);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const out = await runner.decode(
      block,
      columns,
      lengths.map((length) => ({ id: 5, length })),
    );
    ({ block, columns } = out);
    for (let b = 0; b < B; b++) lengths[b] = (lengths[b] as number) + 1;
  }
  const wall = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 / steps };
}

async function measure(model: string, threads: number, prompt: number, mode: string, weights: string) {
  const int8 = weights === "int8";
  const variant: OnnxVariant =
    mode === "present" ? (int8 ? "int8" : "fp32") : int8 ? "new-kv-int8" : "new-kv";
  const files = await readModelDir(model, variant);
  const bytes = files[onnxPath(variant)] as Uint8Array;
  const sessions = web ? webSessions() : nodeSessions({ intraOpNumThreads: threads });
  const session = await sessions.create(bytes);
  const runner = new BatchRunner(session, parseModelArch(files));
  for (const B of batches) await decode(runner, B, prompt); // warm-up: arena and kernels for every shape
  const runs = new Map<number, { wall: number; cpu: number }[]>(batches.map((B) => [B, []]));
  for (let rep = 0; rep < reps; rep++) {
    // batch sizes alternate within a repetition, order rotating, so drift hits all of them alike
    const order = batches.map((_, i) => batches[(i + rep) % batches.length] as number);
    for (const B of order) runs.get(B)?.push(await decode(runner, B, prompt));
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
    mode,
    variant: weights,
    runtime: web ? "onnxruntime-web (wasm)" : "onnxruntime-node (cpu)",
    threads: web ? 1 : threads,
    kv: `past ${prompt} → ${prompt + steps}`,
    rows,
    // step(B) ≈ a + B·b through B=1 and the largest B
    fit: { a_ms: round(first.step_ms - first.batch * b, 3), b_ms: round(b, 3) },
    raw_gain_max_vs_1: round((last.batch * first.step_ms) / last.step_ms, 2),
    // the same from this process's CPU per step: what a loaded machine's wall clock blurs
    raw_gain_cpu_max_vs_1: round((last.batch * first.step_cpu_ms) / last.step_cpu_ms, 2),
  };
}

const machine = machineInfo();
const results = [];
for (const model of list(values.models as string).map(ensureModel))
  for (const threads of list(values.threads as string).map(Number))
    for (const prompt of prompts)
      for (const mode of list(values.modes as string))
        for (const weights of variants) results.push(await measure(model, threads, prompt, mode, weights));
const report = {
  benchmark: "step-cost",
  name: values.name,
  runtime: values.runtime,
  variant: values.variant,
  kv: prompts.map((p) => `past ${p} → ${p + steps}`).join(", "),
  reps,
  results,
  machine: { ...machine, loadAverage1mAtEnd: loadNow() },
};
if (values.out) writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
