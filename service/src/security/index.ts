// Keys, rate limits, usage accounting and request limits. Entries build a Guard (createGuard with a
// limiter: the Durable Object on Workers, memory on Node) and pass it to createApp as `guard`.
export { type AdminOptions, adminRoutes, type KeyUsage } from "./admin.js";
export * from "./config.js";
export { type SecurityEnv, type SecuritySettings, securityFromEnv } from "./from-env.js";
export {
  ANONYMOUS,
  createGuard,
  type Guard,
  type GuardEnv,
  type GuardOptions,
  type GuardVariables,
} from "./guard.js";
export { constantTimeEqual, createKeyStore, type KeyStore, sha256Hex } from "./key-store.js";
export { type Lease, type Limiter, memoryLimiter } from "./limiter.js";
export {
  type AcquireRequest,
  type Decision,
  KeyLimiterState,
  type Usage,
  type UsageReport,
  type UsedTokens,
} from "./rate-limit.js";
export {
  type DurableObjectNamespaceLike,
  type DurableObjectStateLike,
  durableObjectLimiter,
  RateLimiterObject,
  type RateLimiterRpc,
  type SettleCall,
} from "./rate-limiter-do.js";
export { type WorkerSecurity, workerSecurity } from "./worker-security.js";
