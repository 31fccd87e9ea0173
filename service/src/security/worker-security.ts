// The Worker's security wiring: config from vars/secrets, rate limits in the RATE_LIMITER Durable
// Object namespace (bound in wrangler.toml). Without the binding (a config that omits it) limits
// fall back to this isolate's memory, with a warning, because they then hold per isolate only.
// Open mode (local development: `wrangler dev`, one isolate) keeps its limits and usage in the
// isolate's memory too: the object is what makes limits hold across isolates and colos, and its two
// calls per request were the largest part of the Worker's CPU per request under `wrangler dev`.
import { securityFromEnv } from "./from-env.js";
import { createGuard, type Guard } from "./guard.js";
import { memoryLimiter } from "./limiter.js";
import { type DurableObjectNamespaceLike, durableObjectLimiter } from "./rate-limiter-do.js";

export interface WorkerSecurity {
  guard: Guard;
  maxBodyBytes?: number;
}

const isNamespace = (value: unknown): value is DurableObjectNamespaceLike =>
  typeof (value as DurableObjectNamespaceLike | undefined)?.idFromName === "function";

export async function workerSecurity(env: Record<string, unknown>): Promise<WorkerSecurity> {
  const strings = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  const { config, maxBodyBytes } = await securityFromEnv(strings);
  const namespace = env.RATE_LIMITER;
  const shared = isNamespace(namespace) && !config.open;
  if (!isNamespace(namespace))
    console.warn("petrel: no RATE_LIMITER Durable Object binding; rate limits hold per isolate only.");
  const limiter = shared ? durableObjectLimiter(namespace) : memoryLimiter();
  return { guard: createGuard({ config, limiter }), maxBodyBytes };
}
