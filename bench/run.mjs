// `npm run bench [-- --quick | --tables] [--only engine,concurrency,concurrency-worker,gateway,sdk,constrained,constrained-web] [--backend-flags "..."]`: runs each benchmark as
// its own process (Node 22 + tsx) with a hard time limit, then draws a PNG per result (bench/plot.py,
// Debian's python3 + matplotlib) and, unless --quick, rewrites the results tables in bench/README.md.
// --quick: fewer repetitions and shorter streams, written to bench/results/quick/ (ignored by git) so
// a quick run never replaces the committed full results in bench/results/. --tables runs nothing: it
// rewrites bench/README.md's tables from the JSON in bench/results/.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { tables, withTables } from "./tables.mjs";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    tables: { type: "boolean", default: false },
    only: { type: "string" },
    // backend server flag sets for the concurrency bench, "|"-separated, compared A/B in one run
    "backend-flags": { type: "string" },
  },
});
const quick = values.quick;
const out = quick ? "bench/results/quick" : "bench/results";

// [script, full-run args, quick-run args, time limit in seconds]
const benches = {
  engine: ["bench/engine.ts", [], ["--tokens", "16", "--reps", "2"], 900],
  // petrel-mini and bench-24m (random weights, built on first use); ~10 min on 2 cores
  concurrency: [
    "bench/concurrency.ts",
    ["--levels", "1,2,4,8"],
    ["--reps", "2", "--tokens", "32", "--levels", "1,8"],
    1800,
  ],
  // the in-Worker engine: N streams against `wrangler dev` (petrel-mini int8 on onnxruntime-web)
  "concurrency-worker": [
    "bench/concurrency-worker.ts",
    [],
    ["--reps", "2", "--tokens", "32", "--levels", "1,8"],
    900,
  ],
  // the in-Worker engine without HTTP: workerd CPU per token, session runs alone vs the whole engine
  "worker-engine-cost": ["bench/worker-engine-cost.ts", [], ["--reps", "2", "--tokens", "32"], 600],
  // raw session.run per decode step at B = 1, 2, 4, 8 for the same two models: the cost model a + B·b
  "concurrency-step-cost": ["bench/step-cost.ts", [], ["--reps", "2", "--steps", "32"], 600],
  // Petrel beside Portkey and minimal proxies (Node and wrangler dev), 3 alternating rounds
  gateway: ["bench/gateway.ts", [], ["--rounds", "1", "--requests", "40"], 2400],
  sdk: ["bench/sdk.ts", [], ["--chunks", "5000", "--reps", "3"], 300],
  // time per token under a grammar mask vs none (issue 15's ≤ 1.3×): backend server's and Worker's runtime
  constrained: ["bench/constrained.ts", [], ["--reps", "3", "--tokens", "32"], 600],
  "constrained-web": [
    "bench/constrained.ts",
    ["--sessions", "web"],
    ["--sessions", "web", "--reps", "3"],
    600,
  ],
  "gateway-profile": ["bench/gateway-profile.ts", [], ["--requests", "200"], 300],
};
const chosen = values.tables
  ? []
  : values.only
    ? values.only.split(",")
    : Object.keys(benches).filter((name) => !quick || benches[name][2] !== null);
for (const name of chosen) if (!(name in benches)) throw new Error(`unknown benchmark ${name}`);

// Server defaults (batching, fp32), the same with one ORT thread (the default for bench-24m, a model
// over 64 MiB, is ORT's own: all physical cores), the one-request-at-a-time engine on fp32 (batching
// alone) and on its default int8 — when the server has the flag.
function concurrencyFlags() {
  if (values["backend-flags"] !== undefined) return values["backend-flags"];
  const batching = readFileSync("service/src/server/backend-args.ts", "utf8").includes('"batch-size"');
  return batching ? "|--threads 1|--batch-size 1 --variant fp32|--batch-size 1" : "";
}

function node(args, timeoutS) {
  // process.execPath: the Node 22 that npm put first on PATH for this script
  const r = spawnSync(process.execPath, args, {
    stdio: "inherit",
    timeout: timeoutS * 1000,
    killSignal: "SIGTERM",
  });
  if (r.error) throw r.error;
  return r.status;
}

mkdirSync(out, { recursive: true });

const summary = {};
for (const name of chosen) {
  const [script, full, short, limit] = benches[name];
  const outArg = name === "engine" ? `${out}/engine` : out;
  if (quick && short === null) throw new Error(`${name} has no quick mode`);
  const start = Date.now();
  console.error(`\n== bench ${name}${quick ? " (quick)" : ""}`);
  // "=": a flag set may itself start with "--"
  const extra = name === "concurrency" ? [`--backend-flags=${concurrencyFlags()}`] : [];
  const status = node(
    ["--import", "tsx", script, ...(quick ? short : full), ...extra, "--out", outArg],
    limit,
  );
  if (name === "engine" && status === 0)
    node(["--import", "tsx", "bench/lib/annotate.ts", `${out}/engine.json`], 60);
  summary[name] = { status, seconds: Math.round((Date.now() - start) / 1000) };
}

if (chosen.length > 0) {
  const plot = spawnSync("/usr/bin/python3", ["bench/plot.py", out], { stdio: "inherit" });
  if (plot.status !== 0) console.error("plots not drawn (needs /usr/bin/python3 with matplotlib)");
}

const markdown = tables(out);
if (!quick) {
  writeFileSync("bench/README.md", withTables(readFileSync("bench/README.md", "utf8"), markdown));
  // the generated tables in the house format, so `npm run lint` stays green after a run
  spawnSync("npx", ["biome", "format", "--write", "bench/README.md"], { stdio: "ignore" });
}
console.log(markdown);
console.error(JSON.stringify(summary));
process.exit(Object.values(summary).every((s) => s.status === 0) ? 0 : 1);
