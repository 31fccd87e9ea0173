// bench/README.md's worker-engine-cost table: workerd CPU per token of the in-Worker engine without
// HTTP, the session runs alone beside the whole engine, at batch 1 and the top batch.
import { table } from "./lib/markdown.mjs";

const what = {
  steps: "decode steps alone (feeds, session.run, K/V written in place)",
  generate: "whole engine: greedy requests through the batch scheduler",
  request: "per request: template, tokenizer, prefill, first pick",
};

export function workerEngineCost(r, machine) {
  const rows = r.rows.map((x) => [what[x.case] ?? x.case, x.batch, `${x.cpu_ms} per ${x.per}`, x.wall_ms]);
  const s = r.summary;
  const line =
    `Batch ${s.batch} vs 1, workerd CPU per token: session runs ${s.steps_ratio}× (paired ${s.steps_ratio_paired}×) ` +
    `(${s.steps_cpu_ms_per_token_1} → ${s.steps_cpu_ms_per_token_top} ms), whole engine ${s.generate_ratio}× (paired ${s.generate_ratio_paired}×) ` +
    `(${s.generate_cpu_ms_per_token_1} → ${s.generate_cpu_ms_per_token_top} ms); the engine outside the ` +
    `session runs ${s.outside_runs_ms_per_token_1} → ${s.outside_runs_ms_per_token_top} ms per token.`;
  const header = ["what", "batch", "workerd CPU ms", "wall ms (same unit)"];
  return `### worker-engine-cost (\`wrangler dev\`, bench/workers/engine-probe, ${r.model}; ${r.tokens} tokens per row, ${r.cached} cached positions to start, ${r.reps} reps; CPU in 10 ms ticks over ≥ 3 rounds per reading; paired = the median of the ratios within each repetition)\n\n${table(header, rows)}\n\n${line}\n\n${machine(r.machine)}`;
}
