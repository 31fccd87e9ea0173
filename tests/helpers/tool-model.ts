// A model directory that declares tool calls, for the mechanics of tools on the engine (template,
// grammar, parser): model-export's random tiny model (petrel_export/random_model.py, tiny-random's
// shape, tokenizer and seed) exported with a 1024-token context, room for a tools block in its
// 1,024-token vocabulary, and with the chat template and `tool_call_format` model-export writes today.
// tiny-random predates both and keeps 256 tokens. Random weights: mechanics, not judgement.
// Built by the vitest global setup into tests/models/ (gitignored, ~12 s) when model-export changed.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelFiles, OnnxVariant } from "../../service/src/engine/index.js";
import { readModelDir } from "../../service/src/ort/node-files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const exportDir = join(root, "model-export");
export const TOOL_MODEL_ID = "tiny-tools";
export const TOOL_MODEL_DIR = join(root, "tests/models", TOOL_MODEL_ID);

const BUILD = `import sys
from pathlib import Path
from petrel_export.random_model import build, TINY
from petrel_export.model import ModelConfig
shape = ModelConfig(**{**TINY.to_dict(), "block_size": 1024})
build(Path(sys.argv[1]), "${TOOL_MODEL_ID}", shape.vocab_size, shape)`;

function sourceStamp(): string {
  const hash = createHash("sha256").update(BUILD);
  const dir = join(exportDir, "petrel_export");
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".py"))
    .sort())
    hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest("hex");
}

/** Builds the directory unless it was built from the same model-export sources; returns its path. */
export function ensureToolModel(): string {
  const stamp = sourceStamp();
  const stampFile = join(TOOL_MODEL_DIR, ".stamp");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return TOOL_MODEL_DIR;
  const tmp = `${TOOL_MODEL_DIR}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync("/usr/bin/python3", ["-c", BUILD, tmp], { cwd: exportDir, stdio: "ignore" });
  writeFileSync(join(tmp, ".stamp"), stamp);
  rmSync(TOOL_MODEL_DIR, { recursive: true, force: true });
  renameSync(tmp, TOOL_MODEL_DIR);
  return TOOL_MODEL_DIR;
}

/** The directory's files in memory, for createEngine. */
export const toolModelFiles = (variant?: OnnxVariant): Promise<ModelFiles> =>
  readModelDir(ensureToolModel(), variant);
