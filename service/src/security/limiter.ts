// Where the per-key rate-limit state lives. One interface, two homes: a Durable Object per key on
// Workers (strongly consistent across isolates and colos) and a Map in this process on Node.
import type { RateLimits } from "./config.js";
import {
  type AcquireRequest,
  type Decision,
  KeyLimiterState,
  type UsageReport,
  type UsedTokens,
} from "./rate-limit.js";

export interface Lease {
  leaseId: string;
  reserved: number;
}

export interface Limiter {
  acquire(keyId: string, request: AcquireRequest): Promise<Decision>;
  settle(keyId: string, lease: Lease, used: UsedTokens, limits: RateLimits): Promise<void>;
  usage(keyId: string): Promise<UsageReport>;
}

/** Node (and tests): state in this process. Correct for one process; a fleet of Node gateways needs a shared store. */
export function memoryLimiter(now: () => number = Date.now): Limiter & { inFlight(keyId: string): number } {
  const states = new Map<string, KeyLimiterState>();
  const state = (keyId: string) => {
    let found = states.get(keyId);
    if (!found) {
      found = new KeyLimiterState();
      states.set(keyId, found);
    }
    return found;
  };
  return {
    acquire: async (keyId, request) => state(keyId).acquire(request, now()),
    settle: async (keyId, lease, used, limits) =>
      state(keyId).settle(lease.leaseId, lease.reserved, used, limits, now()),
    usage: async (keyId) => state(keyId).report(now()),
    inFlight: (keyId) => state(keyId).inFlight(now()),
  };
}
