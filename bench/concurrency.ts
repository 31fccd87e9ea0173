// Concurrency benchmark: N simultaneous streaming chat requests (N = 1, 2, 4, 8, 16) against one
// Petrel backend server (a real process, `npm run backend`), greedy, EOS banned so every stream
// decodes exactly max_tokens. Per level: aggregate tokens/s (all completion tokens / wall time of the
// round), p50/p99 time to first token, per-stream decode tokens/s. Levels rotate each repetition;
// medians over repetitions. Writes <out>/concurrency.json (one row per level).
//   npx tsx bench/concurrency.ts [--model models/petrel-mini] [--reps 5] [--tokens 128]
//     [--levels 1,2,4,8,16] [--backend-flags "|--batch-size 1"] [--out bench/results]
// --backend-flags takes backend server flag sets separated by "|"; each gets its own server and the
// rounds alternate between them (A/B), e.g. batching on (defaults) vs off.

import { writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { parseArgs } from "node:util";
import { sseEvent } from "../service/src/http/sse.js";
import { chatOnce, type Sample } from "./lib/http-load.js";
import { type Proc, startBackend, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, median, percentile, processCpuMs, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/petrel-mini" },
    reps: { type: "string", default: "5" },
    tokens: { type: "string", default: "128" },
    levels: { type: "string", default: "1,2,4,8,16" },
    "backend-flags": { type: "string", default: "" },
    out: { type: "string", default: "bench/results" },
  },
});
const reps = Number(values.reps);
const maxTokens = Number(values.tokens);
const levels = (values.levels as string).split(",").map(Number);
// "|" separates configurations compared in the same run: "|--batch-size 1" = defaults vs FIFO engine
const configFlags = (values["backend-flags"] as string).split("|").map((c) => c.split(" ").filter(Boolean));
const questions = ["Tell me about petrels.", "What is 12 plus 7?", "Describe the sea at night.", "Hello!"];

function body(i: number): string {
  return JSON.stringify({
    model: "petrel-mini",
    messages: [{ role: "user", content: questions[i % questions.length] }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
    logit_bias: { "2": -100 }, // EOS: every stream does the same amount of work
  });
}

interface Round {
  rep: number;
  wallMs: number;
  tokens: number;
  aggregateTokS: number;
  /** the backend process's own CPU per token: what the wall-clock figures cost, without neighbours */
  serverCpuMsPerToken: number;
  ttftMs: number[];
  streamTokS: number[];
}

async function round_(backend: Proc, level: number, rep: number): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: level });
  const cpuBefore = processCpuMs(backend.pid);
  const start = performance.now();
  const samples: Sample[] = await Promise.all(
    Array.from({ length: level }, (_, i) => chatOnce(agent, backend.url, body(i), true)),
  );
  const wallMs = performance.now() - start;
  const cpuMs = processCpuMs(backend.pid) - cpuBefore;
  agent.destroy();
  const bad = samples.find((s) => s.status !== 200);
  if (bad) throw new Error(`backend answered ${bad.status}`);
  const tokens = samples.reduce((n, s) => n + (s.completionTokens ?? 0), 0);
  return {
    rep,
    wallMs: round(wallMs),
    tokens,
    aggregateTokS: round((tokens / wallMs) * 1000, 1),
    serverCpuMsPerToken: round(cpuMs / tokens, 3),
    ttftMs: samples.map((s) => round(s.firstMs)),
    // a client's view of decode speed: tokens after the first over the time after the first
    streamTokS: samples.map((s) =>
      round((((s.completionTokens ?? 1) - 1) / (s.totalMs - s.firstMs)) * 1000, 1),
    ),
  };
}

const pairRatios = (a: Round[], b: Round[]) =>
  a.map((r, i) => r.aggregateTokS / (b[i]?.aggregateTokS ?? Number.NaN));

async function capacity(backend: Proc): Promise<unknown> {
  const res = await fetch(`${backend.url}/v1/load`);
  return res.json();
}

