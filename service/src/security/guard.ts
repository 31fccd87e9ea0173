// The HTTP face of security: bearer auth against the hashed key store (or explicit open mode), the
// chat guard (chat-guard.ts) and the admin routes. Built once by an entry and mounted by createApp;
// secrets never appear in a message or a log line (key ids do).
import type { Context, MiddlewareHandler } from "hono";
import type { Gateway } from "../gateway/types.js";
import { invalidApiKey, missingApiKey } from "../protocol/errors.js";
import { adminRoutes } from "./admin.js";
import { chatGuard } from "./chat-guard.js";
import type { KeyRecord, SecurityConfig } from "./config.js";
import type { GuardEnv } from "./env.js";
import { createKeyStore, createSecretCheck } from "./key-store.js";
import type { Limiter } from "./limiter.js";
import { inspectResponsesRequest } from "./request-limits.js";

export interface GuardOptions {
  config: SecurityConfig;
  limiter: Limiter;
  /** Operational warnings (open mode, limiter failures); defaults to console.warn. */
  warn?: (message: string) => void;
}

export interface Guard {
  readonly mode: "keys" | "open" | "closed";
  /** On /v1/*: who is calling. */
  auth: MiddlewareHandler<GuardEnv>;
  /** The same check for routes outside the app (a backend server's load report): the caller's key, or throws the 401. */
  authorize(authorization: string | undefined): Promise<KeyRecord>;
  /** On POST /v1/chat/completions, after the body limit: request limits, model access, rate limits, metering. */
  chat(gateway: Gateway): MiddlewareHandler<GuardEnv>;
  /** The same on POST /v1/responses, reading the Responses request's input and max_output_tokens. */
  responses(gateway: Gateway): MiddlewareHandler<GuardEnv>;
  /** Mounted at /admin. */
  admin: ReturnType<typeof adminRoutes>;
}

export type { GuardEnv, GuardVariables } from "./env.js";

export const ANONYMOUS = "anonymous";
// Longer "keys" are not keys; refusing them early avoids hashing megabytes of header.
const MAX_TOKEN_CHARS = 512;

const tokenIn = (header: string | undefined) => /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "")?.[1];

export function bearerToken(c: Context): string | undefined {
  return tokenIn(c.req.header("authorization"));
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

export function createGuard({ config, limiter, warn = console.warn }: GuardOptions): Guard {
  const mode = announce(config, warn);
  const store = createKeyStore(config.keys);
  const anonymous: KeyRecord = { id: ANONYMOUS, sha256: "", models: "*", limits: config.defaultRateLimits };

  async function authorize(authorization: string | undefined): Promise<KeyRecord> {
    if (mode === "open") return anonymous;
    const token = tokenIn(authorization);
    if (!token) throw missingApiKey();
    const record = token.length <= MAX_TOKEN_CHARS ? await store.authenticate(token) : undefined;
    if (!record) throw invalidApiKey();
    return record;
  }

  const auth: MiddlewareHandler<GuardEnv> = async function petrelAuth(c, next) {
    c.set("apiKey", await authorize(c.req.header("authorization")));
    await next();
  };

  const chat = chatGuard({ config, limiter, warn });
  const responses = chatGuard({ config, limiter, warn, inspect: inspectResponsesRequest });

  const checkAdmin = config.adminSha256 ? createSecretCheck(config.adminSha256) : undefined;
  const keyIds = mode === "open" ? [ANONYMOUS] : config.keys.map((k) => k.id);
  const admin = adminRoutes({ checkAdmin, keyIds, limiter, bearerToken });
  return { mode, auth, authorize, chat, responses, admin };
}
