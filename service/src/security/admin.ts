// GET /admin/usage and GET /admin/usage/{key_id}: per-key usage, guarded by the admin key (its own
// bearer secret, never an API key). Off (404) unless an admin key is configured.
import { type Context, Hono } from "hono";
import { ApiError } from "../protocol/errors.js";
import type { Limiter } from "./limiter.js";
import type { UsageReport } from "./rate-limit.js";

export interface AdminOptions {
  checkAdmin: ((token: string) => Promise<boolean>) | undefined;
  keyIds: readonly string[];
  limiter: Limiter;
  bearerToken(c: Context): string | undefined;
}

export interface KeyUsage {
  object: "key.usage";
  key_id: string;
  requests: number;
  rejected_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Requests holding a concurrency slot now (a stream counts until it ends and is settled). */
  in_flight: number;
}

const toWire = (keyId: string, u: UsageReport): KeyUsage => ({
  object: "key.usage",
  key_id: keyId,
  requests: u.requests,
  rejected_requests: u.rejected,
  prompt_tokens: u.promptTokens,
  completion_tokens: u.completionTokens,
  total_tokens: u.promptTokens + u.completionTokens,
  in_flight: u.inFlight,
});

const disabled = (c: Context) =>
  new ApiError(
    404,
    `Unknown request URL: ${c.req.method} ${new URL(c.req.url).pathname}. Please check the URL for typos.`,
    "invalid_request_error",
    "unknown_url",
  );

export function adminRoutes({ checkAdmin, keyIds, limiter, bearerToken }: AdminOptions) {
  const app = new Hono();
  app.use("*", async (c, next) => {
    if (!checkAdmin) throw disabled(c);
    const token = bearerToken(c);
    if (!token || token.length > 512 || !(await checkAdmin(token))) {
      throw new ApiError(401, "Incorrect admin key provided.", "invalid_request_error", "invalid_admin_key");
    }
    await next();
  });
  app.get("/usage", async (c) => {
    const data = await Promise.all(keyIds.map(async (id) => toWire(id, await limiter.usage(id))));
    return c.json({ object: "list", data });
  });
  app.get("/usage/:keyId", async (c) => {
    const keyId = c.req.param("keyId");
    if (!keyIds.includes(keyId)) {
      throw new ApiError(404, "No such key id.", "invalid_request_error", "key_not_found", "key_id");
    }
    return c.json(toWire(keyId, await limiter.usage(keyId)));
  });
  return app;
}
