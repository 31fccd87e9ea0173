// The HTTP face of security: bearer auth against the hashed key store (or explicit open mode), then
// for chat requests the size limits, the per-key model list and rate limits, and a meter that
// settles the token reservation with what the request really used. Built once by an entry and
// mounted by createApp; secrets never appear in a message or a log line (key ids do).
import type { Context, MiddlewareHandler } from "hono";
import type { Gateway } from "../gateway/types.js";
import { ApiError, invalidRequest } from "../http/errors.js";
import { adminRoutes } from "./admin.js";
import type { KeyRecord, SecurityConfig } from "./config.js";
import { createKeyStore, createSecretCheck } from "./key-store.js";
import type { Limiter } from "./limiter.js";
import { meterGateway } from "./meter.js";
import type { UsedTokens } from "./rate-limit.js";
import { rateLimited, rateLimitHeaders } from "./rate-limit-headers.js";
import { checkDepth, inspectRequest, isViolation } from "./request-limits.js";

export interface GuardOptions {
  config: SecurityConfig;
  limiter: Limiter;
  /** Operational warnings (open mode, limiter failures); defaults to console.warn. */
  warn?: (message: string) => void;
}

export interface Guard {
  readonly mode: "keys" | "open" | "closed";
  /** On /v1/*: who is calling. */
  auth: MiddlewareHandler;
  /** On POST /v1/chat/completions, after the body limit: request limits, model access, rate limits, metering. */
  chat(gateway: Gateway): MiddlewareHandler;
  /** Mounted at /admin. */
  admin: ReturnType<typeof adminRoutes>;
}

export const ANONYMOUS = "anonymous";
// Longer "keys" are not keys; refusing them early avoids hashing megabytes of header.
const MAX_TOKEN_CHARS = 512;

const missingKey = () =>
  new ApiError(
    401,
    "You didn't provide an API key. Provide it in the Authorization header (Authorization: Bearer YOUR_KEY).",
    "invalid_request_error",
    "missing_api_key",
  );
const wrongKey = () =>
  new ApiError(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");

// A Durable Object can be briefly unreachable (a deploy or dev reload resets it): a retryable 503,
// never an unlimited pass.
const limiterUnavailable = () =>
  new ApiError(
    503,
    "The rate limiter is briefly unavailable; please retry.",
    "server_error",
    "rate_limiter_unavailable",
    null,
    {
      "retry-after": "1",
    },
  );

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization") ?? "";
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
}

function announce(config: SecurityConfig, warn: (message: string) => void): Guard["mode"] {
  if (config.keys.length > 0) return "keys";
  if (config.open) {
    warn(
      "\n!!! PETREL OPEN MODE: no API keys, every request is let in as 'anonymous'. Local development only —" +
        "\n!!! never deploy this. Configure PETREL_KEYS (see docs/security.md) to require keys.\n",
    );
    return "open";
  }
  warn("petrel: no API keys configured and open mode is off: every /v1 request is refused with 401.");
  return "closed";
}

function setHeaders(c: Context, headers: Record<string, string>) {
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  } catch {
    // Immutable headers (a Response from fetch): copy it once.
    c.res = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  }
}

function keepAlive(c: Context, promise: Promise<unknown>) {
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    // Node has no ExecutionContext; the promise runs to the end anyway.
  }
}

function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the chat route answers 400 invalid_json
  }
}

export function createGuard({ config, limiter, warn = console.warn }: GuardOptions): Guard {
  const mode = announce(config, warn);
  const store = createKeyStore(config.keys);
  const anonymous: KeyRecord = { id: ANONYMOUS, sha256: "", models: "*", limits: config.defaultRateLimits };

  const auth: MiddlewareHandler = async function petrelAuth(c, next) {
    if (mode === "open") {
      c.set("apiKey", anonymous);
      return next();
    }
    const token = bearerToken(c);
    if (!token) throw missingKey();
    const record = token.length <= MAX_TOKEN_CHARS ? await store.authenticate(token) : undefined;
    if (!record) throw wrongKey();
    c.set("apiKey", record);
    await next();
  };

  const chat = (gateway: Gateway): MiddlewareHandler =>
    async function petrelChatLimits(c, next) {
      const key = c.get("apiKey") as KeyRecord | undefined;
      if (!key) throw wrongKey();
      const text = await c.req.text();
      const facts =
        checkDepth(text, config.requestLimits) ?? inspectRequest(parseQuietly(text), config.requestLimits);
      if (isViolation(facts)) throw invalidRequest(facts.message, facts.param || null, facts.code);
      if (facts.model !== undefined && key.models !== "*" && !key.models.includes(facts.model)) {
        throw new ApiError(
          403,
          "This API key is not allowed to use the requested model.",
          "permission_error",
          "model_not_allowed",
          "model",
        );
      }
      const contextLength =
        facts.model === undefined ? undefined : gateway.getModel(facts.model)?.contextLength;
      const completion = Math.min(facts.maxTokens, contextLength ?? facts.maxTokens) * facts.n;
      const limits = key.limits;
      const reserveTokens = facts.promptTokensEstimate + completion;
      const decision = await limiter.acquire(key.id, { limits, reserveTokens }).catch((err) => {
        warn(`petrel: rate limiter unavailable for key '${key.id}': ${(err as Error)?.message}`);
        throw limiterUnavailable();
      });
      if (!decision.ok) throw rateLimited(decision, key.id);
      const settle = (used: UsedTokens) => {
        const done = limiter
          .settle(key.id, decision, used, limits)
          .catch((err) =>
            warn(`petrel: settling usage for key '${key.id}' failed: ${(err as Error)?.message}`),
          );
        keepAlive(c, done);
        return done;
      };
      const metered = meterGateway(gateway, facts.promptTokensEstimate, settle);
      c.set("chatGateway", metered.gateway);
      await next();
      // Refused before the gateway was asked (400/404 from the route): release the reservation now.
      if (!metered.started) await metered.finish();
      setHeaders(c, rateLimitHeaders(decision));
    };

  const checkAdmin = config.adminSha256 ? createSecretCheck(config.adminSha256) : undefined;
  const keyIds = mode === "open" ? [ANONYMOUS] : config.keys.map((k) => k.id);
  const admin = adminRoutes({ checkAdmin, keyIds, limiter, bearerToken });
  return { mode, auth, chat, admin };
}
