// The RATE_LIMITER Durable Object class as workerd runs it (wrangler.toml binds it by this name). It
// extends workerd's DurableObject, which is what lets the Worker call its methods over JS RPC;
// the object itself (security/rate-limiter-do.ts) stays free of `cloudflare:workers`, so Node tests
// drive the same code.
import { DurableObject } from "cloudflare:workers";
import {
  type AcquireRequest,
  type DurableObjectStateLike,
  RateLimiterObject,
  type RateLimiterRpc,
  type SettleCall,
} from "../security/index.js";

export class RateLimiterDO extends DurableObject implements RateLimiterRpc {
  readonly #object: RateLimiterObject;

  constructor(state: DurableObjectStateLike, env: unknown) {
    super(state, env);
    this.#object = new RateLimiterObject(state);
  }

  acquire(request: AcquireRequest) {
    return this.#object.acquire(request);
  }

  settle(call: SettleCall) {
    return this.#object.settle(call);
  }

  usage() {
    return this.#object.usage();
  }
}
