// Where workerd's CPU per token goes in the in-Worker engine, without HTTP: a probe Worker
// (bench/workers/engine-probe/, the shipped petrel-mini int8 new-KV engine on onnxruntime-web) under
// `wrangler dev`, workerd's own CPU per token from /proc, at batch 1 and batch B:
//   steps     the batch runner's decode steps alone (feeds, session.run, new K/V written in place)
//   generate  B concurrent greedy requests through the engine (template, tokenizer, prefill chunks,
//             scheduler, logits processing, detokenizer, events), EOS/BOS banned: --tokens each
//   request   the same with one token each: the engine's cost per request (template, tokenizer,
//             a prompt's prefill, the first pick), per request
// Cases rotate within each repetition; medians over repetitions. `summary`: the 8-vs-1 ratio of the
// session runs alone (the ceiling of any batching gain on this model and runtime) and of the whole
// engine, and the engine's CPU per token outside the session runs. Writes <out>/<name>.json.
//   npx tsx bench/worker-engine-cost.ts [--batch 8] [--tokens 128] [--reps 9] [--out bench/results]
//     [--name worker-engine-cost]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { processTree } from "./lib/proc-memory.js";
import { startWrangler, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, median, processCpuMs, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "8" },
    tokens: { type: "string", default: "128" },
    reps: { type: "string", default: "9" },
    out: { type: "string", default: "bench/results" },
    name: { type: "string", default: "worker-engine-cost" },
  },
});
const [batch, tokens, reps] = [values.batch, values.tokens, values.reps].map(Number) as [
  number,
  number,
  number,
];
// cached positions the steps start from: the chat template around a short question is 13-17 tokens
const cached = 16;

interface Case {
  name: "steps" | "generate" | "request";
  batch: number;
  path: string;
}
// `rounds` repeats the work inside one request, so each reading spans many 10 ms CPU ticks
const roundsFor = (c: Omit<Case, "path">) =>
  c.name === "request" ? 24 : Math.max(3, Math.round(16 / c.batch));
const cases: Case[] = [
  { name: "steps" as const, batch: 1 },
  { name: "steps" as const, batch },
  { name: "generate" as const, batch: 1 },
  { name: "generate" as const, batch },
  { name: "request" as const, batch },
].map((c) => {
  const t = c.name === "request" ? 1 : tokens;
  const route = c.name === "steps" ? "steps" : "generate";
  return { ...c, path: `/${route}?b=${c.batch}&t=${t}&p=${cached}&rounds=${roundsFor(c)}` };
});
const key = (c: Case) => `${c.name}@${c.batch}`;

const machine = machineInfo(["wrangler"]);
const probe = await startWrangler({}, "bench/workers/engine-probe/wrangler.toml");
try {
  // every workerd process in wrangler's group (it may run more than one)
  const workerdCpuMs = () =>
    processTree("probe", probe.pid)
      .filter((p) => p.label.startsWith("probe:workerd"))
      .reduce((sum, p) => sum + processCpuMs(p.pid), 0);
  const measure = async (c: Case) => {
    const cpu0 = workerdCpuMs();
    const t0 = performance.now();
    const res = await fetch(`${probe.url}${c.path}`);
    if (res.status !== 200) throw new Error(`${c.path}: ${res.status} ${await res.text()}`);
    const { tokens: made } = (await res.json()) as { tokens: number };
    const wallMs = performance.now() - t0;
    const cpuMs = workerdCpuMs() - cpu0;
    // per token, except the request case: per request (each made one token)
    return { cpuMs: round(cpuMs / made, 4), wallMs: round(wallMs / made, 4), made };
  };
  for (const c of cases) await measure(c); // warm-up: isolate, sessions, JIT
  const runs = new Map<string, Awaited<ReturnType<typeof measure>>[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const c of rotate(cases, rep)) runs.set(key(c), [...(runs.get(key(c)) ?? []), await measure(c)]);
    console.error(`rep ${rep + 1}/${reps} done, load ${loadNow()}`);
  }
  const rows = cases.map((c) => {
    const rs = runs.get(key(c)) ?? [];
    const per = c.name === "request" ? "request" : "token";
    return {
      case: c.name,
      batch: c.batch,
      per,
      cpu_ms: round(median(rs.map((r) => r.cpuMs)), 4),
      wall_ms: round(median(rs.map((r) => r.wallMs)), 4),
      runs: rs,
    };
  });
  const cpu = (name: string, b: number) => rows.find((r) => r.case === name && r.batch === b)?.cpu_ms ?? NaN;
  // batch 1 ÷ top batch within each repetition (neighbours on a shared machine move both), then the median
  const paired = (name: string) => {
    const [one, top] = [runs.get(`${name}@1`) ?? [], runs.get(`${name}@${batch}`) ?? []];
    return round(median(one.map((r, i) => r.cpuMs / (top[i]?.cpuMs ?? NaN))));
  };
  const summary = {
    batch,
    steps_cpu_ms_per_token_1: cpu("steps", 1),
    steps_cpu_ms_per_token_top: cpu("steps", batch),
    steps_ratio: round(cpu("steps", 1) / cpu("steps", batch)),
    steps_ratio_paired: paired("steps"),
    generate_cpu_ms_per_token_1: cpu("generate", 1),
    generate_cpu_ms_per_token_top: cpu("generate", batch),
    generate_ratio: round(cpu("generate", 1) / cpu("generate", batch)),
    generate_ratio_paired: paired("generate"),
    outside_runs_ms_per_token_1: round(cpu("generate", 1) - cpu("steps", 1), 4),
    outside_runs_ms_per_token_top: round(cpu("generate", batch) - cpu("steps", batch), 4),
    request_cpu_ms: cpu("request", batch),
  };
  const report = {
    benchmark: "worker-engine-cost",
    target: "wrangler dev (workerd, one isolate) → bench/workers/engine-probe: the engine without HTTP",
    model: "models/petrel-mini (onnx/model_new_kv_quantized.onnx, int8, onnxruntime-web WASM, one thread)",
    tokens,
    cached,
    reps,
    summary,
    rows,
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  };
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(summary));
} finally {
  await stopAll();
}
process.exit(0);
