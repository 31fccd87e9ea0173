// The backends serving one model, with what the gateway knows about each: requests in flight,
// circuit state, last active health check and load report, and a Retry-After cooldown.

import { type Candidate, type LoadSnapshot, pickCandidate } from "./balancer.js";
import { CircuitBreaker } from "./circuit.js";
import type { GatewayClock } from "./clock.js";
import type { BackendConfig, CircuitPolicy, HealthPolicy } from "./config.js";
import { probeBackend } from "./health.js";
import type { LoadReport } from "./load-signals.js";
import type { FetchLike } from "./openai-upstream.js";
import { runTrial } from "./trial.js";
import type { ChatBackend } from "./types.js";

/** An in-process backend (the embedded engine) may report its load directly. */
interface SelfReporting {
  load(): LoadReport;
}
const selfReports = (b: ChatBackend): b is ChatBackend & SelfReporting =>
  typeof (b as Partial<SelfReporting>).load === "function";

/** How often a request waiting on a half-open circuit's trial looks again. */
const TRIAL_POLL_MS = 50;
/** Consecutive failed active checks before a backend is skipped. */
const UNHEALTHY_AFTER = 2;

export class BackendSlot implements Candidate {
  outstanding = 0;
  healthy = true;
  lastProbeAt = Number.NEGATIVE_INFINITY;
  cooldownUntil = 0;
  failedProbes = 0;
  probing: Promise<void> | undefined;
  trial: Promise<void> | undefined;
  private snapshot: LoadSnapshot | undefined;
  readonly circuit: CircuitBreaker;

  constructor(
    readonly config: BackendConfig,
    readonly backend: ChatBackend,
    circuit: CircuitPolicy,
    private readonly now: () => number,
  ) {
    this.circuit = new CircuitBreaker(circuit, now);
  }

  get id(): string {
    return this.config.id;
  }

  get weight(): number {
    return this.config.weight;
  }

  get load(): LoadSnapshot | undefined {
    if (selfReports(this.backend)) return { ...this.backend.load(), outstandingAtSample: this.outstanding };
    return this.snapshot;
  }

  setLoad(report: LoadReport | undefined, outstandingAtSample: number): void {
    this.snapshot = report && { ...report, outstandingAtSample };
  }

  available(): boolean {
    return this.healthy && this.now() >= this.cooldownUntil && this.circuit.canPass();
  }

  /**
   * How long a request should wait for this slot: a Retry-After rest or a half-open circuit's trial
   * are worth waiting for; an open circuit or a failed health check are not (the client gets 503).
   */
  waitMs(): number {
    const state = this.circuit.state;
    if (!this.healthy || state === "open") return Number.POSITIVE_INFINITY;
    const rest = Math.max(0, this.cooldownUntil - this.now());
    return state === "closed" ? rest : Math.max(rest, TRIAL_POLL_MS);
  }

  /** When a client may try again, for `retry-after`; Infinity while the health check fails. */
  retryAfterMs(): number {
    if (!this.healthy) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.cooldownUntil - this.now(), this.circuit.retryInMs());
  }
}

export class Pool {
  constructor(
    readonly modelId: string,
    readonly slots: BackendSlot[],
    private readonly health: HealthPolicy,
    private readonly fetchImpl: FetchLike,
    private readonly clock: GatewayClock,
    private readonly random: () => number,
  ) {}

  private now(): number {
    return this.clock.now();
  }

  /** Picks an available slot, preferring ones not in `avoid` (already failed for this request). */
  pick(avoid: ReadonlySet<BackendSlot>): BackendSlot | undefined {
    const open = this.slots.filter((s) => s.available());
    const fresh = open.filter((s) => !avoid.has(s));
    return pickCandidate(fresh.length > 0 ? fresh : open, this.random);
  }

  /** Soonest (ms from now) any slot is worth waiting for; Infinity if none is. */
  soonestWaitMs(): number {
    return Math.min(...this.slots.map((s) => s.waitMs()));
  }

  /** Soonest (ms from now) any slot may take a request again, for `retry-after`. */
  retryAfterMs(): number {
    return Math.min(...this.slots.map((s) => s.retryAfterMs()));
  }

  /**
   * Starts health checks on slots whose last one is older than the interval, and trials for
   * half-open circuits; never waits for them. `waitUntil` keeps them running after the response on
   * runtimes that would cancel them (Workers).
   */
  refreshStale(waitUntil?: (promise: Promise<unknown>) => void): void {
    const now = this.now();
    for (const slot of this.slots) {
      if (slot.circuit.trialDue()) {
        const trial = this.startTrial(slot);
        waitUntil?.(trial);
      }
      if (slot.probing || now - slot.lastProbeAt < this.health.intervalMs) continue;
      slot.lastProbeAt = now;
      slot.probing = this.probe(slot).finally(() => {
        slot.probing = undefined;
      });
      waitUntil?.(slot.probing);
    }
  }

  private startTrial(slot: BackendSlot): Promise<void> {
    slot.circuit.beginTrial();
    slot.trial = runTrial(slot.backend, this.modelId).then((passed) => {
      slot.circuit.endTrial(passed);
      slot.trial = undefined;
    });
    return slot.trial;
  }

  /** Probes every slot now, runs the trials that are due, and waits for all of it (Node start-up, tests). */
  async probeAll(): Promise<void> {
    const trial = (s: BackendSlot) => (s.circuit.trialDue() ? this.startTrial(s) : s.trial);
    await Promise.all(this.slots.map((s) => Promise.all([this.probe(s), trial(s)])));
  }

  private async probe(slot: BackendSlot): Promise<void> {
    const outstanding = slot.outstanding;
    const result = await probeBackend(slot.config, this.fetchImpl, this.health.timeoutMs, this.clock);
    slot.lastProbeAt = this.now();
    // One failed probe may be a blip (or a probe cut short with its request): take a backend out
    // only after two in a row; one success puts it back.
    slot.failedProbes = result.ready ? 0 : slot.failedProbes + 1;
    slot.healthy = result.ready || slot.failedProbes < UNHEALTHY_AFTER;
    // Our requests that started or ended while the probe was out may or may not be in the report;
    // counting the larger number as ours avoids mistaking our own traffic for someone else's.
    slot.setLoad(result.load, Math.max(outstanding, slot.outstanding));
  }
}
