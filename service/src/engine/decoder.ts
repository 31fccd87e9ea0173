// One decoder-with-past ONNX graph (Optimum / transformers.js I/O names) driven one step at a
// time. Prefill runs the prompt against an empty past; then one token per step.
//
// Two ways to carry the cache: Petrel's own-cache graphs (`model_new_kv*.onnx`: an attention_bias
// input, this run's K/V as one `new_key_values` output) go through the batch runner's one-sequence
// path (batching/kv-pack.ts: a CPU buffer with spare columns, fed whole as the past and written in
// place); any other graph's `present.*` tensors are fed back as `past_key_values.*` untouched.
import { BatchRunner } from "./batching/batch-runner.js";
import { type KvBlock, type KvSource, ownCacheFetches } from "./batching/kv-pack.js";
import type { ModelConfig } from "./model-config.js";
import type { DecoderSession, SessionTensor } from "./session.js";

/** A KV cache after `length` tokens, shared by reference between n>1 choices. */
export class KvCache {
  private refs = 1;
  constructor(
    /** present-mode: the runtime's present tensors, renamed past_key_values.* */
    readonly tensors: Record<string, SessionTensor> | undefined,
    readonly length: number,
    /** own-cache mode: the buffer, written in place by whoever holds the only reference */
    readonly block?: KvBlock,
  ) {}

  get shared(): boolean {
    return this.refs > 1;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  /** Frees runtime memory (GPU buffers) once nobody feeds this cache any more. */
  release(): void {
    if (--this.refs > 0) return;
    for (const tensor of Object.values(this.tensors ?? {})) tensor.dispose?.();
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
  /**
   * Own-cache mode: runs go through the batch runner's one-sequence path, which keeps the cache in
   * a buffer with spare columns and fetches only logits and new_key_values.
   */
  private readonly ownCache: BatchRunner | undefined;

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
    const own =
      !this.hasCacheBranch && ownCacheFetches(session.inputNames, session.outputNames) !== undefined;
    this.ownCache = own ? new BatchRunner(session, config) : undefined;
  }

  /** Runs the prompt with an empty past. */
  prefill(ids: readonly number[]): Promise<StepResult> {
    if (this.ownCache) return this.runOwn(this.ownCache, ids, undefined);
    const empty: Record<string, SessionTensor> = {};
    const dims = [1, this.config.numKvHeads, 0, this.config.headDim];
    for (const name of this.pastNames) empty[name] = this.session.float32(new Float32Array(0), dims);
    return this.run(ids, empty, 0);
  }

  /** Runs one new token against a cache; the cache is not consumed (n>1 choices share one). */
  step(id: number, cache: KvCache): Promise<StepResult> {
    if (this.ownCache && cache.block) return this.runOwn(this.ownCache, [id], cache);
    return this.run([id], cache.tensors ?? {}, cache.length);
  }

  private async run(
    ids: readonly number[],
    past: Record<string, SessionTensor>,
    pastLength: number,
  ): Promise<StepResult> {
    const total = pastLength + ids.length;
    const feeds: Record<string, SessionTensor> = { ...past, ...this.tokenFeeds(ids, pastLength) };
    feeds.attention_mask = this.session.int64(this.onesOf(total), [1, total]); // (1, P+T)
    if (this.hasCacheBranch && this.session.bool) {
      feeds.use_cache_branch = this.session.bool(Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    }
    const outputs = await this.session.run(feeds);
    return { logits: lastRow(outputs.logits), cache: new KvCache(presentAsPast(outputs), total) };
  }

  /** Own-cache mode: the batch runner's one-sequence run; a shared buffer is copied first. */
  private async runOwn(
    runner: BatchRunner,
    ids: readonly number[],
    cache: KvCache | undefined,
  ): Promise<StepResult> {
    let source: KvSource | undefined;
    if (cache?.block) {
      source = { block: cache.block, batchIndex: 0, columns: cache.length, length: cache.length };
      if (cache.shared) source = { ...runner.pack([source]), batchIndex: 0, length: cache.length };
    }
    const out = await runner.prefillChunk(ids, source);
    return { logits: out.logits, cache: new KvCache(undefined, out.kv.length, out.kv.block) };
  }

  /** input_ids, position_ids and num_logits_to_keep where the graph has them. */
  private tokenFeeds(ids: readonly number[], pastLength: number): Record<string, SessionTensor> {
    const seq = ids.length;
    const feeds: Record<string, SessionTensor> = {};
    feeds.input_ids = this.session.int64(BigInt64Array.from(ids, BigInt), [1, seq]); // (1, T)
    if (this.hasPositionIds) {
      const positions = new BigInt64Array(seq);
      for (let i = 0; i < seq; i++) positions[i] = BigInt(pastLength + i);
      feeds.position_ids = this.session.int64(positions, [1, seq]); // (1, T)
    }
    if (this.hasLogitsToKeep) feeds.num_logits_to_keep = this.session.int64(new BigInt64Array([1n]), []);
    return feeds;
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
