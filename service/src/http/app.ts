// createApp(deps): the Hono app shared by the Worker and the Node backend server. No runtime globals
// here — entries read env/bindings and pass a Gateway; tests pass a fake one.
import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import { openapiDocument } from "../generated/openapi-document.js";
import { ApiError } from "../protocol/errors.js";
import type { Health } from "../protocol/wire.js";
import { bodySizeLimit } from "./body-limit.js";
import { chatHandler } from "./chat-route.js";
import { openCors } from "./cors.js";
import { type AppDeps, DEFAULT_LIMITS, DOCS_SCRIPT_PATH, defaultIds } from "./deps.js";
import type { AppEnv } from "./env.js";
import { errorJson, toErrorResponse } from "./errors.js";
import { jsonOnly, requestId } from "./middleware.js";
import { modelsRoutes } from "./models-route.js";
import { observability } from "./observability.js";
import { responsesHandler } from "./responses-route.js";
import { storedResponseRoutes } from "./responses-stored.js";

// No allow-list of request headers: a preflight is answered with the headers it asks for (http/cors.ts
// echoes Access-Control-Request-Headers, with Vary), because clients add their own — the SDKs'
// X-Stainless-*, the AI SDK's User-Agent in browsers, any `defaultHeaders`. Origin is `*` without
// credentials, so a page can only send what it could send to any API; the key check still applies.
const EXPOSED_HEADERS = ["x-request-id", "retry-after", "retry-after-ms", "server-timing"];
// Rate-limit headers (service/src/security) readable by browser clients too.
const RATE_LIMIT_HEADERS = ["limit", "remaining", "reset"].flatMap((h) => [
  `x-ratelimit-${h}-requests`,
  `x-ratelimit-${h}-tokens`,
]);
const EXPOSED = [...EXPOSED_HEADERS, ...RATE_LIMIT_HEADERS];

export function createApp(deps: AppDeps) {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const logError = deps.logError ?? ((err, id) => console.error(`[${id}]`, err));
  const app = new Hono<AppEnv>();

  app.use("*", requestId(deps.ids ?? defaultIds));
  app.use("/v1/*", observability(deps.observability));
  app.use("*", openCors({ exposeHeaders: EXPOSED, maxAgeSeconds: 600 }));
  if (deps.guard) {
    app.use("/v1/*", deps.guard.auth);
    app.route("/admin", deps.guard.admin);
  }

  app.get("/health", (c) => {
    const health: Health = {
      status: "ok",
      models: deps.gateway.listModels().map((m) => m.id),
    };
    return c.json(health);
  });
  app.get("/openapi.json", (c) => c.json(openapiDocument));
  // The renderer's script from this origin (the Worker's assets, or server/ on Node), never a CDN, and
  // no web fonts: /docs works without internet access.
  app.get(
    "/docs",
    Scalar({ url: "/openapi.json", pageTitle: "Petrel API", cdn: DOCS_SCRIPT_PATH, withDefaultFonts: false }),
  );
  app.route("/v1/models", modelsRoutes(deps.gateway));
  const sizeLimit = bodySizeLimit(limits.maxBodyBytes);
  const chat = chatHandler({ gateway: deps.gateway, limits });
  const json = jsonOnly();
  if (deps.guard) app.post("/v1/chat/completions", json, sizeLimit, deps.guard.chat(deps.gateway), chat);
  else app.post("/v1/chat/completions", json, sizeLimit, chat);
  if (deps.responses) {
    const create = responsesHandler({ gateway: deps.gateway, store: deps.responses, limits, logError });
    if (deps.guard) app.post("/v1/responses", json, sizeLimit, deps.guard.responses(deps.gateway), create);
    else app.post("/v1/responses", json, sizeLimit, create);
    app.route("/v1/responses", storedResponseRoutes(deps.responses));
  }

  app.notFound((c) =>
    errorJson(
      new ApiError(
        404,
        `Unknown request URL: ${c.req.method} ${new URL(c.req.url).pathname}. Please check the URL for typos.`,
        "invalid_request_error",
        "unknown_url",
      ),
      c.get("requestId"),
    ),
  );
  app.onError((err, c) => {
    const id = c.get("requestId");
    if (toErrorResponse(err).status >= 500) logError(err, id);
    return errorJson(err, id);
  });
  return app;
}
