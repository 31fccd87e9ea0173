// Shared by every flavour: onnxruntime-node and onnxruntime-web expose the same onnxruntime-common
// API, so one wrapper turns either module's InferenceSession into the engine's DecoderSession.
import type { InferenceSession, Tensor } from "onnxruntime-common";
import type { DecoderSession, InputMeta, SessionTensor } from "../engine/index.js";

/** The part of an onnxruntime module the wrapper uses. */
export interface OrtModule {
  Tensor: new (
    type: "int64" | "float32" | "bool",
    data: BigInt64Array | Float32Array | Uint8Array,
    dims: readonly number[],
  ) => Tensor;
}

export function wrapSession(ort: OrtModule, session: InferenceSession): DecoderSession {
  const inputMetadata: InputMeta[] = session.inputMetadata.map((meta) => ({
    name: meta.name,
    shape: meta.isTensor ? meta.shape : undefined,
  }));
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata,
    int64: (data, dims) => new ort.Tensor("int64", data, dims),
    float32: (data, dims) => new ort.Tensor("float32", data, dims),
    bool: (data, dims) => new ort.Tensor("bool", data, dims),
    run: async (feeds, fetches) => {
      const inputs = feeds as Record<string, Tensor>;
      const outputs = await (fetches ? session.run(inputs, [...fetches]) : session.run(inputs));
      return outputs as Record<string, SessionTensor>;
    },
    release: () => session.release(),
  };
}
