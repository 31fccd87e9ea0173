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
  /**
   * Threads per operator. Default: 1 for models under 64 MiB — a decode step of a few-million-
   * parameter model is ~0.5 ms and the thread pool's hand-offs cost more than they save (measured:
   * 2–3× slower per token with 2 threads on 2 cores); ORT's own default (physical cores) above that.
   */
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
        // the binding rejects an explicit undefined, so the key is only set when chosen
        ...threadOption(options.intraOpNumThreads, model.byteLength),
        freeDimensionOverrides: createOptions?.freeDimensionOverrides,
      });
      return wrapSession(ort, session);
    },
  };
}

const smallModelBytes = 64 * 1024 * 1024;

function threadOption(requested: number | undefined, modelBytes: number): { intraOpNumThreads?: number } {
  if (requested !== undefined) return { intraOpNumThreads: requested };
  return modelBytes < smallModelBytes ? { intraOpNumThreads: 1 } : {};
}
