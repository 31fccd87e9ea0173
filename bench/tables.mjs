// Markdown tables of the results in a results folder: bench/README.md's generated section, each table
// naming the commit its JSON was measured at.
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { table } from "./lib/markdown.mjs";
import { coldStart } from "./tables-cold-start.mjs";
import { llamaCppConcurrency, llamaCppEngine } from "./tables-llama-cpp.mjs";
import { workerEngineCost } from "./tables-worker-engine.mjs";

const read = (dir, name) =>
  existsSync(`${dir}/${name}.json`) ? JSON.parse(readFileSync(`${dir}/${name}.json`, "utf8")) : undefined;

const machine = (m) =>
  m
    ? `_Measured at commit ${m.gitCommit ?? "?"}${m.gitDirty ? " with uncommitted changes" : ""} on ${m.cpus}× ${m.cpuModel ?? "cpu"}, Node ${m.node}, load average ${m.loadAverage1mAtStart ?? m.loadAverage1m ?? "?"} at start${m.loadAverage1mAtEnd !== undefined ? `, ${m.loadAverage1mAtEnd} at end` : ""}._`
    : "";

// greedy agreement with Petrel on onnxruntime-node, per system: "3/4 prompts"
function agreement(r) {
  const bySystem = {};
  for (const [key, same] of Object.entries(r.greedyAgreesWithPetrelNode ?? {})) {
    const system = key.slice(0, key.lastIndexOf(":"));
    bySystem[system] ??= [0, 0];
    bySystem[system][0] += same ? 1 : 0;
    bySystem[system][1] += 1;
  }
  return Object.entries(bySystem).map(([name, [same, all]]) => `${name} ${same}/${all}`);
}

function engine(r) {
  const rows = Object.entries(r.results).map(([name, x]) => [
    name,
    x.prefillTokPerS,
    x.decodeTokPerS,
    x.decodeMsPerToken,
  ]);
  const ratios = Object.entries(r.ratiosVsTransformersJs)
    .map(([k, v]) => `${k} ${v}×`)
    .join(", ");
  const same = agreement(r);
  const agrees = same.length
    ? `\n\nPrompts on which greedy tokens equal Petrel on onnxruntime-node's: ${same.join(", ")}.`
    : "";
  const share = r.sessionRunShareMs
    ? `\n\nDecode ms/token inside onnxruntime's \`session.run\` and outside it (the engine's own loop):\n\n${table(
        ["system", "inside session.run", "outside", "total"],
        Object.entries(r.sessionRunShareMs).map(([name, x]) => [
          name,
          x.inSessionRun,
          x.outside,
          x.msPerToken,
        ]),
      )}`
    : "";
  const b = r.perTokenBreakdownMs;
  const parts = b
    ? `\n\nOne decode step on onnxruntime-node, part by part (ms; measured last, alone):\n\n${table(
        ["part", "ms"],
        [
          ["session.run", b.sessionRun],
          ["feeds, K/V write, async hops", b.feedsAndAsyncOverhead],
          ["greedy sampling", b.samplingGreedy],
          ["incremental detokenization", b.detokenize],
          ["decode step", b.decodeStep],
          [`top-p sampling instead (flat logits, vocabulary ${b.vocabSize ?? "?"})`, b.samplingTopP],
        ],
      )}`
    : "";
  const files = r.files
    ? `; Petrel's file ${r.files.petrel}, transformers.js's ${r.files.transformersJs}`
    : "";
  return `### engine (${r.model}, ${r.variant}, ${r.newTokens} new tokens, ${r.reps} reps${files})\n\n${table(["system", "prefill tok/s", "decode tok/s", "decode ms/token"], rows)}\n\nRatios vs transformers.js: ${ratios}.${llamaCppEngine(r)}${agrees}${share}${parts}\n\n${machine(r.machine)}`;
}

function concurrencyModel(r, m) {
  const rows = m.configs.flatMap((c, ci) =>
    c.rows.map((x, i) => [
      `\`${c.name}\``,
      c.load?.capacity ?? "?",
      x.concurrency,
      x.aggregate_tok_s,
      x.scaling_vs_1,
      ci === 0 ? "—" : (c.aggregate_ratio_vs_first?.[i]?.ratio ?? "?"),
      x.ttft_p50_ms,
      x.ttft_p99_ms,
      x.stream_tok_s_p50,
      x.server_cpu_ms_per_token ?? "?",
    ]),
  );
  const header = [
    "backend flags",
    "capacity",
    "streams",
    "aggregate tok/s",
    "× vs 1 stream",
    "aggregate × vs 1st config",
    "TTFT p50 ms",
    "TTFT p99 ms",
    "per-stream tok/s p50",
    "server CPU ms/token",
  ];
  const shape = m.shape ? `, ${m.shape.layers} layers × ${m.shape.hidden}, ${m.shape.params_m}M params` : "";
  return `### concurrency (${m.model}${shape}; ${r.maxTokens} tokens per stream, ${r.reps} reps; SSE event ${r.sseEventUs} µs/token)\n\n${table(header, rows)}`;
}

