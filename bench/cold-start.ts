// The Worker's cold start: `wrangler dev` (real workerd) started afresh each repetition with the
// shipped model in-worker. Per repetition: spawn → wrangler's "Ready" line (bundling, workerd start,
// the isolate loading the script and compiling ORT's wasm), then the isolate's first request — a
// streaming chat — to its first content token (everything built lazily on it: the app, the engine,
// ORT's instance and session, tokenizer and chat template, then prefill), then the same request again
// (warm). Beside each wall time the workerd process's own CPU time, which neighbours on a shared
// machine do not inflate. Two configurations alternate within each repetition: the default, where the
// engine is built on the first request that needs it, and PETREL_PRELOAD=1, where it is built while
// the isolate starts (service/src/entry/preload.ts).
// Medians over repetitions; writes <out>/cold-start.json.
//   npx tsx bench/cold-start.ts [--reps 5] [--tokens 8] [--out bench/results]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { parseArgs } from "node:util";
import { chatOnce } from "./lib/http-load.js";
import { freePort, type Proc, startNode, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, median, processCpuMs, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    tokens: { type: "string", default: "8" },
    out: { type: "string", default: "bench/results" },
  },
});
const reps = Number(values.reps);
const body = JSON.stringify({
  model: "petrel-mini",
  messages: [{ role: "user", content: "Hello! Who are you?" }],
  stream: true,
  max_tokens: Number(values.tokens),
  temperature: 0,
});

/** The workerd process under a wrangler process (its child's child), by walking /proc. */
function workerdPid(root: number): number | undefined {
  const children = (pid: number) =>
    readdirSync(`/proc/${pid}/task`).flatMap((t) => {
      try {
        return readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").split(" ").filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (pid !== root && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd") return pid;
    queue.push(...children(pid));
  }
  return undefined;
}

const configs: Record<string, string[]> = { lazy: [], preload: ["--var", "PETREL_PRELOAD:1"] };

async function startWorker(vars: string[]): Promise<{ proc: Proc; readyMs: number }> {
  const [port, inspector] = [await freePort(), await freePort()];
  const args = ["node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspector), "--show-interactive-dev-session=false", ...vars);
  const start = performance.now();
  // the Ready line, not /health: the chat request below is the isolate's first
  const proc = await startNode({ args, ready: { line: /Ready on (http:\/\/\S+)/ } });
  return { proc, readyMs: performance.now() - start };
}

async function repetition(vars: string[]) {
  const { proc, readyMs } = await startWorker(vars);
  try {
    const workerd = workerdPid(proc.pid);
    const cpu = () => (workerd ? processCpuMs(workerd) : Number.NaN);
    const agent = new Agent({ keepAlive: true });
    const cpuAtReady = cpu();
    const first = await chatOnce(agent, proc.url, body, true);
    const cpuFirst = cpu() - cpuAtReady;
    const warm = await chatOnce(agent, proc.url, body, true);
    const cpuWarm = cpu() - cpuAtReady - cpuFirst;
    agent.destroy();
    if (first.status !== 200 || warm.status !== 200) throw new Error(`status ${first.status}/${warm.status}`);
    return {
      readyMs: round(readyMs),
      workerdCpuMsAtReady: cpuAtReady,
      firstTokenMs: round(first.firstMs),
      firstTotalMs: round(first.totalMs),
      firstWorkerdCpuMs: cpuFirst,
      firstServerTiming: first.serverTiming,
      warmFirstTokenMs: round(warm.firstMs),
      warmWorkerdCpuMs: cpuWarm,
      load1m: loadNow(),
    };
  } finally {
    await proc.stop();
  }
}

type Run = Awaited<ReturnType<typeof repetition>>;
const machine = machineInfo(["wrangler"]);
const runs: Record<string, Run[]> = Object.fromEntries(Object.keys(configs).map((name) => [name, []]));
try {
  for (let rep = 0; rep < reps; rep++)
    for (const name of rotate(Object.keys(configs), rep)) {
      const run = await repetition(configs[name] ?? []);
      runs[name]?.push(run);
      console.error(`rep ${rep + 1}/${reps} ${name}: ${JSON.stringify(run)}`);
    }
} finally {
  await stopAll();
}

function medians(rs: Run[]) {
  const med = (key: keyof Run) => round(median(rs.map((r) => r[key] as number)));
  return {
    readyMs: med("readyMs"),
    workerdCpuMsAtReady: med("workerdCpuMsAtReady"),
    firstTokenMs: med("firstTokenMs"),
    firstWorkerdCpuMs: med("firstWorkerdCpuMs"),
    warmFirstTokenMs: med("warmFirstTokenMs"),
    warmWorkerdCpuMs: med("warmWorkerdCpuMs"),
    // spawn to the first token, and what the isolate's first request pays over a warm one
    spawnToFirstTokenMs: round(median(rs.map((r) => r.readyMs + r.firstTokenMs))),
    coldPenaltyMs: round(median(rs.map((r) => r.firstTokenMs - r.warmFirstTokenMs))),
  };
}

const report = {
  benchmark: "cold-start",
  request: JSON.parse(body),
  reps,
  configs: Object.fromEntries(
    Object.entries(configs).map(([name, vars]) => [
      name,
      { vars, medians: medians(runs[name] ?? []), runs: runs[name] },
    ]),
  ),
  machine: { ...machine, loadAverage1mAtEnd: loadNow() },
};
writeFileSync(`${values.out}/cold-start.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(report.configs).map(([k, v]) => [k, v.medians])), null, 2),
);
process.exit(0);
