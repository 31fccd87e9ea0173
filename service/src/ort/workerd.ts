// onnxruntime-web inside workerd (Cloudflare Workers). Workers refuse to compile WebAssembly from
// bytes, so the ORT wasm is imported as a precompiled module (wrangler's CompiledWasm rule) and
// handed to ORT's glue: ORT is given a sentinel `wasmBinary`, and WebAssembly.instantiate is
// wrapped so that, for the sentinel only, it instantiates the imported module instead.
// See shared/reference/workerd-onnxruntime.md. Import this file only from a Worker bundle.

import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";
import type { SessionFactory } from "../engine/index.js";
import { wrapSession } from "./wrap-session.js";

const sentinel = new ArrayBuffer(8);
let memory: WebAssembly.Memory | undefined;
let installed = false;

function findMemory(value: unknown, depth = 0): WebAssembly.Memory | undefined {
  if (value instanceof WebAssembly.Memory) return value;
  if (!value || typeof value !== "object" || depth > 2) return undefined;
  for (const inner of Object.values(value)) {
    const found = findMemory(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function isSentinel(source: unknown): boolean {
  return source === sentinel || (ArrayBuffer.isView(source) && source.buffer === sentinel);
}

function installInstantiateHook(): void {
  if (installed) return;
  installed = true;
  const original = WebAssembly.instantiate.bind(WebAssembly);
  const hooked = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (!isSentinel(source)) return original(source as BufferSource, imports);
    const instance = await original(ortWasm, imports);
    // the threaded build imports its (shared) memory; other builds export it
    memory = findMemory(imports) ?? findMemory(instance.exports);
    return { instance, module: ortWasm };
  };
  WebAssembly.instantiate = hooked as typeof WebAssembly.instantiate;
}

/** Bytes of ORT's wasm linear memory (it only grows); 0 before the first session. */
export function wasmMemoryBytes(): number {
  return memory?.buffer.byteLength ?? 0;
}

export function workerdSessions(): SessionFactory {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = sentinel;
  installInstantiateHook();
  return {
    name: "onnxruntime-web(wasm, workerd)",
    async create(model, createOptions) {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
        // arena and memory patterns grow the wasm heap that never shrinks; the budget is 128 MB
        enableCpuMemArena: false,
        enableMemPattern: false,
        freeDimensionOverrides: createOptions?.freeDimensionOverrides,
      });
      return wrapSession(ort, session);
    },
  };
}
