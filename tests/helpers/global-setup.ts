// vitest global setup: the grammar runtime's wasm and ES module are build outputs (gitignored), made
// from the installed @mlc-ai/web-xgrammar by scripts/build-xgrammar.mjs; a fresh checkout or worktree
// gets them here (the script rewrites nothing when they are current). The tools test model
// (tool-model.ts) is built here too, once, before the workers that read it start.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureToolModel } from "./tool-model.js";

export default function setup(): void {
  const script = fileURLToPath(new URL("../../scripts/build-xgrammar.mjs", import.meta.url));
  execFileSync(process.execPath, [script], { stdio: "inherit" });
  ensureToolModel();
}
