// The chat route's guard, after auth and the body limit: request limits, the key's model list, the
// rate limiter's admission, and a meter that settles the token reservation with what the request
// really used (including a stream the client abandoned). The settlement is registered with the
// runtime (waitUntil) at admission: workerd cancels a request's pending I/O when its client goes
// away unless something is registered to keep the request alive, and the settlement that would run
// after the abort is exactly that pending work.
import type { Context, MiddlewareHandler } from "hono";
import type { Gateway } from "../gateway/types.js";
import { ApiError, invalidApiKey, invalidRequest } from "../protocol/errors.js";
import type { KeyRecord, SecurityConfig } from "./config.js";
import type { GuardEnv, ParsedJson } from "./env.js";
import type { Limiter } from "./limiter.js";
import { meterGateway } from "./meter.js";
import type { Decision, UsedTokens } from "./rate-limit.js";
import { rateLimited, rateLimitHeaders } from "./rate-limit-headers.js";
import {
  checkDepth,
  inspectRequest,
  isViolation,
  type LimitViolation,
  type RequestFacts,
} from "./request-limits.js";

export type RequestInspector = (
  body: unknown,
  limits: SecurityConfig["requestLimits"],
) => LimitViolation | RequestFacts;

export interface ChatGuardOptions {
  config: SecurityConfig;
  limiter: Limiter;
  warn: (message: string) => void;
  /** Reads the body's limits and token facts; chat completions by default (POST /v1/responses has its own). */
  inspect?: RequestInspector;
}

const notAllowed = () =>
  new ApiError(
    403,
    "This API key is not allowed to use the requested model.",
    "permission_error",
    "model_not_allowed",
    "model",
  );

// A Durable Object can be briefly unreachable (a deploy or dev reload resets it): a retryable 503,
// never an unlimited pass.
const limiterUnavailable = () =>
  new ApiError(
    503,
    "The rate limiter is briefly unavailable; please retry.",
    "server_error",
    "rate_limiter_unavailable",
    null,
    { retryAfterSeconds: 1 },
  );

function parseQuietly(text: string): ParsedJson {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false }; // the chat route answers 400 invalid_json
  }
}

function setHeaders(c: Context<GuardEnv>, headers: Record<string, string>) {
  try {
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  } catch {
    // Immutable headers (a Response from fetch): copy it once.
    c.res = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  }
}

function keepAlive(c: Context<GuardEnv>, promise: Promise<unknown>) {
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    // Node has no ExecutionContext; the promise runs to the end anyway.
  }
}

/** A promise the caller resolves later: the settlement, known to the runtime before it happens. */
function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Limits and model access on the body; throws the 400/403 before anything is reserved. */
async function inspect(
  c: Context<GuardEnv>,
  key: KeyRecord,
  config: SecurityConfig,
  inspectBody: RequestInspector,
): Promise<RequestFacts> {
  const text = await c.req.text();
  let facts: LimitViolation | RequestFacts | undefined = checkDepth(text, config.requestLimits);
  if (!facts) {
    const parsed = parseQuietly(text);
    c.set("requestJson", parsed);
    facts = inspectBody(parsed.ok ? parsed.value : undefined, config.requestLimits);
  }
  if (isViolation(facts)) throw invalidRequest(facts.message, facts.param || null, facts.code);
  if (facts.model !== undefined && key.models !== "*" && !key.models.includes(facts.model))
    throw notAllowed();
  return facts;
}

/** Prompt estimate + the most completion tokens the request may produce (capped by the context). */
function reservation(facts: RequestFacts, gateway: Gateway): number {
  const contextLength = facts.model === undefined ? undefined : gateway.getModel(facts.model)?.contextLength;
  return facts.promptTokensEstimate + Math.min(facts.maxTokens, contextLength ?? facts.maxTokens) * facts.n;
}

export function chatGuard({
  config,
  limiter,
  warn,
  inspect: inspectBody = inspectRequest,
}: ChatGuardOptions) {
  return (gateway: Gateway): MiddlewareHandler<GuardEnv> =>
    async function petrelChatGuard(c, next) {
      const key = c.get("apiKey");
      if (!key) throw invalidApiKey();
      const facts = await inspect(c, key, config, inspectBody);
      const limits = key.limits;
      const decision: Decision = await limiter
        .acquire(key.id, { limits, reserveTokens: reservation(facts, gateway) })
        .catch((err) => {
          warn(`petrel: rate limiter unavailable for key '${key.id}': ${(err as Error)?.message}`);
          throw limiterUnavailable();
        });
      if (!decision.ok) throw rateLimited(decision, key.id);
      const settlement = pending();
      keepAlive(c, settlement.promise);
      const settle = (used: UsedTokens) =>
        limiter
          .settle(key.id, decision, used, limits)
          .catch((err) =>
            warn(`petrel: settling usage for key '${key.id}' failed: ${(err as Error)?.message}`),
          )
          .finally(settlement.resolve);
      const metered = meterGateway(gateway, facts.promptTokensEstimate, settle);
      c.set("chatGateway", metered.gateway);
      await next();
      // Refused before the gateway was asked (400/404 from the route): release the reservation now.
      if (!metered.started) await metered.finish();
      setHeaders(c, rateLimitHeaders(decision));
    };
}
