// One decoder-with-past ONNX graph (Optimum / transformers.js I/O names) driven one step at a
// time. Prefill runs the prompt against an empty past; each decode step feeds the previous step's
// `present.*` tensors back as `past_key_values.*` as they are — no copies in JavaScript.
import type { ModelConfig } from "./model-config.js";
import type { DecoderSession, SessionTensor } from "./session.js";

/** A KV cache: the present tensors of one run, shared by reference between n>1 choices. */
export class KvCache {
  private refs = 1;
  constructor(
    readonly tensors: Record<string, SessionTensor>,
    readonly length: number,
  ) {}

  retain(): this {
    this.refs++;
    return this;
  }

  /** Frees runtime memory (GPU buffers) once nobody feeds this cache any more. */
  release(): void {
    if (--this.refs > 0) return;
    for (const tensor of Object.values(this.tensors)) tensor.dispose?.();
  }
}

export interface StepResult {
  /** The last position's logits, a copy the caller may modify. */
  logits: Float32Array;
  cache: KvCache;
}

export class Decoder {
  private readonly pastNames: string[];
  private readonly hasPositionIds: boolean;
  private readonly hasLogitsToKeep: boolean;
  private readonly hasCacheBranch: boolean;
  private ones: BigInt64Array;

  constructor(
    private readonly session: DecoderSession,
    private readonly config: ModelConfig,
  ) {
    this.pastNames = session.inputNames.filter((n) => n.startsWith("past_key_values."));
    this.hasPositionIds = session.inputNames.includes("position_ids");
    this.hasLogitsToKeep = session.inputNames.includes("num_logits_to_keep");
    // legacy Optimum "merged" decoders switch between their no-past and with-past branches
    this.hasCacheBranch = session.inputNames.includes("use_cache_branch");
    this.ones = new BigInt64Array(config.contextLength).fill(1n);
  }

  /** Runs the prompt with an empty past. */
  prefill(ids: readonly number[]): Promise<StepResult> {
    const empty: Record<string, SessionTensor> = {};
    const dims = [1, this.config.numKvHeads, 0, this.config.headDim];
    for (const name of this.pastNames) empty[name] = this.session.float32(new Float32Array(0), dims);
    return this.run(ids, empty, 0);
  }

  /** Runs one new token against a cache; the cache is not consumed (n>1 choices share one). */
  step(id: number, cache: KvCache): Promise<StepResult> {
    return this.run([id], cache.tensors, cache.length);
  }

  private async run(
    ids: readonly number[],
    past: Record<string, SessionTensor>,
    pastLength: number,
  ): Promise<StepResult> {
    const seq = ids.length;
    const total = pastLength + seq;
    const feeds: Record<string, SessionTensor> = { ...past };
    feeds.input_ids = this.session.int64(BigInt64Array.from(ids, BigInt), [1, seq]); // (1, T)
    feeds.attention_mask = this.session.int64(this.onesOf(total), [1, total]); // (1, P+T)
    if (this.hasPositionIds) {
      const positions = new BigInt64Array(seq);
      for (let i = 0; i < seq; i++) positions[i] = BigInt(pastLength + i);
      feeds.position_ids = this.session.int64(positions, [1, seq]); // (1, T)
    }
    if (this.hasLogitsToKeep) feeds.num_logits_to_keep = this.session.int64(new BigInt64Array([1n]), []);
    if (this.hasCacheBranch && this.session.bool) {
      feeds.use_cache_branch = this.session.bool(Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    }
    const outputs = await this.session.run(feeds);
    return { logits: lastRow(outputs.logits), cache: new KvCache(presentAsPast(outputs), total) };
  }

  private onesOf(length: number): BigInt64Array {
    if (length > this.ones.length) this.ones = new BigInt64Array(length).fill(1n);
    return this.ones.subarray(0, length);
  }
}

function lastRow(logits: SessionTensor | undefined): Float32Array {
  if (!logits || !(logits.data instanceof Float32Array)) throw new Error("model output lacks float32 logits");
  const vocab = logits.dims[logits.dims.length - 1] as number; // logits: (1, T, V)
  const data = logits.data;
  return data.slice(data.length - vocab);
}

/** `present.{i}.key` → `past_key_values.{i}.key`, the tensors themselves passed on untouched. */
function presentAsPast(outputs: Record<string, SessionTensor>): Record<string, SessionTensor> {
  const past: Record<string, SessionTensor> = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (name.startsWith("present")) past[name.replace(/^present[^.]*/, "past_key_values")] = tensor;
    else if (name !== "logits") tensor.dispose?.();
  }
  return past;
}