function concurrency(r) {
  const models = r.models ?? [
    {
      model: r.model,
      configs: r.configs ?? [
        { name: "defaults", rows: r.rows, flags: r.backend.flags, load: r.backend.load },
      ],
    },
  ];
  const inProcess = llamaCppConcurrency(r);
  return `${concurrencySummary(r, models)}\n\n${models.map((m) => concurrencyModel(r, m)).join("\n\n")}${inProcess ? `\n\n${inProcess}` : ""}\n\n${machine(r.machine)}`;
}

// one row per model × server configuration: the most streams against one
function concurrencySummary(r, models) {
  const rows = models.flatMap((m) =>
    m.configs
      .filter((c) => c.top_vs_1)
      .map(({ name, top_vs_1: t }) => [
        basename(m.model),
        `\`${name}\``,
        t.aggregate_tok_s_1,
        t.aggregate_tok_s_top,
        `${t.ratio}× (${t.ratio_paired}×)`,
        `${t.ttft_p50_ms_top} / ${t.ttft_p99_ms_top}`,
        `${t.server_cpu_ms_per_token_1} → ${t.server_cpu_ms_per_token_top}`,
      ]),
  );
  if (rows.length === 0) return "";
  const n = models[0]?.configs[0]?.top_vs_1?.streams ?? "N";
  const header = [
    "model",
    "backend flags",
    "1 stream tok/s",
    `${n} streams tok/s`,
    `${n} vs 1 (paired)`,
    `TTFT p50 / p99 at ${n}, ms`,
    `server CPU ms/token 1 → ${n}`,
  ];
  return `### concurrency summary (${r.maxTokens} tokens per stream, ${r.reps} reps; "paired" is the median of the ratios taken within each repetition)\n\n${table(header, rows)}`;
}

function stepCost(r) {
  const rows = r.results.flatMap((x) =>
    x.rows.map((row) => [
      x.model,
      x.threads,
      x.variant ? `${x.mode ?? "present"}, ${x.variant}, ${x.kv}` : (x.mode ?? "present"),
      row.batch,
      row.step_ms,
      row.step_cpu_ms,
      row.ms_per_token,
      row.batch === 1 ? `a ${x.fit.a_ms}, b ${x.fit.b_ms}` : "",
      row.batch === 1 ? x.raw_gain_max_vs_1 : "",
      row.batch === 1 ? (x.raw_gain_cpu_max_vs_1 ?? "") : "",
    ]),
  );
  const header = [
    "model",
    "threads",
    "cache",
    "B",
    "step ms",
    "step CPU ms",
    "ms/token",
    "fit ms",
    "raw gain",
    "raw gain (CPU)",
  ];
  const runtime = r.runtime === "web" ? "onnxruntime-web (WASM, one thread) in Node" : "onnxruntime-node";
  return `### ${r.name ?? "concurrency-step-cost"} (the batch engine's runner, no server; ${runtime}, ${r.variant}, KV ${r.kv}, ${r.reps} reps; step ≈ a + B·b; raw gain = 8·step(1)/step(8))\n\n${table(header, rows)}\n\n${machine(r.machine)}`;
}

// Petrel beside its peers: per target, mode and connection count; then the issue-18 checks
function gateway(r) {
  const dash = (x, v) => (x.target === "direct" ? "—" : v);
  const rows = r.rows.map((x) => [
    x.target,
    x.mode,
    x.connections,
    x.p50_ms,
    dash(x, `+${x.added_p50_ms}`),
    x.p99_ms,
    x.req_per_s,
    x.cpu_ms_per_request,
  ]);
  const checks = (r.checks ?? []).map((c) => [
    c.subject,
    c.what,
    c.connections,
    c.value,
    `≤ ${c.limit}`,
    c.met ? "yes" : "**no**",
  ]);
  const missing = Object.entries(r.unavailable ?? {})
    .map(([k, v]) => `\n\nNot measured — ${k}: ${v}.`)
    .join("");
  const head = `### gateway (instant fake upstream; ${r.rounds} alternating rounds, medians; Petrel's request log ${r.requestLog}; stream latency = time to first content chunk; CPU = the target's process tree, /proc)`;
  return `${head}\n\n${table(["target", "mode", "conns", "p50 ms", "added p50 ms", "p99 ms", "req/s", "CPU ms/request"], rows)}\n\nChecks (CPU ratios paired within a round, then the median):\n\n${table(["Petrel", "measure", "conns", "value", "target", "met"], checks)}${missing}\n\n${machine(r.machine)}`;
}

function sdk(r) {
  const rows = r.rows.map((x) => [x.client, x.delivery, x.chunks_per_s, x.us_per_chunk, x.ratio_vs_openai]);
  return `### sdk (${r.streamChunks} chunks, ${r.streamBytes} bytes, replayed from ${r.fixture}; ${r.reps} reps)\n\n${table(["client", "delivery", "chunks/s", "µs/chunk", "× vs openai"], rows)}\n\n${machine(r.machine)}`;
}

