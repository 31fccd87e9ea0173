// Session runs for the batch scheduler: a prefill chunk of one sequence against its own cache,
// and one decode step over every active row at once — (B, 1) new tokens against a left-padded
// (B, H, P, D) past, each row with its own attention mask and position id.
//
// Two ways to carry the cache from step to step (kv-pack.ts): graphs in the new-KV layout (an
// attention_bias input, this run's K/V as one `new_key_values` output) get a buffer with spare
// columns that is fed whole and written in place, and the run fetches only logits and
// new_key_values; convention graphs hand back `present` (the whole cache) every step.
import type { ModelArch } from "../model-arch.js";
import type { DecoderSession, SessionTensor } from "../session.js";
import {
  emptyBlock,
  floatData,
  type KvBlock,
  type KvShape,
  type KvSource,
  leftPaddedBias,
  leftPaddedMask,
  newKvFetches,
  packRows,
  reserve,
  writeColumns,
} from "./kv-pack.js";

/** Spare columns a grown or repacked block gets when the runner writes new K/V itself. */
const SPARE_COLUMNS = 32;

export interface DecodeRow {
  /** The token fed this step. */
  id: number;
  /** Valid cached positions before this step (= this token's position id). */
  length: number;
}

export class BatchRunner {
  readonly shape: KvShape;
  private readonly hasPositionIds: boolean;
  private readonly hasLogitsToKeep: boolean;
  /** Legacy Optimum "merged" decoders switch between their no-past and with-past branches. */
  private readonly hasCacheBranch: boolean;
  /** logits and new_key_values for new-KV graphs, else undefined (present mode: every output). */
  private readonly fetches: string[] | undefined;

  constructor(
    private readonly session: DecoderSession,
    arch: ModelArch,
  ) {
    const names = session.inputNames.filter((n) => n.startsWith("past_key_values."));
    this.shape = { names, heads: arch.numKvHeads, headDim: arch.headDim };
    this.hasPositionIds = session.inputNames.includes("position_ids");
    this.hasLogitsToKeep = session.inputNames.includes("num_logits_to_keep");
    // every run is all-prefill against an empty past or all-with-past, so one flag per run fits
    this.hasCacheBranch = session.inputNames.includes("use_cache_branch");
    this.fetches = newKvFetches(session.inputNames, session.outputNames);
  }

  /** Whether the graph is in the new-KV layout: blocks carry spare columns written in place. */
  get newKv(): boolean {
    return this.fetches !== undefined;
  }

  /** Repacks rows into a fresh left-padded block (with spare columns in the new-KV layout). */
  pack(rows: readonly KvSource[]): { block: KvBlock; columns: number } {
    return packRows(this.shape, rows, this.newKv ? SPARE_COLUMNS : 0);
  }

  empty(): KvBlock {
    return emptyBlock(this.shape);
  }

  /** Runs prompt tokens of ONE sequence after its cache (none = empty); returns its new cache. */
  async prefillChunk(
    ids: readonly number[],
    past: KvSource | undefined,
  ): Promise<{ logits: Float32Array; kv: KvSource }> {
    const length = past?.length ?? 0;
    const source = past ?? { block: this.empty(), batchIndex: 0, columns: 0, length: 0 };
    if (source.columns !== length || source.batchIndex !== 0) {
      throw new Error("prefill needs a compact (unpadded) cache");
    }
    const step = await this.step(source.block, length, [length], [ids]);
    const total = length + ids.length;
    return {
      logits: this.rowLogits(step.logits, 0),
      kv: { block: step.block, batchIndex: 0, columns: total, length: total },
    };
  }

  /** One decode step for all rows of a packed block; returns each row's logits and the new block. */
  async decode(
    block: KvBlock,
    columns: number,
    rows: readonly DecodeRow[],
  ): Promise<{ logits: Float32Array[]; block: KvBlock; columns: number }> {
    const step = await this.step(
      block,
      columns,
      rows.map((r) => r.length),
      rows.map((r) => [r.id]),
    );
    // Views, not copies: each row owns its own slice of this step's output and the next run
    // allocates a fresh one, so the in-place logit processors cannot touch another row.
    const logits = rows.map((_, b) => this.rowLogits(step.logits, b, true));
    return { logits, block: step.block, columns: columns + 1 };
  }

