// XGrammar inside workerd (Cloudflare Workers): the extracted wasm imported as a precompiled module
// (wrangler's default CompiledWasm rule for .wasm), since Workers refuse to compile WebAssembly from
// bytes — the same way ort/workerd.ts loads onnxruntime's. Import this file only from a Worker bundle.

import type { GrammarFactory } from "../engine/index.js";
import xgrammarWasm from "./generated/xgrammar.wasm";
import { xgrammarFactory } from "./xgrammar.js";

export function workerdGrammar(): GrammarFactory {
  return xgrammarFactory("xgrammar(workerd)", async () => xgrammarWasm);
}
