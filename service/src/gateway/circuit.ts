// Passive circuit breaker, one per backend, judging whole streams: a stream counts as a success only
// when it ends cleanly, and a failure after the first token counts like one before it. Closed: traffic
// flows. After `failureThreshold` consecutive failures — or one hang (response headers, then not a
// byte: a backend that writes at once is stuck, not busy) — it opens and the backend gets no client
// requests. Once the cooldown has
// passed it is half-open: the pool sends one synthetic trial (a one-token completion, never a
// client's request); the trial's success closes the circuit, its failure reopens it. Every trip in a
// row doubles the cooldown (capped), and only a run of clean streams forgets them, so a backend that
// passes trials but keeps failing real streams is tried less and less often.

import type { CircuitPolicy } from "./config.js";

export type CircuitState = "closed" | "open" | "half-open";

/** Why a stream failed, as far as the circuit cares: a hang trips it at once. */
export type FailureKind = "error" | "hang";

const MAX_COOLDOWN_FACTOR = 8;
/** Clean streams in a row after which earlier trips no longer lengthen the next cooldown. */
const RECOVERED_AFTER = 10;

export class CircuitBreaker {
  private failures = 0;
  private cleanStreak = 0;
  private tripsInRow = 0;
  private openedAt = 0;
  private cooldownMs: number;
  private opened = false;
  private trialInFlight = false;
  /** Times the circuit opened (closed → open), for metrics. */
  trips = 0;
  readonly trials = { passed: 0, failed: 0 };

  constructor(
    private readonly policy: CircuitPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.cooldownMs = policy.cooldownMs;
  }

  get state(): CircuitState {
    if (!this.opened) return "closed";
    return this.now() - this.openedAt >= this.cooldownMs ? "half-open" : "open";
  }

  /** Whether a client request may be sent now: only when closed. */
  canPass(): boolean {
    return !this.opened;
  }

  /** Whether the pool should start a synthetic trial now (half-open and none running). */
  trialDue(): boolean {
    return this.state === "half-open" && !this.trialInFlight;
  }

  /** Milliseconds until a trial is due (0 once it is, or when closed). */
  retryInMs(): number {
    if (!this.opened) return 0;
    return Math.max(0, this.openedAt + this.cooldownMs - this.now());
  }

  /** A client stream ended cleanly. */
  recordSuccess(): void {
    this.failures = 0;
    this.cleanStreak += 1;
    if (this.cleanStreak >= RECOVERED_AFTER) this.tripsInRow = 0;
  }

  /** A client request failed (before or after its first token). */
  recordFailure(kind: FailureKind = "error"): void {
    this.failures += 1;
    this.cleanStreak = 0;
    if (this.opened) return; // a late failure of a request sent before the trip
    if (kind === "hang" || this.failures >= this.policy.failureThreshold) this.open();
  }

  beginTrial(): void {
    this.trialInFlight = true;
  }

  endTrial(passed: boolean): void {
    this.trialInFlight = false;
    if (!this.opened) return;
    if (passed) {
      this.trials.passed += 1;
      this.opened = false;
      this.failures = 0;
      return;
    }
    this.trials.failed += 1;
    this.tripsInRow += 1;
    this.rearm();
  }

  private open(): void {
    this.opened = true;
    this.trips += 1;
    this.tripsInRow += 1;
    this.rearm();
  }

  private rearm(): void {
    const factor = Math.min(2 ** (this.tripsInRow - 1), MAX_COOLDOWN_FACTOR);
    this.cooldownMs = this.policy.cooldownMs * factor;
    this.openedAt = this.now();
  }
}