  /** One run over `ids` (B rows × T) after `columns` cached columns; returns logits and the cache after it. */
  private async step(
    block: KvBlock,
    columns: number,
    lengths: readonly number[],
    ids: readonly (readonly number[])[],
  ): Promise<{ logits: SessionTensor | undefined; block: KvBlock }> {
    const batch = ids.length;
    const seq = ids[0]?.length ?? 0;
    if (!this.newKv) {
      const outputs = await this.run(block, columns, lengths, ids);
      return { logits: outputs.logits, block: this.presentBlock(outputs, columns + seq) };
    }
    const room = reserve(this.shape, block, batch, columns, columns + seq, SPARE_COLUMNS);
    // a first prefill chunk runs against an empty past: no masked spare columns to attend over
    const outputs = await this.run(columns === 0 ? this.empty() : room, columns, lengths, ids);
    const fresh = floatData(outputs.new_key_values?.data, "new_key_values");
    writeColumns(this.shape, room, columns, fresh, batch, seq);
    return { logits: outputs.logits, block: room };
  }

  /** ids: B rows of T tokens each (T equal across rows); lengths: each row's valid cached positions. */
  private async run(
    past: KvBlock,
    columns: number,
    lengths: readonly number[],
    ids: readonly (readonly number[])[],
  ): Promise<Record<string, SessionTensor>> {
    const s = this.session;
    const batch = ids.length;
    const seq = ids[0]?.length ?? 0;
    const { heads, headDim } = this.shape;
    const width = past.capacity;
    const feeds: Record<string, SessionTensor> = {};
    for (const name of this.shape.names) {
      feeds[name] = s.float32(past.tensors[name] as Float32Array, [batch, heads, width, headDim]); // (B, H, C, D)
    }
    const flat = new BigInt64Array(batch * seq);
    ids.forEach((row, b) => {
      for (const [t, id] of row.entries()) flat[b * seq + t] = BigInt(id);
    });
    feeds.input_ids = s.int64(flat, [batch, seq]); // (B, T)
    if (this.newKv) {
      feeds.attention_bias = s.float32(leftPaddedBias(lengths, columns, width, seq), [
        batch,
        1,
        seq,
        width + seq,
      ]);
    } else {
      feeds.attention_mask = s.int64(leftPaddedMask(lengths, columns, width, seq), [batch, width + seq]); // (B, C+T)
    }
    if (this.hasPositionIds) {
      const positions = new BigInt64Array(batch * seq);
      lengths.forEach((length, b) => {
        for (let t = 0; t < seq; t++) positions[b * seq + t] = BigInt(length + t);
      });
      feeds.position_ids = s.int64(positions, [batch, seq]); // (B, T)
    }
    if (this.hasLogitsToKeep) feeds.num_logits_to_keep = s.int64(new BigInt64Array([1n]), []);
    if (this.hasCacheBranch && s.bool)
      feeds.use_cache_branch = s.bool(Uint8Array.of(columns > 0 ? 1 : 0), [1]);
    return s.run(feeds, this.fetches);
  }

  /** Row b's last-position logits, (B, T, V) → (V), copied out of the runtime's buffer unless `view`. */
  private rowLogits(logits: SessionTensor | undefined, b: number, view = false): Float32Array {
    const data = floatData(logits?.data, "logits");
    const dims = logits?.dims ?? [];
    const vocab = dims[dims.length - 1] as number;
    const seq = dims[1] as number;
    const start = (b * seq + seq - 1) * vocab;
    return view ? data.subarray(start, start + vocab) : data.slice(start, start + vocab);
  }

  private presentBlock(outputs: Record<string, SessionTensor>, columns: number): KvBlock {
    const tensors: Record<string, Float32Array> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (!name.startsWith("present")) continue;
      tensors[name.replace(/^present[^.]*/, "past_key_values")] = floatData(tensor.data, name);
    }
    return { tensors, capacity: columns };
  }
}
