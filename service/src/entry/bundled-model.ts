// The model the Worker ships: models/petrel-mini bundled by wrangler (JSON as objects, .onnx as Data,
// ORT's .wasm as a compiled module), its engine on onnxruntime-web built once per isolate, and the
// gateway config that serves it in-worker when PETREL_BACKENDS is unset.
import modelConfig from "../../../models/petrel-mini/config.json";
import generationConfig from "../../../models/petrel-mini/generation_config.json";
import weights from "../../../models/petrel-mini/onnx/model_new_kv_quantized.onnx";
import tokenizer from "../../../models/petrel-mini/tokenizer.json";
import tokenizerConfig from "../../../models/petrel-mini/tokenizer_config.json";
import { createEngine, type Engine } from "../engine/index.js";
import { workerdGrammar } from "../grammar/workerd.js";
import { workerdSessions } from "../ort/workerd.js";

export const MODEL_ID = "petrel-mini";

const files = {
  "config.json": modelConfig,
  "generation_config.json": generationConfig,
  "tokenizer.json": tokenizer,
  "tokenizer_config.json": tokenizerConfig,
  // int8 in the new-KV layout (engine/model-files.ts)
  "onnx/model_new_kv_quantized.onnx": weights,
};

// Once per isolate: ORT's wasm heap (which never shrinks) is paid for once, not per request. Started
// at isolate start (PETREL_PRELOAD) or by the first request that needs it; a failed load is retried.
let engine: Promise<Engine> | undefined;
// streamInterval: in workerd an SSE write costs more CPU than a decode step's share of a token
// (bench/README.md, concurrency-worker), so streams sharing steps are written every few tokens.
// prefillChunk: requests that arrive together are prefilled before the next decode step (8 of the
// playground's short prompts fit in 128 tokens); a longer prompt holds running streams for at most
// one 128-token run per step (~10 ms on onnxruntime-web on a 2-core test machine).
const batching = { streamInterval: 4, prefillChunk: 128 };
export function bundledEngine(): Promise<Engine> {
  engine ??= createEngine({
    id: MODEL_ID,
    files,
    variant: "new-kv-int8",
    batching,
    sessions: workerdSessions(),
    grammar: workerdGrammar(),
  }).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

/** The gateway config without PETREL_BACKENDS: the bundled model, in-worker only. */
export const embeddedOnly = {
  models: {
    [MODEL_ID]: {
      ownedBy: "petrel",
      contextLength: modelConfig.max_position_embeddings,
      backends: [{ id: "embedded", kind: "embedded" }],
    },
  },
};
