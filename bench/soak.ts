// Soak: does anything grow? Ten minutes (by default) of mixed traffic — valid JSON and streamed
// completions, streams the client abandons mid-way, and invalid requests of many kinds — against
// `wrangler dev` (real workerd: the in-worker engine and three backend servers over HTTP) and the
// Node gateway in front of the same three backend servers, with keys, a concurrency-limited key
// and the admin endpoint on. The resident memory (RSS) of every process each of them runs is sampled
// every 10 s; growth is judged from the end of the warm-up to the end of the run. Not a test.
//   npx tsx bench/soak.ts [--minutes 10] [--warmup-minutes 2] [--sample-s 10] [--clients 2] [--out bench/results] [--note text]
// Writes soak.json, soak.png (bench/plot.py) and soak.md (the statement) to --out.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { processTree, type RssSample, sampleRss } from "./lib/proc-memory.js";
import { type Proc, startBackend, startNodeGateway, startWrangler, stopAll } from "./lib/procs.js";
import { growthReport } from "./lib/soak-report.js";
import { type Kind, pickKind, prng, send, type Target } from "./lib/soak-traffic.js";
import { loadNow, machineInfo } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    "warmup-minutes": { type: "string", default: "2" },
    "sample-s": { type: "string", default: "10" },
    clients: { type: "string", default: "2" },
    out: { type: "string", default: "bench/results" },
    seed: { type: "string", default: "17" },
    /** Why a run differs from the 10 minutes asked for (a shared machine's time), kept in the JSON. */
    note: { type: "string" },
  },
});
const minutes = Number(values.minutes);
const sampleMs = Number(values["sample-s"]) * 1000;
const warmupMs = Number(values["warmup-minutes"]) * 60_000;

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const KEY = "sk-soak-main-7d3f9a1c5e7b9d1f3a5c7e9b1d3f5a7c";
const TIGHT = "sk-soak-tight-2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a";
const keysDoc = JSON.stringify({
  keys: [
    {
      id: "soak",
      sha256: sha(KEY),
      limits: { requestsPerMinute: null, tokensPerMinute: null, concurrent: null },
    },
    {
      id: "tight",
      sha256: sha(TIGHT),
      limits: { requestsPerMinute: null, tokensPerMinute: null, concurrent: 1 },
    },
  ],
});

async function startAll() {
  const backends = await Promise.all(
    [1, 2, 3].map(() => startBackend("models/tiny-random", ["--threads", "1"])),
  );
  const pool = { backends: backends.map((b) => ({ url: b.url, kind: "petrel" })) };
  const env = { PETREL_KEYS: keysDoc, PETREL_REQUEST_LOG: "off" };
  const gateway = await startNodeGateway({ models: { "tiny-random": pool } }, env);
  const workerConfig = {
    models: {
      "petrel-mini": { backends: [{ id: "embedded", kind: "embedded" }] },
      "tiny-random": pool,
    },
  };
  const worker = await startWrangler({ ...env, PETREL_BACKENDS: JSON.stringify(workerConfig) }, undefined, [
    "--persist-to",
    mkdtempSync(join(tmpdir(), "petrel-soak-")),
  ]);
  return { backends, gateway, worker };
}

interface Tally {
  [kind: string]: Record<string, number>;
}

/** One client: picks a kind, sends it, counts the outcome, until the deadline. */
async function client(target: Target, seed: number, deadline: number, tally: Tally) {
  const random = prng(seed);
  while (Date.now() < deadline) {
    const kind: Kind = pickKind(random);
    const outcome = await send(kind, target, random);
    const key = `${target.name}:${kind}`;
    const byOutcome = tally[key] ?? {};
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    tally[key] = byOutcome;
  }
}

async function main() {
  mkdirSync(values.out as string, { recursive: true });
  const info = machineInfo();
  const { backends, gateway, worker } = await startAll();
  const roles: [string, Proc][] = [
    ["worker", worker],
    ["gateway", gateway],
    ...backends.map((b, i): [string, Proc] => [`backend-${i + 1}`, b]),
  ];
  const targets: Target[] = [
    { name: "worker", url: worker.url, models: ["petrel-mini", "tiny-random"], key: KEY, tightKey: TIGHT },
    { name: "gateway", url: gateway.url, models: ["tiny-random"], key: KEY, tightKey: TIGHT },
  ];
  const start = Date.now();
  const deadline = start + minutes * 60_000;
  const samples: RssSample[] = [];
  const sample = () =>
    samples.push(
      sampleRss(
        roles.map(([role, p]) => processTree(role, p.pid)),
        Date.now() - start,
      ),
    );
  sample();
  const sampler = setInterval(sample, sampleMs);
  const tally: Tally = {};
  const clients = Number(values.clients);
  const seed = Number(values.seed);
  await Promise.all(
    targets.flatMap((t, ti) =>
      Array.from({ length: clients }, (_, i) => client(t, seed + 100 * ti + i, deadline, tally)),
    ),
  );
  clearInterval(sampler);
  sample();
  await stopAll();
  const report = growthReport(samples, warmupMs);
  const result = {
    name: "soak",
    machine: { ...info, loadAverage1mAtEnd: loadNow() },
    config: {
      minutes,
      warmupMinutes: warmupMs / 60_000,
      sampleS: sampleMs / 1000,
      clientsPerTarget: clients,
      seed,
      note: values.note,
    },
    requests: tally,
    totalRequests: Object.values(tally).reduce(
      (n, byOutcome) => n + Object.values(byOutcome).reduce((a, b) => a + b, 0),
      0,
    ),
    samples,
    growth: report.growth,
    statement: report.statement,
  };
  writeFileSync(`${values.out}/soak.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${values.out}/soak.md`, report.markdown(result.totalRequests, info.gitCommit));
  spawnSync("/usr/bin/python3", ["bench/plot.py", values.out as string, "--only", "soak"], {
    stdio: "inherit",
  });
  console.log(report.statement);
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
