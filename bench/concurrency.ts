// Concurrency benchmark: N simultaneous streaming chat requests (N = 1, 2, 4, 8, 16) against
// Petrel backend servers (real processes, `npm run backend`), greedy, EOS (and BOS, also a stop id)
// banned so every stream decodes exactly max_tokens. Per model, per server configuration, per level:
// aggregate tokens/s (all completion tokens / wall time of the round), p50/p99 time to first token,
// per-stream decode tokens/s, the server's own CPU per token. Models, levels and configurations
// rotate within each repetition; medians over repetitions. Writes <out>/concurrency.json.
//   npx tsx bench/concurrency.ts [--models models/petrel-mini,bench/models/bench-24m] [--reps 5]
//     [--tokens 128] [--levels 1,2,4,8,16] [--backend-flags "|--batch-size 1"] [--out bench/results]
//     [--name concurrency]
// --backend-flags takes backend server flag sets separated by "|"; each gets its own server per model
// and the rounds alternate between them (A/B), e.g. batching on (defaults) vs off. A missing
// bench/models/<preset> is built first (random weights, bench/lib/bench-model.ts).
// Then, per model, the engines alone in this process at the same levels (no HTTP): Petrel's batching
// engine against llama.cpp's N sequences in one context, at each --engine-threads count (default 1;
// "" skips them). bench/lib/engine-concurrency.ts.

import { writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { sseEvent } from "../service/src/http/sse.js";
import { ensureModel } from "./lib/bench-model.js";
import {
  levelRows,
  modelShape,
  pairedRatio,
  type Round,
  streamRound,
  topVsOne,
} from "./lib/concurrency-report.js";
import { inProcessEngines } from "./lib/engine-concurrency.js";
import { chatOnce, type Sample } from "./lib/http-load.js";
import { type Proc, startBackend, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, processCpuMs, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "models/petrel-mini,bench/models/bench-24m" },
    reps: { type: "string", default: "5" },
    tokens: { type: "string", default: "128" },
    levels: { type: "string", default: "1,2,4,8,16" },
    "backend-flags": { type: "string", default: "" },
    out: { type: "string", default: "bench/results" },
    // the JSON's file name: another name keeps a side run from replacing concurrency.json
    name: { type: "string", default: "concurrency" },
    "engine-threads": { type: "string", default: "1" },
  },
});
const reps = Number(values.reps);
const maxTokens = Number(values.tokens);
const levels = (values.levels as string).split(",").map(Number);
const models = (values.models as string).split(",").filter(Boolean).map(ensureModel);
// "|" separates configurations compared in the same run: "|--batch-size 1" = defaults vs one request at a time
const configFlags = (values["backend-flags"] as string).split("|").map((c) => c.split(" ").filter(Boolean));
const questions = ["Tell me about petrels.", "What is 12 plus 7?", "Describe the sea at night.", "Hello!"];

function body(model: string, i: number): string {
  return JSON.stringify({
    model: basename(model),
    messages: [{ role: "user", content: questions[i % questions.length] }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
    temperature: 0,
    // the stop ids (EOS 2, BOS 0): every stream does the same amount of work, random weights or not
    logit_bias: { "0": -100, "2": -100 },
  });
}

interface Config {
  model: string;
  name: string;
  flags: string[];
  backend: Proc;
  rounds: Map<number, Round[]>;
}

async function round_(c: Config, level: number, rep: number): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: level });
  const cpuBefore = processCpuMs(c.backend.pid);
  const start = performance.now();
  const samples: Sample[] = await Promise.all(
    Array.from({ length: level }, (_, i) => chatOnce(agent, c.backend.url, body(c.model, i), true)),
  );
  const wallMs = performance.now() - start;
  const cpuMs = processCpuMs(c.backend.pid) - cpuBefore;
  agent.destroy();
  const r = streamRound(rep, samples, wallMs, "backend");
  return { ...r, serverCpuMsPerToken: round(cpuMs / r.tokens, 3) };
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

async function describe(config: Config, first: Config) {
  const rows = levelRows(levels, config.rounds);
  return {
    name: config.name,
    // the server under test exactly as started
    command: `npm run backend -- ${config.backend.args.slice(3).join(" ")}`,
    flags: config.flags,
    load: await (await fetch(`${config.backend.url}/v1/load`)).json(),
    // per token at concurrency 1 as a client sees it; compare step-cost's B=1 step
    clientMsPerTokenAt1: round(1000 / (rows[0]?.stream_tok_s_p50 ?? Number.NaN), 3),
    rows,
    top_vs_1: topVsOne(rows),
    // aggregate tok/s of this configuration over the first's (same model), paired per repetition
    aggregate_ratio_vs_first: levels.map((level) => ({
      concurrency: level,
      ratio: pairedRatio(config.rounds.get(level) ?? [], first.rounds.get(level) ?? []),
    })),
  };
}

async function report(configs: Config[], machine: ReturnType<typeof machineInfo>) {
  const perModel = [];
  for (const model of models) {
    const own = configs.filter((c) => c.model === model);
    const described = [];
    for (const c of own) described.push(await describe(c, own[0] as Config));
    perModel.push({ model, shape: modelShape(model), configs: described });
  }
  const first = perModel[0] as (typeof perModel)[number];
  const defaults = first.configs[0] as (typeof first.configs)[number];
  return {
    benchmark: "concurrency",
    // the first model and its first configuration, as one-model runs wrote them
    model: first.model,
    maxTokens,
    reps,
    sseEventUs: sseEventUs(),
    backend: { command: defaults.command, flags: defaults.flags, load: defaults.load },
    rows: defaults.rows,
    configs: first.configs,
    // every model: its shape and every configuration's rows
    models: perModel,
    // the engines alone, in the bench's own process: Petrel's batching engine vs llama.cpp
    inProcess: [] as Awaited<ReturnType<typeof inProcessEngines>>[],
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  };
}

const machine = machineInfo();
// One backend server per model and configuration, all started up front; rounds alternate between them.
const configs: Config[] = [];
for (const model of models)
  for (const flags of configFlags)
    configs.push({
      model,
      name: flags.join(" ") || "defaults",
      flags,
      backend: await startBackend(model, flags),
      rounds: new Map(levels.map((l) => [l, []])),
    });
try {
  for (const c of configs) {
    const agent = new Agent({ keepAlive: true });
    for (let i = 0; i < 2; i++) await chatOnce(agent, c.backend.url, body(c.model, i), true); // warm-up
    agent.destroy();
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const model of rotate(models, rep))
      for (const level of rotate(levels, rep))
        for (const c of rotate(
          configs.filter((x) => x.model === model),
          rep,
        ))
          c.rounds.get(level)?.push(await round_(c, level, rep));
    console.error(`rep ${rep + 1}/${reps} done, load ${loadNow()}`);
  }
  const out = await report(configs, machine);
  await stopAll(); // the servers would sit idle from here: stopped before the in-process rounds
  for (const threads of (values["engine-threads"] as string).split(",").filter(Boolean).map(Number))
    for (const model of models) {
      out.inProcess.push(await inProcessEngines({ model, levels, tokens: maxTokens, reps, threads }));
      console.error(`in-process engines ${model} at ${threads} thread(s) done, load ${loadNow()}`);
    }
  out.machine.loadAverage1mAtEnd = loadNow();
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(out, null, 2)}\n`);
  for (const m of out.models)
    for (const c of m.configs) console.log(m.model, c.name, JSON.stringify(c.top_vs_1));
} finally {
  await stopAll();
}
process.exit(0);
