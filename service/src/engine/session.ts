// The one interface the engine needs from an inference runtime. Each onnxruntime flavour
// (service/src/ort/*) implements it, so the engine itself never imports onnxruntime.
// Tensors stay opaque: the engine hands a run's outputs straight back as the next run's inputs
// (present → past), so no KV bytes are copied in JavaScript between steps.

/** A tensor owned by the runtime; the engine reads `data` only for logits. */
export interface SessionTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
  /** Releases runtime memory where the runtime holds any (GPU buffers); a no-op for CPU tensors. */
  dispose?(): void;
}

export interface InputMeta {
  name: string;
  /** Static dims as numbers; symbolic ones as names (or undefined when the model omits them). */
  shape?: readonly (number | string | undefined)[];
}

export interface DecoderSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Shape metadata where the runtime exposes it; used to size an empty past when config.json lacks it. */
  readonly inputMetadata?: readonly InputMeta[];
  int64(data: BigInt64Array, dims: readonly number[]): SessionTensor;
  float32(data: Float32Array, dims: readonly number[]): SessionTensor;
  /** For legacy merged decoders (`use_cache_branch`); flavours without it cannot load those. */
  bool?(data: Uint8Array, dims: readonly number[]): SessionTensor;
  /** `fetches`: the outputs wanted (default all); the others are not handed to JavaScript. */
  run(
    feeds: Record<string, SessionTensor>,
    fetches?: readonly string[],
  ): Promise<Record<string, SessionTensor>>;
  release(): Promise<void>;
}

export interface SessionCreateOptions {
  /** Free dimension overrides and the like; flavours ignore what they do not know. */
  freeDimensionOverrides?: Record<string, number>;
}

/** Creates sessions from ONNX bytes; one per onnxruntime flavour. */
export interface SessionFactory {
  readonly name: string;
  create(model: Uint8Array, options?: SessionCreateOptions): Promise<DecoderSession>;
}
