// The rate-limit state of one key, as pure logic with an explicit clock: token buckets for requests
// and tokens per minute (capacity = the limit, refilled continuously), leases for concurrency, and
// the key's usage counters. The Durable Object and the in-memory limiter both hold one of these per
// key, so Workers and Node apply exactly the same rules.
import type { RateLimits } from "./config.js";

/** A lease that is never settled (a crashed isolate) stops counting against concurrency after this. */
export const LEASE_MS = 15 * 60_000;
const MINUTE_MS = 60_000;
/** Concurrency frees up when some request ends; clients are told to come back in a second. */
const CONCURRENCY_RETRY_MS = 1_000;

export interface LimitSnapshot {
  limit: number;
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
}

export interface AcquireRequest {
  limits: RateLimits;
  /** Estimated prompt tokens + max completion tokens; clamped to the tokens-per-minute limit. */
  reserveTokens: number;
}

interface Snapshots {
  requests?: LimitSnapshot;
  tokens?: LimitSnapshot;
}

export type Decision =
  | ({ ok: true; leaseId: string; reserved: number } & Snapshots)
  | ({
      ok: false;
      reason: "requests" | "tokens" | "concurrency";
      limit: number;
      retryAfterMs: number;
    } & Snapshots);

export interface UsedTokens {
  promptTokens: number;
  completionTokens: number;
}

export interface Usage extends UsedTokens {
  /** Requests let through (each counted once, at admission). */
  requests: number;
  /** Requests refused with 429. */
  rejected: number;
}

/** Usage plus the requests holding a concurrency lease right now (what the admin report shows). */
export interface UsageReport extends Usage {
  inFlight: number;
}

export const emptyUsage = (): Usage => ({ requests: 0, rejected: 0, promptTokens: 0, completionTokens: 0 });

class Bucket {
  private level: number;
  private at: number;
  constructor(
    private capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
  }

  /** Refills up to `now` under the current capacity (a lowered limit caps what is left). */
  refill(capacity: number, now: number) {
    const rate = capacity / MINUTE_MS;
    this.level = Math.min(capacity, this.level + Math.max(0, now - this.at) * rate);
    this.capacity = capacity;
    this.at = Math.max(this.at, now);
  }

  waitMs(amount: number): number {
    if (this.level >= amount) return 0;
    return this.capacity === 0 ? MINUTE_MS : ((amount - this.level) * MINUTE_MS) / this.capacity;
  }

  add(amount: number) {
    this.level = Math.min(this.capacity, this.level + amount);
  }

  snapshot(): LimitSnapshot {
    const missing = this.capacity - this.level;
    const resetMs = this.capacity === 0 ? 0 : (missing * MINUTE_MS) / this.capacity;
    return {
      limit: this.capacity,
      remaining: Math.max(0, Math.floor(this.level)),
      resetMs: Math.ceil(resetMs),
    };
  }
}

export class KeyLimiterState {
  private requests?: Bucket;
  private tokens?: Bucket;
  private readonly leases = new Map<string, number>();
  private nextLease = 0;
  readonly usage: Usage = emptyUsage();

  private bucket(which: "requests" | "tokens", capacity: number | null, now: number): Bucket | undefined {
    if (capacity === null) return undefined;
    const bucket = this[which] ?? new Bucket(capacity, now);
    this[which] = bucket;
    bucket.refill(capacity, now);
    return bucket;
  }

  private liveLeases(now: number): number {
    for (const [id, expires] of this.leases) if (expires <= now) this.leases.delete(id);
    return this.leases.size;
  }

  acquire({ limits, reserveTokens }: AcquireRequest, now: number): Decision {
    const requests = this.bucket("requests", limits.requestsPerMinute, now);
    const tokens = this.bucket("tokens", limits.tokensPerMinute, now);
    const reserve = Math.max(0, Math.min(reserveTokens, limits.tokensPerMinute ?? reserveTokens));
    const snapshots = () => ({ requests: requests?.snapshot(), tokens: tokens?.snapshot() });
    const refuse = (reason: "requests" | "tokens" | "concurrency", limit: number, retryAfterMs: number) => {
      this.usage.rejected++;
      return { ok: false as const, reason, limit, retryAfterMs: Math.ceil(retryAfterMs), ...snapshots() };
    };
    if (requests && requests.waitMs(1) > 0)
      return refuse("requests", requests.snapshot().limit, requests.waitMs(1));
    if (tokens && tokens.waitMs(reserve) > 0)
      return refuse("tokens", tokens.snapshot().limit, tokens.waitMs(reserve));
    // Pruned on every admission, so leases that are never settled cannot pile up even when unlimited.
    const inFlight = this.liveLeases(now);
    if (limits.concurrent !== null && inFlight >= limits.concurrent)
      return refuse("concurrency", limits.concurrent, CONCURRENCY_RETRY_MS);
    requests?.add(-1);
    tokens?.add(-reserve);
    const leaseId = `lease-${++this.nextLease}`;
    this.leases.set(leaseId, now + LEASE_MS);
    this.usage.requests++;
    return { ok: true, leaseId, reserved: reserve, ...snapshots() };
  }

  /** Ends a lease: records actual usage and returns the unused part of the reservation (or charges more). */
  settle(leaseId: string, reserved: number, used: UsedTokens, limits: RateLimits, now: number) {
    this.leases.delete(leaseId);
    this.usage.promptTokens += used.promptTokens;
    this.usage.completionTokens += used.completionTokens;
    const tokens = this.bucket("tokens", limits.tokensPerMinute, now);
    tokens?.add(reserved - (used.promptTokens + used.completionTokens));
  }

  inFlight(now: number): number {
    return this.liveLeases(now);
  }

  report(now: number): UsageReport {
    return { ...this.usage, inFlight: this.liveLeases(now) };
  }
}
