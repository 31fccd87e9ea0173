// bench/README.md's cold-start table: one row per Worker configuration, from one alternating run.
import { table } from "./lib/markdown.mjs";

const labels = {
  lazy: "engine built on the first request (default)",
  preload: "engine built at isolate start (`PETREL_PRELOAD=1`)",
};

export function coldStart(r) {
  const commit = `${r.machine?.gitCommit ?? "?"}${r.machine?.gitDirty ? " (dirty)" : ""}`;
  const rows = Object.entries(r.configs ?? {}).map(([name, c]) => {
    const m = c.medians;
    return [
      labels[name] ?? name,
      commit,
      m.readyMs,
      m.workerdCpuMsAtReady,
      m.firstTokenMs,
      m.firstWorkerdCpuMs,
      m.warmFirstTokenMs,
      m.warmWorkerdCpuMs,
      m.spawnToFirstTokenMs,
    ];
  });
  const header = [
    "Worker",
    "commit",
    "spawn → Ready ms",
    "workerd CPU ms at Ready",
    "first request: first token ms",
    "first request: workerd CPU ms",
    "warm request: first token ms",
    "warm request: workerd CPU ms",
    "spawn → first token ms",
  ];
  const load = `load average ${r.machine?.loadAverage1mAtStart ?? "?"} at start, ${r.machine?.loadAverage1mAtEnd ?? "?"} at end`;
  return `### cold-start (\`wrangler dev\`, a streaming chat of ${r.request?.max_tokens ?? "?"} tokens, ${r.reps} reps alternating; medians; CPU in 10 ms ticks)\n\n${table(header, rows)}\n\n_Measured on ${r.machine?.cpus ?? "?"}× ${r.machine?.cpuModel ?? "cpu"}, Node ${r.machine?.node ?? "?"}, ${load}._`;
}
