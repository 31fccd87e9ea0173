// Bench-size random-weight model directories (bench/models/<preset>, git-ignored): built on first use
// with model-export's own tool, so every benchmark that names one measures the same graph.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { root } from "./procs.js";

/** Presets of `python3 -m petrel_export.tiny_random --preset`, built under bench/models/. */
const presets = new Set(["bench-24m"]);

/** Returns `dir`; builds it first when it is a missing bench/models/<preset> directory (~15 s). */
export function ensureModel(dir: string): string {
  // the newest of the export's files: a directory from an older exporter is rebuilt
  if (existsSync(resolve(root, dir, "onnx", "model_new_kv_quantized.onnx"))) return dir;
  const preset = basename(dir);
  if (!presets.has(preset)) throw new Error(`model directory ${dir} not found`);
  console.error(`building ${dir} (random weights, preset ${preset}) ...`);
  const r = spawnSync(
    "/usr/bin/python3",
    ["-m", "petrel_export.tiny_random", "--preset", preset, "--out", resolve(root, dir)],
    { cwd: resolve(root, "model-export"), stdio: ["ignore", "inherit", "inherit"] },
  );
  if (r.status !== 0) throw new Error(`building ${dir} failed (exit ${r.status})`);
  return dir;
}
