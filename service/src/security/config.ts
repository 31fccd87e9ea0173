// Keys, per-key rate limits and request-size limits, parsed from plain JSON (a Worker secret/var or a
// file on Node). Keys are stored only as SHA-256 hex digests; the raw key never enters the config.

/** Per-key rate limits; `null` = unlimited. */
export interface RateLimits {
  requestsPerMinute: number | null;
  /** Prompt + completion tokens; `max_tokens` is reserved up front and settled with actual usage. */
  tokensPerMinute: number | null;
  /** Requests in flight at once (a streamed request counts until its stream ends). */
  concurrent: number | null;
}

/** Limits on a single request, checked before anything reaches a backend. */
export interface RequestLimits {
  maxMessages: number;
  /** Characters of text in any one message (all text parts together). */
  maxContentChars: number;
  /** Largest accepted `max_tokens`/`max_completion_tokens`; also the default when a request sets none. */
  maxTokens: number;
  /** Largest accepted `n`. */
  maxN: number;
  /** Deepest nesting of arrays/objects in the body; deeper JSON breaks recursive code downstream. */
  maxJsonDepth: number;
}

export interface KeyRecord {
  /** Shown in usage reports and logs; never the key itself. */
  id: string;
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  sha256: string;
  /** Model ids this key may use; `"*"` = all. */
  models: readonly string[] | "*";
  limits: RateLimits;
}

export interface SecurityConfig {
  keys: KeyRecord[];
  /** Hex SHA-256 of the admin key; absent = the admin endpoint is off. */
  adminSha256?: string;
  /** No keys and explicitly open: every request is let in as `anonymous` (local development only). */
  open: boolean;
  requestLimits: RequestLimits;
  /** Limits for keys that state none, and for `anonymous` in open mode. */
  defaultRateLimits: RateLimits;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  requestsPerMinute: 600,
  tokensPerMinute: 1_000_000,
  concurrent: 16,
};

export const UNLIMITED: RateLimits = { requestsPerMinute: null, tokensPerMinute: null, concurrent: null };

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxMessages: 256,
  maxContentChars: 200_000,
  maxTokens: 4_096,
  maxN: 8,
  maxJsonDepth: 32,
};

export class SecurityConfigError extends Error {
  override readonly name = "SecurityConfigError";
}

type Json = Record<string, unknown>;
const HEX64 = /^[0-9a-f]{64}$/;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function limitValue(value: unknown, where: string, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  throw new SecurityConfigError(`${where} must be a non-negative integer or null (unlimited)`);
}

export function parseRateLimits(value: unknown, where: string, base: RateLimits): RateLimits {
  if (value === undefined) return base;
  if (!isObject(value)) throw new SecurityConfigError(`${where} must be an object`);
  return {
    requestsPerMinute: limitValue(
      value.requestsPerMinute,
      `${where}.requestsPerMinute`,
      base.requestsPerMinute,
    ),
    tokensPerMinute: limitValue(value.tokensPerMinute, `${where}.tokensPerMinute`, base.tokensPerMinute),
    concurrent: limitValue(value.concurrent, `${where}.concurrent`, base.concurrent),
  };
}

export function parseRequestLimits(value: unknown): RequestLimits {
  if (value === undefined) return DEFAULT_REQUEST_LIMITS;
  if (!isObject(value)) throw new SecurityConfigError("requestLimits must be an object");
  const out = { ...DEFAULT_REQUEST_LIMITS };
  for (const name of Object.keys(DEFAULT_REQUEST_LIMITS) as (keyof RequestLimits)[]) {
    const given = value[name];
    if (given === undefined) continue;
    if (typeof given !== "number" || !Number.isInteger(given) || given < 1)
      throw new SecurityConfigError(`requestLimits.${name} must be a positive integer`);
    out[name] = given;
  }
  return out;
}

export function parseSha256(value: unknown, where: string): string {
  const hex = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (!HEX64.test(hex))
    throw new SecurityConfigError(`${where} must be a hex SHA-256 digest (64 characters)`);
  return hex;
}

function parseKey(value: unknown, index: number, defaults: RateLimits): KeyRecord {
  const where = `keys[${index}]`;
  if (!isObject(value)) throw new SecurityConfigError(`${where} must be an object`);
  if (typeof value.id !== "string" || !/^[A-Za-z0-9._:-]{1,64}$/.test(value.id))
    throw new SecurityConfigError(`${where}.id must be 1-64 characters of [A-Za-z0-9._:-]`);
  const models = value.models ?? "*";
  if (models !== "*" && !(Array.isArray(models) && models.every((m) => typeof m === "string")))
    throw new SecurityConfigError(`${where}.models must be "*" or an array of model ids`);
  return {
    id: value.id,
    sha256: parseSha256(value.sha256, `${where}.sha256`),
    models: models as KeyRecord["models"],
    limits: parseRateLimits(value.limits, `${where}.limits`, defaults),
  };
}

/**
 * `{keys: [{id, sha256, models?, limits?}], defaultLimits?, requestLimits?}` (JSON text or parsed).
 * Error messages name fields, never values, so a misconfigured secret is not echoed into logs.
 */
export function parseKeysDocument(
  input: unknown,
): Pick<SecurityConfig, "keys" | "requestLimits" | "defaultRateLimits"> {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch {
      throw new SecurityConfigError("the keys document is not valid JSON");
    }
  }
  if (!isObject(doc)) throw new SecurityConfigError("the keys document must be a JSON object");
  const defaultRateLimits = parseRateLimits(doc.defaultLimits, "defaultLimits", DEFAULT_RATE_LIMITS);
  const rawKeys = doc.keys ?? [];
  if (!Array.isArray(rawKeys)) throw new SecurityConfigError("keys must be an array");
  const keys = rawKeys.map((k, i) => parseKey(k, i, defaultRateLimits));
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new SecurityConfigError("key ids must be unique");
  return { keys, requestLimits: parseRequestLimits(doc.requestLimits), defaultRateLimits };
}
