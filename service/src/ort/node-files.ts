// Node-only helper: reads a model directory from disk into the engine's file map. Only the files
// the engine reads, and only the chosen ONNX variant, are loaded.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ModelFiles, type OnnxVariant, onnxPath } from "../engine/index.js";

const textFiles = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"];

export async function readModelDir(dir: string, variant: OnnxVariant = "int8"): Promise<ModelFiles> {
  const files: ModelFiles = {};
  for (const name of textFiles) {
    files[name] = await readFile(join(dir, name), "utf8").catch(() => undefined);
  }
  const weights = onnxPath(variant);
  files[weights] = new Uint8Array(await readFile(join(dir, weights)));
  return files;
}
