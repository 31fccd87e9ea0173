// Concurrency against the Worker: N simultaneous streaming chat requests (N = 1, 2, 4, 8) to
// `wrangler dev` (real workerd, the repository's wrangler.toml: the in-Worker engine on
// onnxruntime-web with the shipped int8 new-KV petrel-mini, one isolate, open mode via .env),
// greedy, EOS and BOS banned so every stream decodes exactly --tokens. Per level: aggregate tokens/s
// (all completion tokens ÷ the round's wall time), TTFT p50/p99 pooled over every stream of every
// repetition, per-stream decode tokens/s, workerd's own CPU per token. Levels rotate within each
// repetition; medians over repetitions. `summary`: the top level against one stream, aggregate
// (ratio of medians and median of per-repetition ratios) and TTFT p50. Writes <out>/<name>.json.
//   npx tsx bench/concurrency-worker.ts [--levels 1,2,4,8] [--reps 5] [--tokens 128] [--out bench/results]
//     [--name concurrency-worker]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { parseArgs } from "node:util";
import { levelRows, type Round, topVsOne } from "./lib/concurrency-report.js";
import { chatOnce, type Sample } from "./lib/http-load.js";
import { type Proc, startWrangler, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    levels: { type: "string", default: "1,2,4,8" },
    reps: { type: "string", default: "5" },
    tokens: { type: "string", default: "128" },
    out: { type: "string", default: "bench/results" },
    name: { type: "string", default: "concurrency-worker" },
  },
});
const levels = (values.levels as string).split(",").map(Number);
const reps = Number(values.reps);
const maxTokens = Number(values.tokens);
const questions = ["Tell me about petrels.", "What is 12 plus 7?", "Describe the sea at night.", "Hello!"];

const body = (i: number) =>
  JSON.stringify({
    model: "petrel-mini",
    messages: [{ role: "user", content: questions[i % questions.length] }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
    // the stop ids (EOS 2, BOS 0): every stream does the same amount of work
    logit_bias: { "0": -100, "2": -100 },
  });

/** CPU ms used so far by the workerd processes in wrangler's process group (Linux /proc). */
function workerdCpuMs(group: number): number {
  let ms = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    if (!comm.startsWith("workerd") || Number(fields[2]) !== group) continue;
    ms += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return ms;
}

async function measureRound(worker: Proc, level: number, rep: number): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: level });
  const cpuBefore = workerdCpuMs(worker.pid);
  const start = performance.now();
  const samples: Sample[] = await Promise.all(
    Array.from({ length: level }, (_, i) => chatOnce(agent, worker.url, body(i), true)),
  );
  const wallMs = performance.now() - start;
  const cpuMs = workerdCpuMs(worker.pid) - cpuBefore;
  agent.destroy();
  const bad = samples.find((s) => s.status !== 200);
  if (bad) throw new Error(`worker answered ${bad.status}`);
  const tokens = samples.reduce((n, s) => n + (s.completionTokens ?? 0), 0);
  return {
    rep,
    wallMs: round(wallMs),
    tokens,
    aggregateTokS: round((tokens / wallMs) * 1000, 1),
    serverCpuMsPerToken: round(cpuMs / tokens, 3),
    ttftMs: samples.map((s) => round(s.firstMs)),
    streamTokS: samples.map((s) =>
      round((((s.completionTokens ?? 1) - 1) / (s.totalMs - s.firstMs)) * 1000, 1),
    ),
  };
}

const machine = machineInfo(["wrangler"]);
const worker = await startWrangler({ PETREL_REQUEST_LOG: "off" });
try {
  // warm-up: isolate start, model load, one round at the top level
  const warm = new Agent({ keepAlive: true });
  for (let i = 0; i < 2; i++) await chatOnce(warm, worker.url, body(i), true);
  warm.destroy();
  await measureRound(worker, Math.max(...levels), -1);
  const rounds = new Map<number, Round[]>(levels.map((l) => [l, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const level of rotate(levels, rep)) rounds.get(level)?.push(await measureRound(worker, level, rep));
    console.error(`rep ${rep + 1}/${reps} done, load ${loadNow()}`);
  }
  const rows = levelRows(levels, rounds);
  const top = topVsOne(rows);
  const ttft1 = rows[0]?.ttft_p50_ms ?? Number.NaN;
  const report = {
    benchmark: "concurrency-worker",
    target:
      "client → wrangler dev (workerd, one isolate, open mode via .env, request log off) → in-Worker engine",
    model: "models/petrel-mini (onnx/model_new_kv_quantized.onnx, int8, onnxruntime-web WASM, one thread)",
    maxTokens,
    reps,
    summary: { ...top, ttft_p50_ms_1: ttft1, ttft_p50_ratio: round(top.ttft_p50_ms_top / ttft1) },
    rows,
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  };
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report.summary));
} finally {
  await stopAll();
}
process.exit(0);
