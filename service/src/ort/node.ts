// onnxruntime-node flavour (native CPU; CUDA where its provider libraries are installed).
//
// CUDA: onnxruntime-node's install script downloads the CUDA 12 provider libraries on linux/x64;
// this project skips that step (allowScripts / ONNXRUNTIME_NODE_INSTALL=skip). On a GPU host run
// `npm rebuild onnxruntime-node` with scripts allowed (CUDA 12 + cuDNN 9 on the library path), then
// pass `executionProviders: ["cuda"]` (falls back to CPU for unsupported ops). For models of a few
// million parameters the per-step host round-trip makes CPU as fast or faster.
import * as ort from "onnxruntime-node";
import type { SessionFactory } from "../engine/index.js";
import { wrapSession } from "./wrap-session.js";

export interface NodeSessionOptions {
  executionProviders?: ("cpu" | "cuda")[];
  /** Threads per operator; default: ORT's choice (physical cores). */
  intraOpNumThreads?: number;
}

export function nodeSessions(options: NodeSessionOptions = {}): SessionFactory {
  return {
    name: `onnxruntime-node(${(options.executionProviders ?? ["cpu"]).join(",")})`,
    async create(model, createOptions) {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: options.executionProviders ?? ["cpu"],
        graphOptimizationLevel: "all",
        executionMode: "sequential",
        // the binding rejects an explicit undefined, so the key is only set when given
        ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
        freeDimensionOverrides: createOptions?.freeDimensionOverrides,
      });
      return wrapSession(ort, session);
    },
  };
}
