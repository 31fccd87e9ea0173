// Passive circuit breaker, one per backend. Closed: traffic flows. After `failureThreshold`
// consecutive failures it opens and the backend is skipped. After the cooldown one request is let
// through (half-open); its success closes the circuit, its failure reopens it with a doubled cooldown
// (capped), so a backend that keeps failing is probed less and less often.

import type { CircuitPolicy } from "./config.js";

export type CircuitState = "closed" | "open" | "half-open";

const MAX_COOLDOWN_FACTOR = 8;

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private cooldownMs: number;
  private opened = false;
  private probeInFlight = false;

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

  /** Whether a request may be sent now; in half-open only one trial request at a time. */
  canPass(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    return state === "half-open" && !this.probeInFlight;
  }

  /** Call when a request is actually sent, so half-open admits exactly one trial. */
  onAttempt(): void {
    if (this.state === "half-open") this.probeInFlight = true;
  }

  /** Milliseconds until this circuit admits a trial request again (0 if it does now). */
  retryInMs(): number {
    if (!this.opened) return 0;
    return Math.max(0, this.openedAt + this.cooldownMs - this.now());
  }

  recordSuccess(): void {
    this.failures = 0;
    this.opened = false;
    this.probeInFlight = false;
    this.cooldownMs = this.policy.cooldownMs;
  }

  recordFailure(): void {
    this.failures += 1;
    if (this.opened) {
      // A failed half-open trial (or a late failure while open) re-arms with a longer cooldown.
      if (this.probeInFlight || this.state === "half-open") {
        this.cooldownMs = Math.min(this.cooldownMs * 2, this.policy.cooldownMs * MAX_COOLDOWN_FACTOR);
      }
      this.openedAt = this.now();
      this.probeInFlight = false;
      return;
    }
    if (this.failures >= this.policy.failureThreshold) {
      this.opened = true;
      this.openedAt = this.now();
    }
  }

  /** A trial that ended without a verdict (e.g. the client left) frees the half-open slot. */
  releaseProbe(): void {
    this.probeInFlight = false;
  }
}
