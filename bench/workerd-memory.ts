// Where does workerd's memory go? One `wrangler dev` (the shipped Worker: the in-worker engine, keys
// on), then phases of one request kind each (bench/lib/soak-traffic.ts), in an order that puts the
// engine last: invalid requests the app refuses before any backend, then completions, then streams
// abandoned mid-way. workerd's RSS is read before and after each phase, so growth can be pinned on a
// kind of request. `--minimal` runs the same traffic through bench/workers/minimal-proxy (a Worker with
// no Petrel code, forwarding to bench/lib/fake-openai.ts) instead: what wrangler dev and workerd keep
// per request on their own. Not a test.
//   npx tsx bench/workerd-memory.ts [--requests 2000] [--clients 4] [--minimal] [--out bench/results]
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { processTree, sampleRss } from "./lib/proc-memory.js";
import { startFakeUpstream, startWrangler, stopAll } from "./lib/procs.js";
import { type Kind, prng, send, type Target } from "./lib/soak-traffic.js";
import { machineInfo, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    clients: { type: "string", default: "4" },
    phases: {
      type: "string",
      default: "bad-json,text-plain,too-long,deep-json,unknown-model,no-key,json,stream,abandoned",
    },
    out: { type: "string", default: "bench/results" },
    minimal: { type: "boolean", default: false },
  },
});
const requests = Number(values.requests);
const MB = 2 ** 20;

const KEY = "sk-memory-probe-4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const keys = {
  keys: [
    {
      id: "probe",
      sha256: sha(KEY),
      limits: { requestsPerMinute: null, tokensPerMinute: null, concurrent: null },
    },
  ],
};

async function main() {
  mkdirSync(values.out as string, { recursive: true });
  const persist = ["--persist-to", mkdtempSync(join(tmpdir(), "petrel-memory-"))];
  const worker = values.minimal
    ? await startWrangler(
        { UPSTREAM: (await startFakeUpstream()).url },
        "bench/workers/minimal-proxy/wrangler.toml",
        persist,
      )
    : await startWrangler(
        { PETREL_KEYS: JSON.stringify(keys), PETREL_REQUEST_LOG: "off" },
        undefined,
        persist,
      );
  const workerdMB = () => {
    const tree = processTree("worker", worker.pid).filter((p) => p.label.startsWith("worker:workerd"));
    const rss = sampleRss([tree], 0).rss;
    return round(Object.values(rss).reduce((a, b) => a + b, 0) / MB, 1);
  };
  const target: Target = {
    name: "worker",
    url: worker.url,
    models: ["petrel-mini"],
    key: KEY,
    tightKey: KEY,
  };
  // One completion first: the isolate, ORT and the model are loaded before anything is measured.
  await send("json", target, prng(1));
  const phases: Record<
    string,
    { beforeMB: number; afterMB: number; perThousandMB: number; outcomes: Record<string, number> }
  > = {};
  for (const kind of (values.phases as string).split(",") as Kind[]) {
    const beforeMB = workerdMB();
    const outcomes: Record<string, number> = {};
    let next = 0;
    const client = async (seed: number) => {
      const random = prng(seed);
      while (next++ < requests) {
        const outcome = await send(kind, target, random);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: Number(values.clients) }, (_, i) => client(1000 + i)));
    const afterMB = workerdMB();
    phases[kind] = {
      beforeMB,
      afterMB,
      perThousandMB: round(((afterMB - beforeMB) * 1000) / requests, 1),
      outcomes,
    };
    console.log(JSON.stringify({ kind, ...phases[kind] }));
  }
  await stopAll();
  const name = values.minimal ? "workerd-memory-minimal" : "workerd-memory";
  const subject = values.minimal ? "bench/workers/minimal-proxy (no Petrel code)" : "Petrel's Worker";
  const result = { name, worker: subject, machine: machineInfo(), requestsPerPhase: requests, phases };
  writeFileSync(`${values.out}/${name}.json`, `${JSON.stringify(result, null, 2)}\n`);
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
