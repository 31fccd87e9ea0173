// Bench-size random-weight model directories (bench/models/<preset>, git-ignored): built on first use
// with model-export's own tool, so every benchmark that names one measures the same graph.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { root } from "./procs.js";

/** Presets of `python3 -m petrel_export.random_model --preset`, built under bench/models/. */
const presets = new Set(["bench-24m"]);

function exportTool(args: string[], what: string): void {
  const r = spawnSync("/usr/bin/python3", ["-m", ...args], {
    cwd: resolve(root, "model-export"),
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
}

/**
 * Returns `dir`; builds it first when it is a missing bench/models/<preset> directory (~15 s), and
 * writes its GGUF files (llama.cpp's rows) when a preset directory lacks them.
 */
export function ensureModel(dir: string): string {
  const preset = basename(dir);
  const path = resolve(root, dir);
  // the newest of the export's files: a directory from an older exporter is rebuilt
  if (!existsSync(resolve(path, "onnx", "model_new_kv_quantized.onnx"))) {
    if (!presets.has(preset)) throw new Error(`model directory ${dir} not found`);
    console.error(`building ${dir} (random weights, preset ${preset}) ...`);
    exportTool(["petrel_export.random_model", "--preset", preset, "--out", path], `building ${dir}`);
  }
  if (presets.has(preset) && !existsSync(resolve(path, "model-q8_0.gguf")))
    exportTool(["petrel_export.gguf", path], `GGUF export of ${dir}`);
  return dir;
}
