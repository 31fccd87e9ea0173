// Weighted least-outstanding-requests with power-of-two-choices: draw two distinct backends with
// probability ∝ weight, send to the one with the lower load score. At equal load traffic follows the
// weights; under load it follows the scores; and, unlike "always pick the minimum", many edge
// isolates with stale load reports do not all stampede the same backend.

/** A backend's own report (Petrel /v1/load, vLLM /metrics …), taken at some moment. */
export interface LoadSnapshot {
  active: number;
  queued: number;
  capacity?: number;
  /** vLLM KV-cache usage, 0..1. */
  kvCacheUsage?: number;
  /** Our own outstanding requests to this backend when the report was taken. */
  outstandingAtSample: number;
}

export interface Candidate {
  weight: number;
  /** Requests this gateway has in flight to the backend right now. */
  outstanding: number;
  load?: LoadSnapshot;
}

/** A waiting request costs more than a running one: it has not even started its prefill. */
const QUEUE_PENALTY = 4;
/** Past this KV-cache usage vLLM starts preempting and queueing. */
const KV_PRESSURE_START = 0.8;
const KV_PENALTY = 20;

/**
 * Estimated cost of sending one more request, lower is better. The report is stale, but the part of
 * it that is *our* traffic we know exactly now: others' load = reported − ours at sample time.
 */
export function loadScore(c: Candidate): number {
  const load = c.load;
  if (!load) return (c.outstanding + 1) / c.weight;
  const foreign = Math.max(0, load.active + load.queued - load.outstandingAtSample);
  const inFlight = foreign + c.outstanding;
  const queued =
    load.capacity !== undefined && load.capacity > 0
      ? Math.max(0, inFlight + 1 - load.capacity)
      : Math.max(load.queued, 0);
  const kv = Math.max(0, (load.kvCacheUsage ?? 0) - KV_PRESSURE_START) * KV_PENALTY;
  return (inFlight + 1 + QUEUE_PENALTY * queued + kv) / c.weight;
}

function weightedDraw<T extends Candidate>(items: T[], random: () => number): number {
  const total = items.reduce((sum, c) => sum + c.weight, 0);
  let r = random() * total;
  for (let i = 0; i < items.length; i++) {
    r -= (items[i] as T).weight;
    if (r < 0) return i;
  }
  return items.length - 1;
}

/** Picks one candidate; undefined when there are none. */
export function pickCandidate<T extends Candidate>(items: T[], random = Math.random): T | undefined {
  if (items.length <= 1) return items[0];
  const first = weightedDraw(items, random);
  const rest = items.filter((_, i) => i !== first);
  const a = items[first] as T;
  const b = rest[weightedDraw(rest, random)] as T;
  const sa = loadScore(a);
  const sb = loadScore(b);
  if (sa === sb) return random() < 0.5 ? a : b;
  return sa < sb ? a : b;
}