function gatewayProfile(r) {
  const rows = r.byPackage.slice(0, 12).map((x) => [x.name, x.percent]);
  return `### gateway-profile (Node gateway under \`--cpu-prof\`, ${r.served["non-stream"]} non-stream + ${r.served.stream} stream requests, 4 connections; ${r.cpuMsPerRequest} ms CPU per request)\n\n${table(["where (self time, idle excluded)", "%"], rows)}\n\n${machine(r.machine)}`;
}

// the in-Worker engine under N streams against `wrangler dev`
function concurrencyWorker(r) {
  const rows = r.rows.map((x) => [
    x.concurrency,
    x.aggregate_tok_s,
    `${x.scaling_vs_1}×`,
    `${x.ttft_p50_ms} / ${x.ttft_p99_ms}`,
    x.worker_ttft_p50_ms ?? "—",
    x.stream_tok_s_p50,
    x.server_cpu_ms_per_token,
    x.floor_ttft_p50_ms ?? "—",
    x.platform_floor_ttft_p50_ms ?? "—",
  ]);
  const t = r.summary;
  const header = [
    "streams",
    "aggregate tok/s",
    "vs 1",
    "TTFT p50 / p99 ms",
    "Worker's own TTFT p50 ms",
    "per-stream tok/s p50",
    "workerd CPU ms/token",
    "floor TTFT p50 ms",
    "platform floor TTFT p50 ms",
  ];
  const floor =
    t.floor_ttft_p50_ms_1 === undefined
      ? ""
      : ` The transport floor (the same requests through a second \`wrangler dev\` to an instant fake upstream, no engine) goes ${t.floor_ttft_p50_ms_1} → ${t.floor_ttft_p50_ms_top} ms (${t.floor_ttft_p50_ratio}×).`;
  const platform =
    t.platform_floor_ttft_p50_ms_1 === undefined
      ? ""
      : ` The platform floor (a Worker that only returns \`fetch(upstream)\`, behind the same \`[assets]\` front, to the same upstream) goes ${t.platform_floor_ttft_p50_ms_1} → ${t.platform_floor_ttft_p50_ms_top} ms (${t.platform_floor_ttft_p50_ratio}×).`;
  const own =
    t.worker_ttft_p50_ms_1 === undefined
      ? ""
      : ` The Worker's own time to first token (Server-Timing \`queue\`, on the isolate's clock) goes ${t.worker_ttft_p50_ms_1} → ${t.worker_ttft_p50_ms_top} ms (${t.worker_ttft_p50_ratio}×).`;
  const line = `${t.streams} streams vs 1: aggregate ${t.ratio}× (paired ${t.ratio_paired}×), TTFT p50 ${t.ttft_p50_ratio}× (${t.ttft_p50_ms_1} → ${t.ttft_p50_ms_top} ms).${own}${floor}${platform}`;
  return `### concurrency-worker (\`wrangler dev\`, ${r.model}; ${r.maxTokens} tokens per stream, ${r.reps} reps)\n\n${table(header, rows)}\n\n${line}\n\n${machine(r.machine)}`;
}

// time per decoded token with a grammar mask vs none; one table per runtime
function constrained(r) {
  const rows = ["unconstrained", "constrained"].map((k) => [k, r[k].msPerTokenMedian, r[k].tokensMedian]);
  const line = `Constrained ÷ unconstrained: ${r.ratioOfMedians}× (ratio of medians), ${r.pairedRatioMedian}× (median of the paired ratios); target ${r.target}.`;
  return `### ${r.name} (${r.model}, ${r.variant}, ${r.runtime}; ${r.reps} alternating pairs, up to ${r.maxTokens} tokens, temperature 1)\n\n${table(["run", "ms/token median", "tokens median"], rows)}\n\n${line}\n\n${machine(r.machine)}`;
}

export function tables(dir) {
  const parts = {
    engine,
    concurrency,
    "concurrency-step-cost": stepCost,
    "step-cost-web": stepCost,
    "concurrency-worker": concurrencyWorker,
    "worker-engine-cost": (r) => workerEngineCost(r, machine),
    gateway,
    "gateway-profile": gatewayProfile,
    sdk,
    "cold-start": coldStart,
    constrained,
    "constrained-web": constrained,
  };
  return Object.entries(parts)
    .map(([name, fmt]) => {
      const r = read(dir, name);
      return r ? fmt(r) : name.includes("-") ? "" : `### ${name}\n\nnot run yet.`;
    })
    .filter(Boolean)
    .join("\n\n");
}

// the README's generated section, between its two markers, replaced by `markdown`
export const withTables = (readme, markdown) =>
  readme.replace(/(<!-- results:start -->\n)[\s\S]*(<!-- results:end -->)/, `$1${markdown}\n$2`);
