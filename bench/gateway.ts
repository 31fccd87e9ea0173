// Gateway benchmark: the latency the edge adds in front of a backend. One instant fake OpenAI
// upstream (its own process); three ways to reach it — directly, through the Node gateway, through
// the Worker in real workerd (`wrangler dev`), both gateways configured with that one upstream (open
// mode, default logging). For 1, 16 and 64 keep-alive connections, non-stream and stream: p50/p99 of
// latency (non-stream: whole response; stream: first content chunk) and requests/s. Targets rotate
// every repetition; added latency = gateway − direct within the same repetition, then medians.
//   npx tsx bench/gateway.ts [--reps 5] [--per-connection 4] [--min-requests 100] [--out bench/results]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type LoadResult, runLoad } from "./lib/http-load.js";
import { startFakeUpstream, startNodeGateway, startWrangler, stopAll } from "./lib/procs.js";
import { loadNow, machineInfo, median, percentile, rotate, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    "per-connection": { type: "string", default: "4" },
    "min-requests": { type: "string", default: "100" },
    connections: { type: "string", default: "1,16,64" },
    out: { type: "string", default: "bench/results" },
    // "off" silences both gateways' per-request JSON log line, to see what logging costs
    "request-log": { type: "string", default: "on" },
    name: { type: "string", default: "gateway" },
  },
});
const reps = Number(values.reps);
const levels = (values.connections as string).split(",").map(Number);
const requestsAt = (c: number) =>
  Math.max(c * Number(values["per-connection"]), Number(values["min-requests"]));
const modes = ["non-stream", "stream"] as const;
type Mode = (typeof modes)[number];

const body = (stream: boolean) =>
  JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Hi!" }], stream, max_tokens: 8 });
const bodies = { "non-stream": body(false), stream: body(true) };

interface Cell {
  rep: number;
  p50Ms: number;
  p99Ms: number;
  reqPerS: number;
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** medians of the gateway's own Server-Timing: how much of the latency is inside the app */
  serverTimingP50Ms: Record<string, number>;
}

function cell(rep: number, r: LoadResult): Cell {
  const lat = r.samples.map((s) => s.firstMs);
  return {
    rep,
    p50Ms: round(percentile(lat, 50), 3),
    p99Ms: round(percentile(lat, 99), 3),
    reqPerS: round((r.samples.length / r.wallMs) * 1000, 1),
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

type Targets = Record<"direct" | "node-gateway" | "wrangler-dev", string>;
const key = (t: string, m: Mode, c: number) => `${t}|${m}|${c}`;
const load = (url: string, connections: number, requests: number, mode: Mode) =>
  runLoad({ url, connections, requests, stream: mode === "stream", makeBody: () => bodies[mode] });

async function measure(targets: Targets): Promise<Map<string, Cell[]>> {
  const names = Object.keys(targets) as (keyof Targets)[];
  for (const name of names) {
    for (const mode of modes) {
      const warm = await load(targets[name], 16, 100, mode);
      if (warm.errors > 0) throw new Error(`${name} ${mode}: ${warm.errors} errors during warm-up`);
    }
  }
  const cells = new Map<string, Cell[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const c of levels) {
      for (const mode of modes) {
        for (const name of rotate(names, rep)) {
          const r = await load(targets[name], c, requestsAt(c), mode);
          const k = key(name, mode, c);
          cells.set(k, [...(cells.get(k) ?? []), cell(rep, r)]);
        }
      }
    }
  }
  return cells;
}

function summarize(cells: Map<string, Cell[]>, names: string[]) {
  return names.flatMap((name) =>
    modes.flatMap((mode) =>
      levels.map((c) => {
        const runs = cells.get(key(name, mode, c)) as Cell[];
        const direct = cells.get(key("direct", mode, c)) as Cell[];
        // paired with the direct run of the same repetition, so slow phases of the machine cancel
        const paired = (f: (r: Cell, d: Cell) => number, digits: number) =>
          round(median(runs.map((r, i) => f(r, direct[i] as Cell))), digits);
        return {
          target: name,
          mode,
          connections: c,
          p50_ms: round(median(runs.map((r) => r.p50Ms)), 3),
          p99_ms: round(median(runs.map((r) => r.p99Ms)), 3),
          req_per_s: round(median(runs.map((r) => r.reqPerS)), 1),
          added_p50_ms: paired((r, d) => r.p50Ms - d.p50Ms, 3),
          added_p99_ms: paired((r, d) => r.p99Ms - d.p99Ms, 3),
          req_per_s_ratio_vs_direct: paired((r, d) => r.reqPerS / d.reqPerS, 3),
          errors: runs.reduce((n, r) => n + r.errors, 0),
          server_timing_p50_ms: Object.fromEntries(
            Object.keys(runs[0]?.serverTimingP50Ms ?? {}).map((k) => [
              k,
              round(median(runs.map((r) => r.serverTimingP50Ms[k] ?? Number.NaN)), 3),
            ]),
          ),
          runs,
        };
      }),
    ),
  );
}

const machine = machineInfo(["wrangler"]);
const upstream = await startFakeUpstream();
const config = {
  health: { intervalMs: 600_000 },
  models: { bench: { backends: [{ id: "fake", url: upstream.url, kind: "openai" }] } },
};
try {
  const logOff: Record<string, string> = values["request-log"] === "off" ? { PETREL_REQUEST_LOG: "off" } : {};
  const nodeGateway = await startNodeGateway(config, logOff);
  const worker = await startWrangler({ PETREL_BACKENDS: JSON.stringify(config), ...logOff });
  const targets: Targets = {
    direct: upstream.url,
    "node-gateway": nodeGateway.url,
    "wrangler-dev": worker.url,
  };
  const rows = summarize(await measure(targets), Object.keys(targets));
  const report = {
    benchmark: "gateway",
    reps,
    requestLog: values["request-log"],
    requestsPerCell: Object.fromEntries(levels.map((c) => [c, requestsAt(c)])),
    upstream:
      "bench/lib/fake-openai.ts: precomputed answer, one write (role, 1 content chunk, finish, usage, [DONE])",
    targets: {
      direct: "client → fake upstream",
      "node-gateway": `client → service/src/entry/node-gateway.ts (open mode, request log ${values["request-log"]}) → fake upstream`,
      "wrangler-dev": `client → wrangler dev (workerd, open mode via .env, request log ${values["request-log"]}) → fake upstream`,
    },
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
    rows,
  };
  writeFileSync(`${values.out}/${values.name}.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(rows.map(({ runs: _, ...r }) => r)));
} finally {
  await stopAll();
}
process.exit(0);
