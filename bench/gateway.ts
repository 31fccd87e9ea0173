// Gateway benchmark: what a gateway costs in front of a backend, Petrel beside its peers in one run.
// One instant fake OpenAI upstream (its own process), reached: directly; through the minimal
// node:http + fetch proxy (the floor); through Portkey's gateway (`@portkey-ai/gateway`, its Node
// build); through Petrel's Node gateway; and, in `wrangler dev` (real workerd), through a minimal
// Worker proxy and through Petrel's Worker. Every target runs as its own process (tree), all at
// once; rounds alternate them, the order rotating. Per cell: p50/p99 latency (non-stream: whole
// response; stream: first content chunk), requests/s, and the target's own CPU per request (its
// process tree's user+system time from /proc). Writes <out>/<name>.json; `checks` holds the
// issue-18 targets. A Node target serves a request in about a millisecond of CPU, a `wrangler dev` one
// in tens: Node cells take `--node-scale` times the requests, so their CPU (counted in 10 ms ticks)
// and p50 rest on a second or more of load each, at little cost to the run's length.
//   npx tsx bench/gateway.ts [--rounds 5] [--connections 1,16] [--requests 200] [--node-scale 5] [--out bench/results]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type Cell, type Cells, cellKey, checks, MODES, type Mode, summarize } from "./lib/gateway-report.js";
import { type LoadResult, runLoad } from "./lib/http-load.js";
import {
  portkeyHeaders,
  startFakeUpstream,
  startMinimalProxy,
  startNodeGateway,
  startPortkey,
  startWrangler,
  stopAll,
} from "./lib/procs.js";
import { loadNow, machineInfo, median, percentile, rotate, round, treeCpuMs } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    // requests per cell at one connection; at more, this many per connection/8 more (at least this)
    requests: { type: "string", default: "200" },
    connections: { type: "string", default: "1,16" },
    "node-scale": { type: "string", default: "5" },
    // skip the wrangler dev targets (faster, Node only)
    node: { type: "boolean", default: false },
    out: { type: "string", default: "bench/results" },
    // Petrel's request log: "on" (batched), "off" to see what logging costs, "each" (Worker: one
    // console.log per request)
    "request-log": { type: "string", default: "on" },
    name: { type: "string", default: "gateway" },
  },
});
const rounds = Number(values.rounds);
const levels = (values.connections as string).split(",").map(Number);
const requestsAt = (c: number) => Math.max(Number(values.requests), c * 30);
const nodeScale = Number(values["node-scale"]);

const body = (stream: boolean) =>
  JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Hi!" }], stream, max_tokens: 8 });
const bodies = { "non-stream": body(false), stream: body(true) };

interface Target {
  name: string;
  url: string;
  pid: number;
  headers: Record<string, string>;
  what: string;
  /** Requests per cell, as a multiple of requestsAt: `--node-scale` for Node targets, 1 under wrangler dev. */
  scale: number;
}

async function loadCell(t: Target, connections: number, mode: Mode, rnd: number): Promise<Cell> {
  const cpuBefore = treeCpuMs(t.pid);
  const r: LoadResult = await runLoad({
    url: t.url,
    connections,
    requests: requestsAt(connections) * t.scale,
    stream: mode === "stream",
    makeBody: () => bodies[mode],
    headers: t.headers,
  });
  const cpuMs = treeCpuMs(t.pid) - cpuBefore;
  const lat = r.samples.map((s) => s.firstMs);
  return {
    round: rnd,
    p50Ms: round(percentile(lat, 50), 3),
    p99Ms: round(percentile(lat, 99), 3),
    reqPerS: round((r.samples.length / r.wallMs) * 1000, 1),
    cpuMsPerRequest: round(cpuMs / Math.max(1, r.samples.length), 3),
    requests: r.samples.length,
    errors: r.errors,
    errorKinds: r.errorKinds,
    serverTimingP50Ms: Object.fromEntries(
      ["queue", "ttft", "total"]
        .map((k) => [k, r.samples.flatMap((s) => s.serverTiming[k] ?? [])] as const)
        .filter(([, xs]) => xs.length > 0)
        .map(([k, xs]) => [k, round(median(xs), 3)]),
    ),
  };
}

async function measure(targets: Target[]): Promise<Cells> {
  for (const t of targets) {
    for (const mode of MODES) {
      const warm = await runLoad({
        url: t.url,
        connections: 16,
        requests: 200,
        stream: mode === "stream",
        makeBody: () => bodies[mode],
        headers: t.headers,
      });
      if (warm.errors > 0)
        throw new Error(`${t.name} ${mode}: ${JSON.stringify(warm.errorKinds)} in warm-up`);
    }
  }
  const cells: Cells = new Map();
  for (let rnd = 0; rnd < rounds; rnd++) {
    for (const c of levels) {
      for (const mode of MODES) {
        for (const t of rotate(targets, rnd)) {
          const k = cellKey(t.name, mode, c);
          cells.set(k, [...(cells.get(k) ?? []), await loadCell(t, c, mode, rnd)]);
        }
      }
    }
    console.error(`round ${rnd + 1}/${rounds} done`);
  }
  return cells;
}

