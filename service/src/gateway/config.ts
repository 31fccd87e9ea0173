// Gateway configuration: model → pool of backends, validated once at start so a typo fails the deploy,
// not the first request. The same JSON comes from a Worker var (PETREL_BACKENDS) or, on Node, from a
// file or env. API keys are never inline: `apiKey` names a secret that is resolved here.

import { resolveTimeouts, TIMEOUT_KEYS, type TimeoutOverrides, type Timeouts } from "./timeouts.js";

export type { Timeouts } from "./timeouts.js";

export const BACKEND_KINDS = ["petrel", "vllm", "tgi", "llamacpp", "ollama", "openai", "embedded"] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface RetryPolicy {
  /** Attempts per request across all backends; bounded because each is a Workers subrequest. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface CircuitPolicy {
  failureThreshold: number;
  cooldownMs: number;
}

export interface HealthPolicy {
  intervalMs: number;
  timeoutMs: number;
}

export interface BackendConfig {
  id: string;
  kind: BackendKind;
  /** Base URL without /v1; absent only for `embedded`. */
  url?: string;
  weight: number;
  /** The resolved secret value (never the name) — kept off logs. */
  apiKey?: string;
  /** Model name the upstream serves; defaults to the public model id. */
  upstreamModel?: string;
  timeouts: Timeouts;
}

/** Where a public model id is routed: its backends and timeouts (not the model's architecture). */
export interface ModelRoute {
  id: string;
  ownedBy: string;
  created: number;
  contextLength?: number;
  backends: BackendConfig[];
  timeouts: Timeouts;
}

export interface GatewayConfig {
  models: ModelRoute[];
  retry: RetryPolicy;
  circuit: CircuitPolicy;
  health: HealthPolicy;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };
const DEFAULT_CIRCUIT: CircuitPolicy = { failureThreshold: 3, cooldownMs: 10_000 };
const DEFAULT_HEALTH: HealthPolicy = { intervalMs: 5_000, timeoutMs: 2_000 };
/** Free-plan Workers get 50 subrequests per request; stay well inside. */
const MAX_ATTEMPTS_LIMIT = 10;

export class GatewayConfigError extends Error {
  override readonly name = "GatewayConfigError";
}

type Json = Record<string, unknown>;
type Secrets = Record<string, string | undefined>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function fail(path: string, message: string): never {
  throw new GatewayConfigError(`backend config: ${path}: ${message}`);
}

function allowKeys(obj: Json, path: string, keys: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key)) fail(`${path}.${key}`, `unknown key (expected one of ${keys.join(", ")})`);
  }
}

