// Where the Node gateway's time goes: the gateway under `node --cpu-prof` in front of the instant fake
// upstream, 4 connections (`--connections`), non-stream then stream requests; the V8 profile's self
// time grouped by package (undici = its client to the upstream, hono, @cfworker = request validation, service/... =
// Petrel's own files, (native) = GC, socket writes, console). Samples before the measured load
// (start-up, module loading, a warm-up of 200 requests) are left out: the profile's timestamps and
// process.hrtime read the same monotonic clock. Writes <out>/gateway-profile.json.
//   npx tsx bench/gateway-profile.ts [--requests 1500] [--modes non-stream,stream] [--connections 4] [--out bench/results]
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runLoad } from "./lib/http-load.js";
import { startFakeUpstream, startNode, stopAll } from "./lib/procs.js";
import { processCpuMs as cpuMs, loadNow, machineInfo, round } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1500" },
    modes: { type: "string", default: "non-stream,stream" },
    connections: { type: "string", default: "4" },
    out: { type: "string", default: "bench/results" },
  },
});

interface Profile {
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

function group(url: string, fn: string): string {
  // native frames have no URL: GC, socket writes, console, "(program)"
  if (!url) return `(native) ${fn}`;
  if (url.includes("/node_modules/")) {
    const rest = url.split("/node_modules/").pop() as string;
    return rest.startsWith("@") ? rest.split("/").slice(0, 2).join("/") : (rest.split("/")[0] as string);
  }
  if (url.includes("/service/src/")) return `service/${url.split("/service/src/").pop()}`;
  if (url.startsWith("node:") || !url.includes("/"))
    return url ? `node:${url.replace(/^node:/, "")}` : "(native)";
  return url.split("/").pop() as string;
}

/** Self time by package and by function, of the samples taken at or after `fromUs` (monotonic µs). */
function summarize(profile: Profile, top: number, fromUs: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    // idle: the process waiting for I/O, not work
    if (at < fromUs || !frame || frame.functionName === "(idle)") return;
    total += dt;
    const g = group(frame.url, frame.functionName);
    groups.set(g, (groups.get(g) ?? 0) + dt);
    const f = frame.url ? `${frame.functionName || "(anonymous)"} @ ${g}` : g;
    functions.set(f, (functions.get(f) ?? 0) + dt);
  });
  const share = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, percent: round((us / total) * 100, 1) }));
  return { busyMs: round(total / 1000), byPackage: share(groups), byFunction: share(functions) };
}

const machine = machineInfo();
const dir = mkdtempSync(join(tmpdir(), "petrel-gateway-profile-"));
const upstream = await startFakeUpstream();
const config = {
  health: { intervalMs: 600_000 },
  models: { bench: { backends: [{ id: "fake", url: upstream.url, kind: "openai" }] } },
};
const requests = Number(values.requests);
const connections = Number(values.connections);
try {
  const gateway = await startNode({
    args: [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      "--import",
      "tsx",
      "service/src/entry/node-gateway.ts",
      "--port",
      "0",
    ],
    env: { PETREL_BACKENDS: JSON.stringify(config), PETREL_OPEN_ACCESS: "1" },
    ready: { line: /listening on (http:\/\/\S+)/ },
  });
  const modes = (values.modes as string).split(",");
  const bodyOf = (stream: boolean) =>
    JSON.stringify({ model: "bench", messages: [{ role: "user", content: "Hi!" }], stream, max_tokens: 8 });
  for (const mode of modes) {
    const stream = mode === "stream";
    await runLoad({
      url: gateway.url,
      connections,
      requests: 100,
      stream,
      makeBody: () => bodyOf(stream),
    });
  }
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const cpuBefore = cpuMs(gateway.pid);
  const served: Record<string, number> = {};
  for (const mode of modes) {
    const stream = mode === "stream";
    const body = bodyOf(stream);
    const r = await runLoad({ url: gateway.url, connections, requests, stream, makeBody: () => body });
    served[mode] = r.samples.length;
  }
  const cpuDuringLoad = cpuMs(gateway.pid) - cpuBefore;
  await gateway.stop(); // SIGTERM: the gateway exits normally, and node writes the profile
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no CPU profile written");
  const summary = summarize(JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile, 25, fromUs);
  const report = {
    benchmark: "gateway-profile",
    connections,
    served,
    // from /proc: the gateway process's user+system CPU during the load only (no start-up)
    cpuMsPerRequest: round(cpuDuringLoad / (requests * modes.length), 3),
    // the measured load only: start-up, warm-up and shutdown are left out
    ...summary,
    machine: { ...machine, loadAverage1mAtEnd: loadNow() },
  };
  writeFileSync(`${values.out}/gateway-profile.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify({ ...report, byFunction: report.byFunction.slice(0, 10) }, null, 2));
} finally {
  await stopAll();
}
process.exit(0);
