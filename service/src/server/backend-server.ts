// The Petrel backend server: the same Hono app as the Worker, with the engine on onnxruntime-node
// behind the gateway as an `embedded` backend, plus the load report and graceful drain. Runs on GPU
// hosts (provider cuda) or CPU; the edge reaches it as a backend of kind "petrel".

import { access } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { basename, join, resolve } from "node:path";
import { serve } from "@hono/node-server";
import {
  type BatchingOptions,
  createEngine,
  type OnnxVariant,
  onnxPath,
  type PetrelEngine,
  type SessionFactory,
} from "../engine/index.js";
import { createEngineBackend } from "../gateway/engine-backend.js";
import { createGateway, parseGatewayConfig } from "../gateway/index.js";
import { nodeGrammar } from "../grammar/node.js";
import { createApp, errorJson, type RequestRecord } from "../http/index.js";
import { nodeSessions } from "../ort/node.js";
import { readModelDir } from "../ort/node-files.js";
import type { WorkerSecurity } from "../security/worker-security.js";
import { backendFetch } from "./backend-routes.js";
import { withDocsScript } from "./docs-script.js";
import { createMetrics, metricsRoute } from "./metrics.js";
import { nodeSecurity } from "./node-security.js";

export interface BackendServerOptions {
  modelDir: string;
  /** Public model id; defaults to the directory name. */
  modelId?: string;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  provider: "cpu" | "cuda";
  /**
   * Keys, limits and usage: the same guard as the edge (security/). Default: no keys, which serves
   * only on a loopback host (open, announced); any other host throws.
   */
  security?: WorkerSecurity;
  /**
   * Default fp32 when rows share decode steps (maxBatchSize > 1), int8 at batch size 1: the int8
   * export quantizes activations with one scale per tensor (DynamicQuantizeLinear), so co-batched
   * rows would change each other's numerics. Either in the new-KV layout (new-kv, new-kv-int8)
   * where the directory has it.
   */
  variant?: "fp32" | "int8" | "new-kv" | "new-kv-int8";
  /** The engine's batch scheduler (engine/batching); default 8 rows, `{ maxBatchSize: 1 }` = one request at a time. */
  batching?: BatchingOptions;
  /** ORT intra-op threads; default ORT's choice (all physical cores). */
  threads?: number;
  /** One record per API request (entries pass a JSON-lines writer); none by default. */
  requestLog?: (record: RequestRecord) => void;
  /** Put prompts into request records; off by default. */
  logPrompts?: boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`; without it /metrics is served on loopback only. */
  metricsToken?: string;
  /** The onnxruntime flavour; default onnxruntime-node with `provider` and `threads` (tests wrap it). */
  sessions?: SessionFactory;
}

export interface BackendServer {
  url: string;
  engine: PetrelEngine;
  /** Stops taking new work, waits for running requests (at most `timeoutMs`), then closes. */
  drain(timeoutMs: number): Promise<void>;
}

type NodeServer = ReturnType<typeof serve> & {
  closeIdleConnections?: () => void;
  closeAllConnections?: () => void;
};

export async function startBackendServer(options: BackendServerOptions): Promise<BackendServer> {
  const dir = resolve(options.modelDir);
  const modelId = options.modelId ?? basename(dir);
  const batching = options.batching ?? {};
  const variant = options.variant ?? (await defaultVariant(dir, (batching.maxBatchSize ?? 8) > 1));
  const engine = await createEngine({
    id: modelId,
    files: await readModelDir(dir, variant),
    variant,
    batching,
    grammar: nodeGrammar(),
    sessions:
      options.sessions ??
      nodeSessions({ executionProviders: [options.provider], intraOpNumThreads: options.threads }),
  });
  const config = parseGatewayConfig({
    models: {
      [modelId]: {
        ownedBy: "petrel",
        contextLength: engine.info.contextLength,
        backends: [{ kind: "embedded" }],
      },
    },
    // One local engine: a retry would only queue behind itself.
    retry: { maxAttempts: 1 },
  });
  const gateway = createGateway({
    config,
    embedded: (_model, b) => createEngineBackend({ id: b.id, engine: async () => engine }),
  });
  let draining = false;
  let requests = 0;
  const metrics = createMetrics({ status: () => gateway.status() });
  const observability = {
    log: options.requestLog,
    logPrompts: options.logPrompts,
    onRecord: metrics.observe,
  };
  const { guard, maxBodyBytes } = options.security ?? (await nodeSecurity({}, options.host));
  const app = createApp({ gateway, guard, limits: maxBodyBytes ? { maxBodyBytes } : {}, observability });
  const routes = backendFetch({
    app,
    load: () => ({ ...engine.load(), requests }),
    onChatRequest: () => {
      requests += 1;
    },
    draining: () => draining,
    authorize: (request) =>
      guard.authorize(request.headers.get("authorization") ?? undefined).then(
        () => undefined,
        (err: unknown) => errorJson(err, undefined),
      ),
  });
  const fetch = withDocsScript(
    metricsRoute(routes, metrics, { host: options.host, token: options.metricsToken }),
  );
  const server = await new Promise<NodeServer>((ready) => {
    const s: NodeServer = serve({ fetch, hostname: options.host, port: options.port }, () => ready(s));
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  async function drain(timeoutMs: number): Promise<void> {
    // Keep listening while draining: a fast 503 tells an edge to fail over, a refused connect
    // would too but also hides the load report's `draining: true`.
    draining = true;
    const deadline = Date.now() + timeoutMs;
    const busy = () => engine.load().active + engine.load().queued > 0;
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // Let the last chunks and [DONE] flush, then drop keep-alive connections so close() completes.
    const closed = new Promise<void>((done) => server.close(() => done()));
    const idle = setInterval(() => server.closeIdleConnections?.(), 20);
    const hard = setTimeout(() => server.closeAllConnections?.(), Math.max(100, deadline - Date.now()));
    await closed;
    clearInterval(idle);
    clearTimeout(hard);
    await engine.dispose();
  }

  return { url: `http://${host}:${port}`, engine, drain };
}

/**
 * Batching runs fp32 (int8's per-tensor activation scales would make a row's numbers depend on its
 * neighbours), one request at a time int8. Petrel's export also ships both in the new-KV layout
 * (model_new_kv*.onnx: only this run's K/V come back, not the whole cache every step); any other
 * directory gets the transformers.js files.
 */
async function defaultVariant(dir: string, batching: boolean): Promise<OnnxVariant> {
  const [own, convention] = batching ? (["new-kv", "fp32"] as const) : (["new-kv-int8", "int8"] as const);
  return access(join(dir, onnxPath(own))).then(
    () => own,
    () => convention,
  );
}

/** SIGTERM/SIGINT: drain (at most `timeoutMs`), then exit 0; a second signal changes nothing. */
export function drainOnSignals(server: BackendServer, timeoutMs: number): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`petrel backend: ${signal}, draining`);
      server.drain(timeoutMs).then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
}
