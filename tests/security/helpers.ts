// Shared fixtures for the security suites: known keys (their SHA-256 is all the server gets), an app
// with a fake gateway and a guard over the in-memory limiter, and an OpenAI error-shape check.
import { createHash } from "node:crypto";
import { createApp } from "../../service/src/http/index.js";
import {
  createGuard,
  DEFAULT_REQUEST_LIMITS,
  type KeyRecord,
  memoryLimiter,
  type RateLimits,
  type SecurityConfig,
  UNLIMITED,
} from "../../service/src/security/index.js";
import { type FakeGatewayOptions, fakeGateway } from "../helpers/fake-gateway.js";

export const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

export const KEYS = {
  alice: "sk-petrel-alice-7f3a9c1e2b4d6f8a0c1e3b5d7f9a2c4e",
  bob: "sk-petrel-bob-0d2f4b6a8c1e3f5a7c9e1b3d5f7a9c2e",
  admin: "sk-petrel-admin-5e7c9a1b3d5f7e9c1a3b5d7f9e1c3a5b",
};
export const SECRETS = [KEYS.alice, KEYS.bob, KEYS.admin];

export function keyRecord(
  id: string,
  key: string,
  limits: RateLimits = UNLIMITED,
  models: KeyRecord["models"] = "*",
) {
  return { id, sha256: sha256Hex(key), models, limits } satisfies KeyRecord;
}

export function securityConfig(overrides: Partial<SecurityConfig> = {}): SecurityConfig {
  return {
    keys: [keyRecord("alice", KEYS.alice), keyRecord("bob", KEYS.bob, UNLIMITED, ["petrel-mini"])],
    adminSha256: sha256Hex(KEYS.admin),
    open: false,
    requestLimits: DEFAULT_REQUEST_LIMITS,
    defaultRateLimits: UNLIMITED,
    ...overrides,
  };
}

export function securedApp(
  options: { config?: Partial<SecurityConfig>; gateway?: FakeGatewayOptions; now?: () => number } = {},
) {
  const logs: string[] = [];
  const limiter = memoryLimiter(options.now);
  const guard = createGuard({
    config: securityConfig(options.config),
    limiter,
    warn: (m) => logs.push(m),
  });
  const gateway = fakeGateway({ models: ["petrel-mini", "petrel-large"], ...options.gateway });
  const app = createApp({
    gateway,
    guard,
    logError: (err, id) => logs.push(`[${id}] ${String((err as Error)?.stack ?? err)}`),
  });
  return { app, limiter, gateway, guard, logs };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Throws unless `body` is exactly OpenAI's error shape. */
export function assertOpenAIError(body: unknown, context: string) {
  const error = (body as { error?: Record<string, unknown> })?.error;
  const ok =
    error !== undefined &&
    Object.keys(body as object).length === 1 &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    typeof error.type === "string" &&
    (error.param === null || typeof error.param === "string") &&
    (error.code === null || typeof error.code === "string");
  if (!ok) throw new Error(`not an OpenAI error (${context}): ${JSON.stringify(body)?.slice(0, 300)}`);
}

export const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "petrel-mini", messages: [{ role: "user", content: "Hi" }], ...extra });

type App = ReturnType<typeof securedApp>["app"];
const json = { "content-type": "application/json" };

export function post(app: App, headers: Record<string, string>, body: string | Uint8Array = chatBody()) {
  return app.request("/v1/chat/completions", {
    method: "POST",
    headers: { ...json, ...headers },
    body: body as BodyInit,
  });
}

export async function errorOf(response: Response) {
  const body = await response.json();
  assertOpenAIError(body, `status ${response.status}`);
  return body.error as { message: string; type: string; code: string | null; param: string | null };
}
