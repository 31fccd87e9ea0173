// Petrel gateway on Node: the same app as the Worker, dispatching to the backends in a JSON config.
// `npx tsx service/src/entry/node-gateway.ts --config backends.json [--host 127.0.0.1] [--port 8788]
// [--responses-db path] [--insecure-open]`; the variables (PETREL_BACKENDS, PETREL_KEYS, …) are in
// docs/security.md, docs/backends.md and docs/responses.md. Without keys it serves a loopback host only.
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createGateway } from "../gateway/index.js";
import { createApp, type RequestRecord } from "../http/index.js";
import { withDocsScript } from "../server/docs-script.js";
import { withNodeContext, withStreamHeadCoalesced } from "../server/execution-context.js";
import { loadGatewayConfig } from "../server/gateway-config-source.js";
import { batchedJsonLines } from "../server/log-sink.js";
import { createMetrics, metricsRoute } from "../server/metrics.js";
import { nodeSecurity } from "../server/node-security.js";
import { openSqliteResponseStore } from "../server/sqlite-response-store.js";
import { undiciTransport } from "../server/undici-transport.js";

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8788" },
    "responses-db": { type: "string" },
    "insecure-open": { type: "boolean", default: false },
  },
});

let config: ReturnType<typeof loadGatewayConfig>;
let gateway: ReturnType<typeof createGateway>;
let security: Awaited<ReturnType<typeof nodeSecurity>>;
let responses: ReturnType<typeof openSqliteResponseStore>;
try {
  config = loadGatewayConfig(values.config, process.env);
  // No engine in this process: `embedded` backends belong to the Worker or a backend server.
  gateway = createGateway({ config, transport: undiciTransport() });
  security = await nodeSecurity(process.env, values.host, { insecureOpen: values["insecure-open"] });
  responses = openSqliteResponseStore({
    path: values["responses-db"] ?? process.env.PETREL_RESPONSES_DB ?? ".petrel/responses.sqlite",
    retentionDays: process.env.PETREL_RESPONSES_RETENTION_DAYS,
  });
} catch (err) {
  // Fail the start with the validation message, not a stack trace.
  console.error(`petrel gateway: ${(err as Error).message}`);
  process.exit(2);
}

await gateway.probeAll();
const stopChecks = gateway.startHealthChecks();
const metrics = createMetrics({ status: () => gateway.status() });
const app = createApp({
  gateway,
  guard: security.guard,
  responses: responses.store,
  limits: security.maxBodyBytes ? { maxBodyBytes: security.maxBodyBytes } : {},
  // JSON request lines on stdout, batched (PETREL_REQUEST_LOG=off silences them); prompts only on request.
  observability: {
    log: process.env.PETREL_REQUEST_LOG === "off" ? undefined : batchedJsonLines<RequestRecord>().log,
    logPrompts: process.env.PETREL_LOG_PROMPTS === "1",
    onRecord: metrics.observe,
  },
});
const token = process.env.PETREL_METRICS_TOKEN || undefined;
const inner = metricsRoute(withNodeContext(app.fetch), metrics, { host: values.host, token });
const fetch = withStreamHeadCoalesced(withDocsScript(inner));
const server = serve({ fetch, hostname: values.host, port: Number(values.port) }, (info: AddressInfo) => {
  const backends = config.models.reduce((n, m) => n + m.backends.length, 0);
  console.log(
    `petrel gateway listening on http://${values.host}:${info.port} (${config.models.length} models, ${backends} backends)`,
  );
});

process.on("SIGTERM", () => {
  stopChecks();
  server.close(() => {
    responses.close();
    process.exit(0);
  });
});
