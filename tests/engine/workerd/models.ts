// The model directories bundled into the test worker: JSON imported as objects, .onnx as
// ArrayBuffer (wrangler Data rule) — the same way a production Worker ships its model.
import miniConfig from "../../../models/petrel-mini/config.json";
import miniGeneration from "../../../models/petrel-mini/generation_config.json";
import miniFp32 from "../../../models/petrel-mini/onnx/model.onnx";
import miniNewKv from "../../../models/petrel-mini/onnx/model_new_kv.onnx";
import miniNewKvInt8 from "../../../models/petrel-mini/onnx/model_new_kv_quantized.onnx";
import miniInt8 from "../../../models/petrel-mini/onnx/model_quantized.onnx";
import miniTokenizer from "../../../models/petrel-mini/tokenizer.json";
import miniTokenizerConfig from "../../../models/petrel-mini/tokenizer_config.json";
import tinyConfig from "../../../models/tiny-random/config.json";
import tinyGeneration from "../../../models/tiny-random/generation_config.json";
import tinyFp32 from "../../../models/tiny-random/onnx/model.onnx";
import tinyNewKv from "../../../models/tiny-random/onnx/model_new_kv.onnx";
import tinyInt8 from "../../../models/tiny-random/onnx/model_quantized.onnx";
import tinyTokenizer from "../../../models/tiny-random/tokenizer.json";
import tinyTokenizerConfig from "../../../models/tiny-random/tokenizer_config.json";
import type { ModelFiles } from "../../../service/src/engine/index.js";

export const bundledModels: Record<string, ModelFiles> = {
  "tiny-random": {
    "config.json": tinyConfig,
    "generation_config.json": tinyGeneration,
    "tokenizer.json": tinyTokenizer,
    "tokenizer_config.json": tinyTokenizerConfig,
    "onnx/model.onnx": tinyFp32,
    "onnx/model_quantized.onnx": tinyInt8,
    "onnx/model_new_kv.onnx": tinyNewKv,
  },
  "petrel-mini": {
    "config.json": miniConfig,
    "generation_config.json": miniGeneration,
    "tokenizer.json": miniTokenizer,
    "tokenizer_config.json": miniTokenizerConfig,
    "onnx/model.onnx": miniFp32,
    "onnx/model_quantized.onnx": miniInt8,
    "onnx/model_new_kv.onnx": miniNewKv,
    "onnx/model_new_kv_quantized.onnx": miniNewKvInt8,
  },
};
