// The gateway benchmark's summary: per target × mode × connections the medians over rounds, the
// latency each adds over the direct call of the same round, and the issue-18 checks — Petrel's CPU
// per request against Portkey's and the minimal proxy's (ratios paired within a round, then the
// median), its added p50 at one connection and its added time to the first streamed token.
import { median, round } from "./stats.js";

export const MODES = ["non-stream", "stream"] as const;
export type Mode = (typeof MODES)[number];

export interface Cell {
  round: number;
  p50Ms: number;
  p99Ms: number;
  reqPerS: number;
  /** the target's process tree's user+system CPU during the cell, per answered request (/proc) */
  cpuMsPerRequest: number;
  requests: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** medians of the target's own Server-Timing, where it sends one */
  serverTimingP50Ms: Record<string, number>;
}

export type Cells = Map<string, Cell[]>;
export const cellKey = (target: string, mode: Mode, connections: number) =>
  `${target}|${mode}|${connections}`;

export function summarize(cells: Cells, targets: string[], levels: number[]) {
  return targets.flatMap((target) =>
    MODES.flatMap((mode) =>
      levels.map((c) => {
        const runs = cells.get(cellKey(target, mode, c)) ?? [];
        const direct = cells.get(cellKey("direct", mode, c)) ?? [];
        const paired = (f: (r: Cell, d: Cell) => number, digits: number) =>
          round(median(runs.map((r, i) => f(r, direct[i] as Cell))), digits);
        return {
          target,
          mode,
          connections: c,
          p50_ms: round(median(runs.map((r) => r.p50Ms)), 3),
          p99_ms: round(median(runs.map((r) => r.p99Ms)), 3),
          req_per_s: round(median(runs.map((r) => r.reqPerS)), 1),
          cpu_ms_per_request: round(median(runs.map((r) => r.cpuMsPerRequest)), 3),
          added_p50_ms: paired((r, d) => r.p50Ms - d.p50Ms, 3),
          added_p99_ms: paired((r, d) => r.p99Ms - d.p99Ms, 3),
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

/** median over rounds of a/b, each round's a against the same round's b */
function pairedRatio(cells: Cells, a: string, b: string, mode: Mode, c: number): number {
  const xs = cells.get(cellKey(a, mode, c)) ?? [];
  const ys = cells.get(cellKey(b, mode, c)) ?? [];
  return round(median(xs.map((x, i) => x.cpuMsPerRequest / (ys[i]?.cpuMsPerRequest ?? Number.NaN))), 3);
}

function pairedAdded(cells: Cells, target: string, mode: Mode, c: number): number {
  const xs = cells.get(cellKey(target, mode, c)) ?? [];
  const ds = cells.get(cellKey("direct", mode, c)) ?? [];
  return round(median(xs.map((x, i) => x.p50Ms - (ds[i]?.p50Ms ?? Number.NaN))), 3);
}

export interface Check {
  subject: string;
  what: string;
  connections: number;
  value: number;
  limit: number;
  met: boolean;
}

/**
 * The issue-18 targets for one Petrel target against its peers: CPU per non-stream request at most
 * 0.5× Portkey's and 1.3× the minimal proxy's (each connection level), added p50 at one connection
 * at most 0.5 ms, added time to the first streamed token at most 1.2 ms.
 */
export function checks(
  cells: Cells,
  subject: string,
  peers: { portkey?: string; minimal: string },
  levels: number[],
): Check[] {
  const out: Check[] = [];
  const add = (what: string, connections: number, value: number, limit: number) =>
    out.push({ subject, what, connections, value, limit, met: value <= limit });
  for (const c of levels) {
    if (peers.portkey)
      add(
        `CPU/request ÷ ${peers.portkey}'s`,
        c,
        pairedRatio(cells, subject, peers.portkey, "non-stream", c),
        0.5,
      );
    add(
      `CPU/request ÷ ${peers.minimal}'s`,
      c,
      pairedRatio(cells, subject, peers.minimal, "non-stream", c),
      1.3,
    );
  }
  add("added p50 ms (non-stream)", 1, pairedAdded(cells, subject, "non-stream", 1), 0.5);
  add("added p50 ms to first token (stream)", 1, pairedAdded(cells, subject, "stream", 1), 1.2);
  return out;
}