/** µs to turn one token's chunk into SSE bytes with the server's own writer (JSON + encode). */
function sseEventUs(): number {
  const chunk = {
    id: "chatcmpl-5003c6d279484a709879353d4d9e7b41",
    object: "chat.completion.chunk",
    created: 1795876776,
    model: "petrel-mini",
    choices: [{ index: 0, delta: { content: " petrel" }, logprobs: null, finish_reason: null }],
    usage: null,
  };
  const calls = 20_000;
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) bytes += sseEvent(JSON.stringify(chunk)).length;
  const us = ((performance.now() - start) / calls) * 1000;
  if (bytes === 0) throw new Error("no bytes"); // uses the result, so the loop is not optimised away
  return round(us, 3);
}

interface Config {
  name: string;
  flags: string[];
  backend: Proc;
  rounds: Map<number, Round[]>;
}

function summarize(config: Config) {
  const rows = levels.map((level) => {
    const rs = config.rounds.get(level) as Round[];
    const ttfts = rs.flatMap((r) => r.ttftMs);
    return {
      concurrency: level,
      aggregate_tok_s: round(median(rs.map((r) => r.aggregateTokS)), 1),
      ttft_p50_ms: round(percentile(ttfts, 50)),
      ttft_p99_ms: round(percentile(ttfts, 99)),
      stream_tok_s_p50: round(median(rs.flatMap((r) => r.streamTokS)), 1),
      server_cpu_ms_per_token: round(median(rs.map((r) => r.serverCpuMsPerToken)), 3),
      runs: rs,
    };
  });
  const base = rows[0]?.aggregate_tok_s ?? Number.NaN;
  return rows.map((r) => ({ ...r, scaling_vs_1: round(r.aggregate_tok_s / base) }));
}

async function describe(config: Config) {
  return {
    name: config.name,
    // the server under test exactly as started
    command: `npm run backend -- ${config.backend.args.slice(3).join(" ")}`,
    flags: config.flags,
    load: await capacity(config.backend),
    // per token at concurrency 1 as a client sees it; compare engine.json's decode step
    clientMsPerTokenAt1: 0,
    rows: summarize(config),
  };
}

const machine = machineInfo();
// One backend server per configuration, all started up front; rounds alternate between them.
const configs: Config[] = [];
for (const flags of configFlags) {
  const backend = await startBackend(values.model as string, flags);
  configs.push({
    name: flags.join(" ") || "defaults",
    flags,
    backend,
    rounds: new Map(levels.map((l) => [l, []])),
  });
}
try {
  for (const c of configs) {
    const agent = new Agent({ keepAlive: true });
    for (let i = 0; i < 2; i++) await chatOnce(agent, c.backend.url, body(i), true); // warm-up
    agent.destroy();
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const level of rotate(levels, rep)) {
      for (const c of rotate(configs, rep)) c.rounds.get(level)?.push(await round_(c.backend, level, rep));
    }
  }
  const described = await Promise.all(configs.map(describe));
  for (const d of described)
    d.clientMsPerTokenAt1 = round(1000 / (d.rows[0]?.stream_tok_s_p50 ?? Number.NaN), 3);
  const first = described[0] as (typeof described)[number];
  const report = {
    benchmark: "concurrency",
    model: values.model,
    maxTokens,
    reps,
    sseEventUs: sseEventUs(),
    // the first configuration (the server's defaults unless told otherwise): one row per level
    backend: { command: first.command, flags: first.flags, load: first.load },
    rows: first.rows,
    // every configuration, paired per level: aggregate tok/s of each over the first's, same repetitions
    configs: described.map((d) => ({
      ...d,
      aggregate_ratio_vs_first: levels.map((level, i) => ({
        concurrency: level,
        ratio: round(median(pairRatios(d.rows[i]?.runs ?? [], first.rows[i]?.runs ?? [])), 3),
      })),
    })),
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  };
  writeFileSync(`${values.out}/concurrency.json`, `${JSON.stringify(report, null, 2)}\n`);
  for (const d of report.configs) console.log(d.name, JSON.stringify(d.rows.map(({ runs: _, ...r }) => r)));
} finally {
  await stopAll();
}
process.exit(0);
