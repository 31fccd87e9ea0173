// The concurrency benchmark's summaries: one row per level per server configuration (medians over
// repetitions, TTFT percentiles pooled over every stream of every repetition), ratios paired within
// a repetition, and the model's size read from its config.json.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Sample } from "./http-load.js";
import { root } from "./procs.js";
import { median, percentile, round } from "./stats.js";

export interface Round {
  rep: number;
  wallMs: number;
  tokens: number;
  aggregateTokS: number;
  /** the backend process's own CPU per token: what the wall-clock figures cost, without neighbours */
  serverCpuMsPerToken: number;
  ttftMs: number[];
  streamTokS: number[];
}

/**
 * The wall-clock half of a round of simultaneous streams (all must be 200); the caller adds the CPU
 * it measured per token.
 */
export function streamRound(rep: number, samples: Sample[], wallMs: number, who: string) {
  const bad = samples.find((s) => s.status !== 200);
  if (bad) throw new Error(`${who} answered ${bad.status}`);
  const tokens = samples.reduce((n, s) => n + (s.completionTokens ?? 0), 0);
  return {
    rep,
    wallMs: round(wallMs),
    tokens,
    aggregateTokS: round((tokens / wallMs) * 1000, 1),
    ttftMs: samples.map((s) => round(s.firstMs)),
    // a client's view of decode speed: tokens after the first over the time after the first
    streamTokS: samples.map((s) =>
      round((((s.completionTokens ?? 1) - 1) / (s.totalMs - s.firstMs)) * 1000, 1),
    ),
  };
}

export function levelRows(levels: number[], rounds: Map<number, Round[]>) {
  const rows = levels.map((level) => {
    const rs = rounds.get(level) ?? [];
    const ttfts = rs.flatMap((r) => r.ttftMs);
    return {
      concurrency: level,
      aggregate_tok_s: round(median(rs.map((r) => r.aggregateTokS)), 1),
      ttft_p50_ms: round(percentile(ttfts, 50)),
      ttft_p99_ms: round(percentile(ttfts, 99)),
      stream_tok_s_p50: round(median(rs.flatMap((r) => r.streamTokS)), 1),
      server_cpu_ms_per_token: round(median(rs.map((r) => r.serverCpuMsPerToken)), 3),
      runs: rs,
    };
  });
  const base = rows[0]?.aggregate_tok_s ?? Number.NaN;
  return rows.map((r) => ({ ...r, scaling_vs_1: round(r.aggregate_tok_s / base) }));
}

type Rows = ReturnType<typeof levelRows>;

/** Median over repetitions of (a's aggregate tok/s ÷ b's) in the same repetition. */
export function pairedRatio(a: Round[], b: Round[]): number {
  const byRep = new Map(b.map((r) => [r.rep, r.aggregateTokS]));
  return round(median(a.map((r) => r.aggregateTokS / (byRep.get(r.rep) ?? Number.NaN))), 3);
}

/** The issue-10 figure for one configuration: the top level against one stream, and its TTFT. */
export function topVsOne(rows: Rows) {
  const one = rows[0] as Rows[number];
  const top = rows.reduce((a, r) => (r.concurrency > a.concurrency ? r : a), one);
  return {
    streams: top.concurrency,
    aggregate_tok_s_1: one.aggregate_tok_s,
    aggregate_tok_s_top: top.aggregate_tok_s,
    // ratio of the two medians, and the median of the ratios paired within each repetition
    ratio: round(top.aggregate_tok_s / one.aggregate_tok_s),
    ratio_paired: round(pairedRatio(top.runs, one.runs), 2),
    ttft_p50_ms_top: top.ttft_p50_ms,
    ttft_p99_ms_top: top.ttft_p99_ms,
    server_cpu_ms_per_token_1: one.server_cpu_ms_per_token,
    server_cpu_ms_per_token_top: top.server_cpu_ms_per_token,
  };
}

/** Shape and parameter count (embeddings tied) from the model directory's config.json. */
export function modelShape(dir: string) {
  const c = JSON.parse(readFileSync(resolve(root, dir, "config.json"), "utf8"));
  const h = c.hidden_size as number;
  const kv = (h / c.num_attention_heads) * c.num_key_value_heads;
  const perLayer = 2 * h * h + 2 * h * kv + 3 * h * c.intermediate_size + 2 * h;
  const params = c.vocab_size * h + c.num_hidden_layers * perLayer + h;
  return {
    layers: c.num_hidden_layers as number,
    hidden: h,
    params_m: round(params / 1e6, 2),
    fp32_mb: round((params * 4) / 1e6, 1),
  };
}
