// One decoder-with-past ONNX graph (Optimum / transformers.js I/O names) driven one step at a
// time. Prefill runs the prompt against an empty past; then one token per step.
//
// Two ways to carry the cache (as in batching/kv-pack.ts): graphs that also output each run's own
// K/V (`new.{i}.*`, Petrel's export) get a CPU buffer with spare columns, fed whole as the past
// (unused columns masked) and written in place — the run fetches only logits and new.*; any other
// graph's `present.*` tensors are fed back as `past_key_values.*` untouched.
import {
  emptyBlock,
  floatData,
  type KvBlock,
  type KvShape,
  leftPaddedMask,
  newKvOutputs,
  packRows,
  reserve,
  writeColumns,
} from "./batching/kv-pack.js";
import type { ModelConfig } from "./model-config.js";
import type { DecoderSession, SessionTensor } from "./session.js";

const SPARE_COLUMNS = 32;

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
  private readonly shape: KvShape;
  /** Own-cache mode: output name `new.{i}.*` per past name, and what a run fetches. */
  private readonly newNames: Map<string, string> | undefined;
  private readonly fetches: string[] | undefined;

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
    this.shape = { names: this.pastNames, heads: config.numKvHeads, headDim: config.headDim };
    const own = this.hasCacheBranch ? undefined : newKvOutputs(this.pastNames, session.outputNames);
    this.newNames = own?.names;
    this.fetches = own?.fetches;
  }

  /** Runs the prompt with an empty past. */
  prefill(ids: readonly number[]): Promise<StepResult> {
    if (this.newNames) return this.runOwn(ids, emptyBlock(this.shape), 0, true);
    const empty: Record<string, SessionTensor> = {};
    const dims = [1, this.config.numKvHeads, 0, this.config.headDim];
    for (const name of this.pastNames) empty[name] = this.session.float32(new Float32Array(0), dims);
    return this.run(ids, empty, 0);
  }

  /** Runs one new token against a cache; the cache is not consumed (n>1 choices share one). */
  step(id: number, cache: KvCache): Promise<StepResult> {
    if (cache.block) return this.runOwn([id], cache.block, cache.length, cache.shared);
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

  /** Own-cache mode: a shared (or empty) buffer is copied first, then written in place. */
  private async runOwn(
    ids: readonly number[],
    block: KvBlock,
    pastLength: number,
    copy: boolean,
  ): Promise<StepResult> {
    const total = pastLength + ids.length;
    const source = { block, batchIndex: 0, columns: pastLength, length: pastLength };
    const room = copy
      ? packRows(this.shape, [source], ids.length + SPARE_COLUMNS).block
      : reserve(this.shape, block, 1, pastLength, total, SPARE_COLUMNS);
    // with nothing cached yet (a prompt) the run gets an empty past: no masked columns to attend over
    const past = pastLength === 0 ? emptyBlock(this.shape) : room;
    const { heads, headDim } = this.shape;
    const feeds = this.tokenFeeds(ids, pastLength);
    for (const name of this.pastNames) {
      feeds[name] = this.session.float32(past.tensors[name] as Float32Array, [
        1,
        heads,
        past.capacity,
        headDim,
      ]);
    }
    const mask = leftPaddedMask([pastLength], pastLength, past.capacity, ids.length);
    feeds.attention_mask = this.session.int64(mask, [1, past.capacity + ids.length]); // (1, C+T)
    const outputs = await this.session.run(feeds, this.fetches);
    const fresh: Record<string, Float32Array> = {};
    for (const [past, out] of this.newNames ?? []) fresh[past] = floatData(outputs[out]?.data, out);
    writeColumns(this.shape, room, pastLength, fresh, 1, ids.length);
    return { logits: lastRow(outputs.logits), cache: new KvCache(undefined, total, room) };
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
