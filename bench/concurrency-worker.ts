// Concurrency against the Worker: N simultaneous streaming chat requests (N = 1, 2, 4, 8) to
// `wrangler dev` (real workerd, the repository's wrangler.toml: the in-Worker engine on
// onnxruntime-web with the shipped int8 new-KV petrel-mini, one isolate, open mode via .env),
// greedy, EOS and BOS banned so every stream decodes exactly --tokens. Per level: aggregate tokens/s
// (all completion tokens ÷ the round's wall time), TTFT p50/p99 pooled over every stream of every
// repetition, per-stream decode tokens/s, workerd's own CPU per token, and the Worker's own time to
// each first token (its Server-Timing `queue`: from the request entering the app to the engine's
// first token, on the isolate's clock, without wrangler's proxy on either side). Levels rotate within each
// repetition; medians over repetitions. Also per token: the CPU of wrangler's own Node process (the
// local proxy between client and workerd) and of this load generator, which share the machine. And
// a transport floor: the same requests, same rotation, to a second wrangler dev whose backend is an
// instant fake upstream — the TTFT that wrangler dev and the app cost at each level with no engine —
// and a platform floor: the same requests to the minimal Worker of the gateway benchmark behind the
// same [assets] front (bench/workers/minimal-proxy/wrangler-assets.toml), which returns
// fetch(upstream): what wrangler dev costs a Worker that does nothing. `summary`: the top level
// against one stream, aggregate (ratio of medians and median of per-repetition ratios) and TTFT p50.
// Writes <out>/<name>.json.
//   npx tsx bench/concurrency-worker.ts [--levels 1,2,4,8] [--reps 5] [--tokens 128] [--out bench/results]
//     [--name concurrency-worker]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { parseArgs } from "node:util";
import { levelRows, type Round, streamRound, topVsOne } from "./lib/concurrency-report.js";
import { chatOnce, type Sample } from "./lib/http-load.js";
import { type Proc, startFakeUpstream, startWrangler, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, median, percentile, rotate, round } from "./lib/stats.js";

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

/** CPU ms used so far by wrangler's process group (Linux /proc): workerd, and the rest (wrangler's Node). */
function groupCpuMs(group: number): { workerd: number; wrangler: number } {
  const cpu = { workerd: 0, wrangler: 0 };
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    if (Number(fields[2]) !== group) continue;
    cpu[comm.startsWith("workerd") ? "workerd" : "wrangler"] +=
      (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return cpu;
}

interface WorkerRound extends Round {
  /** wrangler's own Node process (the local proxy in front of workerd) per token */
  wranglerCpuMsPerToken: number;
  /** this load generator's CPU per token (it shares the machine) */
  clientCpuMsPerToken: number;
  /**
   * The Worker's own time to each stream's first token, as its clock saw it: Server-Timing `queue`
   * (from the request entering the app until the engine's first token, when the headers are sent).
   */
  workerTtftMs: number[];
}

async function measureRound(worker: Proc, level: number, rep: number): Promise<WorkerRound> {
  const agent = new Agent({ keepAlive: true, maxSockets: level });
  const cpuBefore = groupCpuMs(worker.pid);
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  const samples: Sample[] = await Promise.all(
    Array.from({ length: level }, (_, i) => chatOnce(agent, worker.url, body(i), true)),
  );
  const wallMs = performance.now() - start;
  const client = process.cpuUsage(clientBefore);
  const cpu = groupCpuMs(worker.pid);
  agent.destroy();
  const r = streamRound(rep, samples, wallMs, "worker");
  return {
    ...r,
    serverCpuMsPerToken: round((cpu.workerd - cpuBefore.workerd) / r.tokens, 3),
    wranglerCpuMsPerToken: round((cpu.wrangler - cpuBefore.wrangler) / r.tokens, 3),
    clientCpuMsPerToken: round((client.user + client.system) / 1000 / r.tokens, 3),
    workerTtftMs: samples.map((s) => s.serverTiming.queue ?? Number.NaN),
  };
}

/**
 * The same N simultaneous requests against a Worker whose backend answers at once: TTFT without the
 * engine, and workerd's CPU per request.
 */
async function floorRound(
  floor: Proc,
  level: number,
): Promise<{ ttftMs: number[]; cpuMsPerRequest: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: level });
  const before = groupCpuMs(floor.pid).workerd;
  const samples = await Promise.all(
    Array.from({ length: level }, (_, i) => chatOnce(agent, floor.url, body(i), true)),
  );
  const cpuMs = groupCpuMs(floor.pid).workerd - before;
  agent.destroy();
  if (samples.some((s) => s.status !== 200)) throw new Error("a floor's worker failed");
  return { ttftMs: samples.map((s) => round(s.firstMs)), cpuMsPerRequest: cpuMs / level };
}

