// Cloudflare Worker entry: the shipped model (bundled-model.ts) served in-worker through the engine on
// onnxruntime-web. PETREL_BACKENDS (JSON, see gateway/config.ts) may add or replace backends; secrets it
// names are read from env. Keys, limits and usage: docs/security.md (PETREL_KEYS, PETREL_ADMIN_KEY_SHA256,
// PETREL_LIMITS; without keys every /v1 request is refused unless PETREL_OPEN_ACCESS=1, set by .env locally).

import { env as isolateEnv } from "cloudflare:workers";
import type { ExecutionContext } from "hono";
import { createEngineBackend } from "../gateway/engine-backend.js";
import { createGateway, parseGatewayConfig } from "../gateway/index.js";
import { batchedLog, createApp, jsonLineLog, type RequestRecord } from "../http/index.js";
import { workerResponseStore } from "../responses/index.js";
import { workerSecurity } from "../security/index.js";
import { bundledEngine, embeddedOnly } from "./bundled-model.js";
import { preloadWanted } from "./preload.js";

// The Durable Object classes, bound in wrangler.toml: RATE_LIMITER (a key's rate limits) and RESPONSES
// (a key's stored responses).
export { ResponseStoreDO } from "../responses/index.js";
export { RateLimiterDO } from "./rate-limiter-do.js";

type Env = Record<string, string | undefined>;

// PETREL_PRELOAD=1: built while the isolate starts (preload.ts); a failure is retried lazily.
if (preloadWanted(isolateEnv)) bundledEngine().catch(() => undefined);

async function buildApp(env: Env) {
  const config = parseGatewayConfig(env.PETREL_BACKENDS ?? embeddedOnly, env);
  const gateway = createGateway({
    config,
    embedded: (_model, backend) => createEngineBackend({ id: backend.id, engine: bundledEngine }),
  });
  const { guard, maxBodyBytes } = await workerSecurity(env);
  // One JSON line per request, written in batches (http/log-batch.ts); PETREL_REQUEST_LOG=each
  // writes each alone (one Workers Logs event per request, its fields indexed), =off none at all.
  // PETREL_LOG_PROMPTS=1 adds the messages.
  const mode = env.PETREL_REQUEST_LOG;
  const log = mode === "off" ? undefined : mode === "each" ? jsonLineLog : requestLog.log;
  const observability = { log, logPrompts: env.PETREL_LOG_PROMPTS === "1" };
  const limits = maxBodyBytes ? { maxBodyBytes } : {};
  return createApp({ gateway, guard, limits, observability, responses: workerResponseStore(env) });
}

// The isolate's request log: records from its requests leave together.
const requestLog = batchedLog<RequestRecord>();

// Env is fixed for an isolate's lifetime, so the app is built once, on the first request.
let app: ReturnType<typeof buildApp> | undefined;

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    // A config error fails every request (500) until fixed, and is retried on the next request.
    app ??= buildApp(env).catch((err) => {
      app = undefined;
      throw err;
    });
    return (await app).fetch(request, env, ctx);
  },
};