function num(obj: Json, key: string, path: string, fallback: number, min: number, max: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    fail(`${path}.${key}`, `must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(obj: Json, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") fail(`${path}.${key}`, "must be a non-empty string");
  return v;
}

function section(obj: Json, key: string, path: string, keys: string[]): Json {
  const v = obj[key];
  if (v === undefined) return {};
  if (!isObject(v)) fail(`${path}.${key}`, "must be an object");
  allowKeys(v, `${path}.${key}`, keys);
  return v;
}

/** Only the timeouts this level states; the rest fall through to the levels below (timeouts.ts). */
function parseTimeouts(raw: Json, path: string): TimeoutOverrides {
  const t = section(raw, "timeouts", path, [...TIMEOUT_KEYS]);
  const p = `${path}.timeouts`;
  const day = 86_400_000;
  const out: TimeoutOverrides = {};
  for (const key of TIMEOUT_KEYS) if (t[key] !== undefined) out[key] = num(t, key, p, 0, 1, day);
  return out;
}

/** `kinds: {"vllm": {"timeouts": {...}}}`: timeouts for every backend of a kind. */
function parseKinds(raw: Json): Partial<Record<BackendKind, TimeoutOverrides>> {
  const kinds = section(raw, "kinds", "$", [...BACKEND_KINDS]);
  const out: Partial<Record<BackendKind, TimeoutOverrides>> = {};
  for (const kind of BACKEND_KINDS) {
    if (kinds[kind] === undefined) continue;
    const entry = section(kinds, kind, "$.kinds", ["timeouts"]);
    out[kind] = parseTimeouts(entry, `$.kinds.${kind}`);
  }
  return out;
}

/** What every backend of a model inherits. */
interface Inherited {
  secrets: Secrets;
  global: TimeoutOverrides;
  kinds: Partial<Record<BackendKind, TimeoutOverrides>>;
  model: TimeoutOverrides;
}

function parseUrl(raw: Json, path: string): string {
  const url = str(raw, "url", path);
  if (url === undefined) fail(`${path}.url`, "is required for this kind");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(`${path}.url`, `is not a valid URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") fail(`${path}.url`, "must be http(s)");
  // Accept both "http://h:1" and "http://h:1/v1"; store the base without /v1 and trailing slash.
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function parseBackend(raw: unknown, path: string, model: ModelRoute, up: Inherited): BackendConfig {
  if (!isObject(raw)) fail(path, "must be an object");
  allowKeys(raw, path, ["id", "url", "kind", "weight", "apiKey", "upstreamModel", "timeouts"]);
  const kind = raw.kind ?? "petrel";
  if (typeof kind !== "string" || !(BACKEND_KINDS as readonly string[]).includes(kind)) {
    fail(`${path}.kind`, `must be one of ${BACKEND_KINDS.join(", ")}, got ${JSON.stringify(kind)}`);
  }
  const url = kind === "embedded" ? undefined : parseUrl(raw, path);
  if (kind === "embedded" && raw.url !== undefined) fail(`${path}.url`, "embedded backends have no url");
  const secretName = str(raw, "apiKey", path);
  let apiKey: string | undefined;
  if (secretName !== undefined) {
    apiKey = up.secrets[secretName];
    if (!apiKey) fail(`${path}.apiKey`, `names secret ${secretName}, which is not set`);
  }
  const index = path.slice(path.lastIndexOf("[") + 1, -1);
  return {
    // Never the URL: ids reach clients in error messages; addresses stay in logs.
    id: str(raw, "id", path) ?? `${model.id}#${index}`,
    kind: kind as BackendKind,
    url,
    weight: num(raw, "weight", path, 1, 0.001, 1_000),
    apiKey,
    upstreamModel: str(raw, "upstreamModel", path),
    timeouts: resolveTimeouts(kind as BackendKind, [
      up.global,
      up.kinds[kind as BackendKind] ?? {},
      up.model,
      parseTimeouts(raw, path),
    ]),
  };
}

function parseModel(id: string, raw: unknown, outer: Omit<Inherited, "model">): ModelRoute {
  const path = `models.${id}`;
  if (!isObject(raw)) fail(path, "must be an object");
  allowKeys(raw, path, ["ownedBy", "created", "contextLength", "timeouts", "backends"]);
  const up: Inherited = { ...outer, model: parseTimeouts(raw, path) };
  const model: ModelRoute = {
    id,
    ownedBy: str(raw, "ownedBy", path) ?? "petrel",
    created: num(raw, "created", path, 0, 0, 1e11),
    contextLength: raw.contextLength === undefined ? undefined : num(raw, "contextLength", path, 0, 1, 1e8),
    timeouts: resolveTimeouts(undefined, [up.global, up.model]),
    backends: [],
  };
  if (!Array.isArray(raw.backends) || raw.backends.length === 0) {
    fail(`${path}.backends`, "must be a non-empty array");
  }
  model.backends = raw.backends.map((b, i) => parseBackend(b, `${path}.backends[${i}]`, model, up));
  const seen = new Set<string>();
  for (const b of model.backends) {
    if (seen.has(b.id)) fail(`${path}.backends`, `duplicate backend id ${JSON.stringify(b.id)}`);
    seen.add(b.id);
  }
  return model;
}

/**
 * Parses and validates the backend configuration (a JSON string or an already-parsed object).
 * `secrets` maps secret names to values: Worker env on the edge, process.env on Node.
 */
export function parseGatewayConfig(input: string | unknown, secrets: Secrets = {}): GatewayConfig {
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new GatewayConfigError(`backend config: not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(raw)) fail("$", "must be a JSON object with a `models` key");
  allowKeys(raw, "$", ["models", "timeouts", "kinds", "retry", "circuit", "health"]);
  const outer = { secrets, global: parseTimeouts(raw, "$"), kinds: parseKinds(raw) };
  const retry = section(raw, "retry", "$", ["maxAttempts", "baseDelayMs", "maxDelayMs"]);
  const circuit = section(raw, "circuit", "$", ["failureThreshold", "cooldownMs"]);
  const health = section(raw, "health", "$", ["intervalMs", "timeoutMs"]);
  if (!isObject(raw.models) || Object.keys(raw.models).length === 0) {
    fail("$.models", "must be an object mapping model ids to { backends: [...] }");
  }
  return {
    models: Object.entries(raw.models).map(([id, m]) => parseModel(id, m, outer)),
    retry: {
      maxAttempts: num(retry, "maxAttempts", "$.retry", DEFAULT_RETRY.maxAttempts, 1, MAX_ATTEMPTS_LIMIT),
      baseDelayMs: num(retry, "baseDelayMs", "$.retry", DEFAULT_RETRY.baseDelayMs, 0, 60_000),
      maxDelayMs: num(retry, "maxDelayMs", "$.retry", DEFAULT_RETRY.maxDelayMs, 0, 600_000),
    },
    circuit: {
      failureThreshold: num(
        circuit,
        "failureThreshold",
        "$.circuit",
        DEFAULT_CIRCUIT.failureThreshold,
        1,
        1_000,
      ),
      cooldownMs: num(circuit, "cooldownMs", "$.circuit", DEFAULT_CIRCUIT.cooldownMs, 1, 3_600_000),
    },
    health: {
      intervalMs: num(health, "intervalMs", "$.health", DEFAULT_HEALTH.intervalMs, 10, 3_600_000),
      timeoutMs: num(health, "timeoutMs", "$.health", DEFAULT_HEALTH.timeoutMs, 1, 60_000),
    },
  };
}
