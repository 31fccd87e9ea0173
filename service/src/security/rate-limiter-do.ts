// The Durable Object that holds one key's rate-limit state on Workers (one object per key id, named
// by `idFromName`). A Durable Object runs single-threaded in one place, so "check the buckets, then
// take from them" is atomic for every isolate and every colo: N parallel requests against a limit of
// N per minute admit exactly N. Usage counters are persisted; buckets and leases live in memory
// (losing them on eviction only hands a key a fresh minute, and eviction needs idleness).
// Plain fetch-style object: no `cloudflare:workers` import, so this file also type-checks and runs
// under Node for tests of its protocol.
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

/** The parts of DurableObjectNamespace the client uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

type SettleBody = { lease: Lease; used: UsedTokens; limits: RateLimits };

const USAGE_KEY = "usage";

export class RateLimiterDO {
  private readonly limiter = new KeyLimiterState();
  // workerd holds events until blockConcurrencyWhile settles; awaiting it too keeps other hosts honest.
  private readonly loaded: Promise<void>;

  constructor(
    private readonly state: DurableObjectStateLike,
    _env: unknown,
  ) {
    this.loaded = state.blockConcurrencyWhile(async () => {
      const saved = await state.storage.get<Usage>(USAGE_KEY);
      if (saved) Object.assign(this.limiter.usage, saved);
    });
  }

  async fetch(request: Request): Promise<Response> {
    await this.loaded;
    const op = new URL(request.url).pathname;
    if (op === "/usage") return Response.json(this.limiter.report(Date.now()));
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    if (op === "/acquire") {
      const decision = this.limiter.acquire((await request.json()) as AcquireRequest, Date.now());
      await this.save();
      return Response.json(decision);
    }
    if (op === "/settle") {
      const { lease, used, limits } = (await request.json()) as SettleBody;
      this.limiter.settle(lease.leaseId, lease.reserved, used, limits, Date.now());
      await this.save();
      return Response.json({ ok: true });
    }
    return new Response("not found", { status: 404 });
  }

  private save() {
    return this.state.storage.put(USAGE_KEY, { ...this.limiter.usage });
  }
}

/** The Worker side: one Durable Object per key id. */
export function durableObjectLimiter(namespace: DurableObjectNamespaceLike): Limiter {
  const call = async <T>(keyId: string, op: string, body?: unknown): Promise<T> => {
    const stub = namespace.get(namespace.idFromName(keyId));
    const init: RequestInit = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
    const response = await stub.fetch(`https://rate-limiter${op}`, init);
    if (!response.ok) throw new Error(`rate limiter ${op} failed with ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    acquire: (keyId, request) => call<Decision>(keyId, "/acquire", request),
    settle: async (keyId, lease, used, limits) => {
      await call(keyId, "/settle", { lease, used, limits } satisfies SettleBody);
    },
    usage: (keyId) => call<UsageReport>(keyId, "/usage"),
  };
}
