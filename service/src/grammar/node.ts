// XGrammar on Node (onnxruntime-node and onnxruntime-web engines alike): the wasm extracted at build
// time (scripts/build-xgrammar.mjs) read from disk and compiled once, on first use.
import { readFile } from "node:fs/promises";
import type { GrammarFactory } from "../engine/index.js";
import { xgrammarFactory } from "./xgrammar.js";

const wasmUrl = new URL("./generated/xgrammar.wasm", import.meta.url);

export function nodeGrammar(): GrammarFactory {
  return xgrammarFactory("xgrammar(node)", async () => WebAssembly.compile(await readFile(wasmUrl)));
}
