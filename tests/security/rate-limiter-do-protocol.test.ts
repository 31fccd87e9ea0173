// The Durable Object's RPC methods and persistence, driven from Node through a fake namespace and
// fake storage (eviction can't be caused on demand in wrangler dev). workerd.test.ts covers the real
// object, over real RPC, under parallel load.
import { describe, expect, it } from "vitest";
import {
  type DurableObjectNamespaceLike,
  durableObjectLimiter,
  RateLimiterObject,
} from "../../service/src/security/index.js";

const unlimited = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };

function fakeNamespace() {
  const storage = new Map<string, Map<string, unknown>>();
  const live = new Map<string, RateLimiterObject>();
  const instance = (name: string) => {
    let object = live.get(name);
    if (!object) {
      const data = storage.get(name) ?? new Map<string, unknown>();
      storage.set(name, data);
      const state = {
        storage: {
          get: async <T>(key: string) => structuredClone(data.get(key)) as T | undefined,
          put: async <T>(key: string, value: T) => void data.set(key, structuredClone(value)),
        },
        blockConcurrencyWhile: <T>(callback: () => Promise<T>) => callback(),
      };
      object = new RateLimiterObject(state);
      live.set(name, object);
    }
    return object;
  };
  const namespace: DurableObjectNamespaceLike = {
    idFromName: (name) => name,
    get: (id) => instance(id as string),
  };
  return { namespace, evict: () => live.clear() };
}

describe("rate-limiter Durable Object RPC (fake namespace)", () => {
  it("acquires, settles and reports usage per key; usage survives eviction", async () => {
    const { namespace, evict } = fakeNamespace();
    const limiter = durableObjectLimiter(namespace);
    const limits = { ...unlimited, requestsPerMinute: 2 };
    const a = await limiter.acquire("alice", { limits, reserveTokens: 10 });
    expect(a).toMatchObject({ ok: true, requests: { limit: 2, remaining: 1 } });
    if (!a.ok) throw new Error("unreachable");
    await limiter.settle("alice", a, { promptTokens: 3, completionTokens: 4 }, limits);
    expect(await limiter.acquire("alice", { limits, reserveTokens: 0 })).toMatchObject({ ok: true });
    expect(await limiter.acquire("alice", { limits, reserveTokens: 0 })).toMatchObject({
      ok: false,
      reason: "requests",
    });
    expect(await limiter.usage("bob")).toEqual({
      requests: 0,
      rejected: 0,
      promptTokens: 0,
      completionTokens: 0,
      inFlight: 0,
    });
    evict();
    expect(await limiter.usage("alice")).toEqual({
      requests: 2,
      rejected: 1,
      promptTokens: 3,
      completionTokens: 4,
      inFlight: 0,
    });
  });
});
