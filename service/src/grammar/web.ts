// XGrammar where WebAssembly may be compiled at run time (browsers, Node's web flavour): give it the
// wasm as a module, as bytes, or as a URL to stream-compile (e.g. the bundler's URL of
// service/src/grammar/generated/xgrammar.wasm). Inside a Worker use workerd.ts.
import type { GrammarFactory } from "../engine/index.js";
import { xgrammarFactory } from "./xgrammar.js";

export type WasmSource = WebAssembly.Module | BufferSource | URL;

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof URL) return WebAssembly.compileStreaming(fetch(source));
  return WebAssembly.compile(source);
}

export function webGrammar(source: WasmSource | (() => Promise<WasmSource>)): GrammarFactory {
  return xgrammarFactory("xgrammar(web)", async () =>
    compile(typeof source === "function" ? await source() : source),
  );
}