const machine = machineInfo(["wrangler"]);
const worker = await startWrangler({ PETREL_REQUEST_LOG: "off" });
// The transport floor: a second wrangler dev whose only backend is the instant fake upstream
// (bench/lib/fake-openai.ts), so its TTFT is wrangler dev + the app, without the engine.
const upstream = await startFakeUpstream();
const floorConfig = {
  health: { intervalMs: 600_000 },
  models: { "petrel-mini": { backends: [{ id: "fake", url: upstream.url, kind: "openai" }] } },
};
const floor = await startWrangler({
  PETREL_REQUEST_LOG: "off",
  PETREL_BACKENDS: JSON.stringify(floorConfig),
});
// The platform floor: a Worker that only returns fetch(upstream), behind the same [assets] front.
const platform = await startWrangler(
  { UPSTREAM: upstream.url },
  "bench/workers/minimal-proxy/wrangler-assets.toml",
);
try {
  // warm-up: isolate start, model load, one round at the top level
  const warm = new Agent({ keepAlive: true });
  for (let i = 0; i < 2; i++) await chatOnce(warm, worker.url, body(i), true);
  for (let i = 0; i < 2; i++) await chatOnce(warm, floor.url, body(i), true);
  for (let i = 0; i < 2; i++) await chatOnce(warm, platform.url, body(i), true);
  warm.destroy();
  await measureRound(worker, Math.max(...levels), -1);
  const rounds = new Map<number, WorkerRound[]>(levels.map((l) => [l, []]));
  const floorTtfts = new Map<number, number[]>(levels.map((l) => [l, []]));
  const floorCpu = new Map<number, number[]>(levels.map((l) => [l, []]));
  const platformTtfts = new Map<number, number[]>(levels.map((l) => [l, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const level of rotate(levels, rep)) {
      rounds.get(level)?.push(await measureRound(worker, level, rep));
      const f = await floorRound(floor, level);
      floorTtfts.get(level)?.push(...f.ttftMs);
      floorCpu.get(level)?.push(f.cpuMsPerRequest);
      platformTtfts.get(level)?.push(...(await floorRound(platform, level)).ttftMs);
    }
    console.error(`rep ${rep + 1}/${reps} done, load ${loadNow()}`);
  }
  const rows = levelRows(levels, rounds).map((row) => {
    const rs = rounds.get(row.concurrency) ?? [];
    return {
      ...row,
      wrangler_cpu_ms_per_token: round(median(rs.map((r) => r.wranglerCpuMsPerToken)), 3),
      client_cpu_ms_per_token: round(median(rs.map((r) => r.clientCpuMsPerToken)), 3),
      worker_ttft_p50_ms: round(
        percentile(
          rs.flatMap((r) => r.workerTtftMs),
          50,
        ),
      ),
      floor_ttft_p50_ms: round(percentile(floorTtfts.get(row.concurrency) ?? [], 50)),
      floor_workerd_cpu_ms_per_request: round(median(floorCpu.get(row.concurrency) ?? []), 1),
      platform_floor_ttft_p50_ms: round(percentile(platformTtfts.get(row.concurrency) ?? [], 50)),
    };
  });
  const top = topVsOne(rows);
  const [first, last] = [rows[0], rows[rows.length - 1]];
  const ttft1 = first?.ttft_p50_ms ?? Number.NaN;
  const report = {
    benchmark: "concurrency-worker",
    target:
      "client → wrangler dev (workerd, one isolate, open mode via .env, request log off) → in-Worker engine",
    model: "models/petrel-mini (onnx/model_new_kv_quantized.onnx, int8, onnxruntime-web WASM, one thread)",
    floor:
      "the same requests to a second wrangler dev whose backend is bench/lib/fake-openai.ts (answers at once)",
    platformFloor:
      "the same requests to bench/workers/minimal-proxy (returns fetch(upstream)) behind the same [assets] front, to the same fake upstream",
    maxTokens,
    reps,
    summary: {
      ...top,
      ttft_p50_ms_1: ttft1,
      ttft_p50_ratio: round(top.ttft_p50_ms_top / ttft1),
      worker_ttft_p50_ms_1: first?.worker_ttft_p50_ms,
      worker_ttft_p50_ms_top: last?.worker_ttft_p50_ms,
      worker_ttft_p50_ratio: round(
        (last?.worker_ttft_p50_ms ?? Number.NaN) / (first?.worker_ttft_p50_ms ?? Number.NaN),
      ),
      floor_ttft_p50_ms_1: first?.floor_ttft_p50_ms,
      floor_ttft_p50_ms_top: last?.floor_ttft_p50_ms,
      floor_ttft_p50_ratio: round(
        (last?.floor_ttft_p50_ms ?? Number.NaN) / (first?.floor_ttft_p50_ms ?? Number.NaN),
      ),
      platform_floor_ttft_p50_ms_1: first?.platform_floor_ttft_p50_ms,
      platform_floor_ttft_p50_ms_top: last?.platform_floor_ttft_p50_ms,
      platform_floor_ttft_p50_ratio: round(
        (last?.platform_floor_ttft_p50_ms ?? Number.NaN) / (first?.platform_floor_ttft_p50_ms ?? Number.NaN),
      ),
    },
    rows,
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  };
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report.summary));
} finally {
  await stopAll();
}
process.exit(0);
