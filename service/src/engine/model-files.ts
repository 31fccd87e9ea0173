// A model directory as a map of relative paths to contents, so the same loader serves a Worker
// (files bundled by wrangler: JSON imported as objects, .onnx as ArrayBuffer) and Node (files read
// from disk by the entry or by service/src/ort/node-files.ts).

export type FileContent = string | Uint8Array | ArrayBuffer | object;
export type ModelFiles = Record<string, FileContent | undefined>;

/**
 * The ONNX weights to load, the files Petrel's export writes: fp32 `model.onnx` or int8
 * `model_quantized.onnx` (transformers.js names and I/O), or the same weights in the new-KV layout,
 * `model_new_kv.onnx` (fp32) and `model_new_kv_quantized.onnx` (int8): an additive attention_bias
 * input, and only logits and this run's K/V (`new_key_values`) as outputs, for an engine that keeps
 * its own cache.
 */
export type OnnxVariant = "fp32" | "int8" | "new-kv" | "new-kv-int8";

const variantSuffix: Record<OnnxVariant, string> = {
  fp32: "",
  int8: "_quantized",
  "new-kv": "_new_kv",
  "new-kv-int8": "_new_kv_quantized",
};

export function onnxPath(variant: OnnxVariant): string {
  return `onnx/model${variantSuffix[variant]}.onnx`;
}

export class ModelFileError extends Error {
  override readonly name = "ModelFileError";
}

const decoder = new TextDecoder();

/** Parsed JSON of a file; undefined when absent. Accepts text, bytes or an already-imported object. */
export function readJson<T = Record<string, unknown>>(files: ModelFiles, path: string): T | undefined {
  const content = files[path];
  if (content === undefined) return undefined;
  if (typeof content === "string") return JSON.parse(content) as T;
  if (content instanceof Uint8Array) return JSON.parse(decoder.decode(content)) as T;
  if (content instanceof ArrayBuffer) return JSON.parse(decoder.decode(new Uint8Array(content))) as T;
  return content as T;
}

export function requireJson<T = Record<string, unknown>>(files: ModelFiles, path: string): T {
  const value = readJson<T>(files, path);
  if (value === undefined) throw new ModelFileError(`model directory lacks ${path}`);
  return value;
}

export function readBytes(files: ModelFiles, path: string): Uint8Array {
  const content = files[path];
  if (content instanceof Uint8Array) return content;
  if (content instanceof ArrayBuffer) return new Uint8Array(content);
  throw new ModelFileError(`model directory lacks ${path} as bytes`);
}
