// The Durable Object that holds one key's rate-limit state on Workers (one object per key id, named
// by `idFromName`). A Durable Object runs single-threaded in one place, so "check the buckets, then
// take from them" is atomic for every isolate and every colo: N parallel requests against a limit of
// N per minute admit exactly N. Usage counters are persisted; buckets and leases live in memory
// (losing them on eviction only hands a key a fresh minute, and eviction needs idleness).
// The Worker calls it over JS RPC (three methods, structured-clone arguments): no Request, URL, JSON
// body or Response per call, on either side — a chat request makes two of these calls. This file is
// the host-independent object (no `cloudflare:workers` import, so it type-checks and runs under Node
// in tests); entry/rate-limiter-do.ts is the workerd class that extends DurableObject around it.
import type { RateLimits } from "./config.js";
import type { Lease, Limiter } from "./limiter.js";
import {
  type AcquireRequest,
  type Decision,
  KeyLimiterState,
  type Usage,
  type UsageReport,
  type UsedTokens,
} from "./rate-limit.js";

/** The parts of DurableObjectState this class uses. */
export interface DurableObjectStateLike {
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put<T>(key: string, value: T): Promise<void>;
  };
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

/** The object's RPC methods: what a stub offers the Worker. */
export interface RateLimiterRpc {
  acquire(request: AcquireRequest): Promise<Decision>;
  settle(call: SettleCall): Promise<void>;
  usage(): Promise<UsageReport>;
}

/** The parts of DurableObjectNamespace the client uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): RateLimiterRpc;
}

export type SettleCall = { lease: Lease; used: UsedTokens; limits: RateLimits };

const USAGE_KEY = "usage";

export class RateLimiterObject implements RateLimiterRpc {
  private readonly limiter = new KeyLimiterState();
  // workerd holds events until blockConcurrencyWhile settles; awaiting it too keeps other hosts honest.
  private readonly loaded: Promise<void>;

  constructor(private readonly state: DurableObjectStateLike) {
    this.loaded = state.blockConcurrencyWhile(async () => {
      const saved = await state.storage.get<Usage>(USAGE_KEY);
      if (saved) Object.assign(this.limiter.usage, saved);
    });
  }

  async acquire(request: AcquireRequest): Promise<Decision> {
    await this.loaded;
    const decision = this.limiter.acquire(request, Date.now());
    await this.save();
    return decision;
  }

  async settle({ lease, used, limits }: SettleCall): Promise<void> {
    await this.loaded;
    this.limiter.settle(lease.leaseId, lease.reserved, used, limits, Date.now());
    await this.save();
  }

  async usage(): Promise<UsageReport> {
    await this.loaded;
    return this.limiter.report(Date.now());
  }

  private save() {
    return this.state.storage.put(USAGE_KEY, { ...this.limiter.usage });
  }
}

/** The Worker side: one Durable Object per key id. */
export function durableObjectLimiter(namespace: DurableObjectNamespaceLike): Limiter {
  const stub = (keyId: string) => namespace.get(namespace.idFromName(keyId));
  return {
    acquire: (keyId, request) => stub(keyId).acquire(request),
    settle: (keyId, lease, used, limits) => stub(keyId).settle({ lease, used, limits }),
    usage: (keyId) => stub(keyId).usage(),
  };
}
