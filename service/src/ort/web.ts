// onnxruntime-web flavour (WASM backend) for Node and browsers: the wasm-only entry, one thread,
// no proxy worker — the same configuration the Worker uses, so node-vs-web tests compare like
// with like. Inside workerd use workerd.ts, which also supplies the compiled wasm module.
import * as ort from "onnxruntime-web/wasm";
import type { SessionFactory } from "../engine/index.js";
import { wrapSession } from "./wrap-session.js";

export function webSessions(): SessionFactory {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  return {
    name: "onnxruntime-web(wasm)",
    async create(model, createOptions) {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
        freeDimensionOverrides: createOptions?.freeDimensionOverrides,
      });
      return wrapSession(ort, session);
    },
  };
}