const machine = machineInfo(["wrangler", "@portkey-ai/gateway", "undici"]);
const upstream = await startFakeUpstream();
const config = {
  health: { intervalMs: 600_000 },
  models: { bench: { backends: [{ id: "fake", url: upstream.url, kind: "openai" }] } },
};
// Every target gets the same headers (a client key and Portkey's routing headers); only Portkey reads
// the routing ones, and Petrel runs open.
const headers = { authorization: "Bearer sk-bench", ...portkeyHeaders(upstream.url) };
try {
  const logMode = values["request-log"] as string;
  const logOff: Record<string, string> = logMode === "on" ? {} : { PETREL_REQUEST_LOG: logMode };
  const [minimal, portkey, petrel] = [
    await startMinimalProxy(upstream.url),
    await startPortkey(),
    await startNodeGateway(config, logOff),
  ];
  const targets: Target[] = [
    {
      name: "direct",
      url: upstream.url,
      pid: upstream.pid,
      headers,
      what: "client → fake upstream",
      scale: nodeScale,
    },
    {
      ...minimal,
      name: "minimal-proxy",
      headers,
      scale: nodeScale,
      what: "node:http server + fetch, bench/lib/minimal-proxy.ts",
    },
    {
      ...portkey,
      name: "portkey-node",
      headers,
      scale: nodeScale,
      what: "@portkey-ai/gateway build/start-server.js --headless (provider openai, custom host)",
    },
    {
      ...petrel,
      name: "petrel-node",
      headers,
      scale: nodeScale,
      what: `service/src/entry/node-gateway.ts under tsx, open mode, request log ${logMode}`,
    },
  ];
  if (!values.node) {
    const minimalWorker = await startWrangler(
      { UPSTREAM: upstream.url },
      "bench/workers/minimal-proxy/wrangler.toml",
    );
    const minimalBehindAssets = await startWrangler(
      { UPSTREAM: upstream.url },
      "bench/workers/minimal-proxy/wrangler-assets.toml",
    );
    const worker = await startWrangler({ PETREL_BACKENDS: JSON.stringify(config), ...logOff });
    targets.push(
      {
        ...minimalWorker,
        name: "minimal-worker",
        headers,
        scale: 1,
        what: "wrangler dev: bench/workers/minimal-proxy",
      },
      {
        ...minimalBehindAssets,
        name: "minimal-worker-assets",
        headers,
        scale: 1,
        what: "wrangler dev: bench/workers/minimal-proxy behind Petrel's [assets] front (wrangler-assets.toml)",
      },
      {
        ...worker,
        name: "petrel-worker",
        headers,
        scale: 1,
        what: `wrangler dev: service/src/entry/worker.ts, open mode, request log ${logMode}`,
      },
    );
  }
  const names = targets.map((t) => t.name);
  const cells = await measure(targets);
  const report = {
    benchmark: "gateway",
    rounds,
    requestLog: values["request-log"],
    requestsPerCell: Object.fromEntries(
      targets.map((t) => [t.name, Object.fromEntries(levels.map((c) => [c, requestsAt(c) * t.scale]))]),
    ),
    upstream:
      "bench/lib/fake-openai.ts: precomputed answer, one write (role, 1 content chunk, finish, usage, [DONE])",
    cpu: "each target's process tree (wrangler dev: wrangler's Node process, workerd, esbuild), /proc user+system",
    targets: Object.fromEntries(targets.map((t) => [t.name, t.what])),
    unavailable: {
      "portkey-worker":
        "@portkey-ai/gateway 1.15.2 publishes only build/start-server.js, a Node bundle that starts @hono/node-server when imported and exports no app: there is no Worker to run (its wrangler.toml and src/ are not in the package)",
    },
    checks: [
      ...checks(cells, "petrel-node", { portkey: "portkey-node", minimal: "minimal-proxy" }, levels),
      ...(values.node
        ? []
        : [
            ...checks(cells, "petrel-worker", { portkey: "portkey-node", minimal: "minimal-worker" }, levels),
            // the same floor with the same wrangler dev front as Petrel's Worker (its [assets] config)
            ...checks(cells, "petrel-worker", { minimal: "minimal-worker-assets" }, levels).filter((c) =>
              c.what.startsWith("CPU"),
            ),
          ]),
    ],
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
    rows: summarize(cells, names, levels),
  };
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ checks: report.checks, rows: report.rows.map(({ runs: _, ...r }) => r) }));
} finally {
  await stopAll();
}
process.exit(0);
