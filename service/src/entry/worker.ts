// Cloudflare Worker entry: the shipped model (models/petrel-mini, bundled by wrangler: JSON as objects,
// .onnx as Data, ORT's .wasm as a compiled module) served in-worker through the engine on
// onnxruntime-web. PETREL_BACKENDS (JSON, see gateway/config.ts) may add or replace backends; secrets it
// names are read from env. PETREL_API_KEYS (comma-separated) turns on bearer auth.

import type { ExecutionContext } from "hono";
import modelConfig from "../../../models/petrel-mini/config.json";
import generationConfig from "../../../models/petrel-mini/generation_config.json";
import weights from "../../../models/petrel-mini/onnx/model_quantized.onnx";
import tokenizer from "../../../models/petrel-mini/tokenizer.json";
import tokenizerConfig from "../../../models/petrel-mini/tokenizer_config.json";
import { createEngine, type Engine } from "../engine/index.js";
import { createEngineBackend } from "../gateway/engine-backend.js";
import { createGateway, parseGatewayConfig } from "../gateway/index.js";
import { createApp } from "../http/index.js";
import { workerdSessions } from "../ort/workerd.js";

const MODEL_ID = "petrel-mini";

type Env = Record<string, string | undefined>;

const files = {
  "config.json": modelConfig,
  "generation_config.json": generationConfig,
  "tokenizer.json": tokenizer,
  "tokenizer_config.json": tokenizerConfig,
  "onnx/model_quantized.onnx": weights,
};

// Lazily, once per isolate: isolate start must stay well under a second, and ORT's wasm heap
// (which never shrinks) must be paid for once, not per request. A failed load is retried next time.
let engine: Promise<Engine> | undefined;
function getEngine(): Promise<Engine> {
  engine ??= createEngine({ id: MODEL_ID, files, sessions: workerdSessions() }).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

const embeddedOnly = {
  models: {
    [MODEL_ID]: {
      ownedBy: "petrel",
      contextLength: modelConfig.max_position_embeddings,
      backends: [{ id: "embedded", kind: "embedded" }],
    },
  },
};

function buildApp(env: Env) {
  const config = parseGatewayConfig(env.PETREL_BACKENDS ?? embeddedOnly, env);
  const gateway = createGateway({
    config,
    embedded: (_model, backend) => createEngineBackend({ id: backend.id, engine: getEngine }),
  });
  const apiKeys = (env.PETREL_API_KEYS ?? "").split(",").map((k) => k.trim());
  return createApp({ gateway, apiKeys: apiKeys.filter(Boolean) });
}

// Env is fixed for an isolate's lifetime, so the app is built once, on the first request.
let app: ReturnType<typeof buildApp> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    app ??= buildApp(env);
    return app.fetch(request, env, ctx);
  },
};
