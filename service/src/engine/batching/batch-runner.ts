// Session runs for the batch scheduler: a prefill chunk of one sequence against its own cache,
// and one decode step over every active row at once — (B, 1) new tokens against a left-padded
// (B, H, P, D) past, each row with its own attention mask and position id.
import type { ModelConfig } from "../model-config.js";
import type { DecoderSession, SessionTensor } from "../session.js";
import { floatData, type KvBlock, type KvShape, type KvSource, leftPaddedMask } from "./kv-pack.js";

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

  constructor(
    private readonly session: DecoderSession,
    config: ModelConfig,
  ) {
    const names = session.inputNames.filter((n) => n.startsWith("past_key_values."));
    this.shape = { names, heads: config.numKvHeads, headDim: config.headDim };
    this.hasPositionIds = session.inputNames.includes("position_ids");
    this.hasLogitsToKeep = session.inputNames.includes("num_logits_to_keep");
    // merged no-past/with-past graphs cannot mix prefill and decode rows; batching needs one graph
    if (session.inputNames.includes("use_cache_branch")) {
      throw new Error("batching needs a decoder-with-past graph without use_cache_branch");
    }
  }

  /** Runs prompt tokens of ONE sequence after its cache (none = empty); returns its new cache. */
  async prefillChunk(
    ids: readonly number[],
    past: KvSource | undefined,
  ): Promise<{ logits: Float32Array; kv: KvSource }> {
    const length = past?.length ?? 0;
    const pastBlock = past ?? { block: this.emptyBlock(), batchIndex: 0, columns: 0, length: 0 };
    if (pastBlock.columns !== length) throw new Error("prefill needs a compact (unpadded) cache");
    const outputs = await this.run(pastBlock.block, length, [length], [ids]);
    return {
      logits: this.rowLogits(outputs.logits, 0),
      kv: {
        block: this.presentBlock(outputs),
        batchIndex: 0,
        columns: length + ids.length,
        length: length + ids.length,
      },
    };
  }

  /** One decode step for all rows of a packed block; returns each row's logits and the new block. */
  async decode(
    block: KvBlock,
    columns: number,
    rows: readonly DecodeRow[],
  ): Promise<{ logits: Float32Array[]; block: KvBlock; columns: number }> {
    const outputs = await this.run(
      block,
      columns,
      rows.map((r) => r.length),
      rows.map((r) => [r.id]),
    );
    // Views, not copies: each row owns its own slice of this step's output and the next run
    // allocates a fresh one, so the in-place logit processors cannot touch another row.
    const logits = rows.map((_, b) => this.rowLogits(outputs.logits, b, true));
    return { logits, block: this.presentBlock(outputs), columns: columns + 1 };
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
    const feeds: Record<string, SessionTensor> = {};
    for (const name of this.shape.names) {
      feeds[name] = s.float32(past[name] as Float32Array, [batch, heads, columns, headDim]); // (B, H, P, D)
    }
    const flat = new BigInt64Array(batch * seq);
    ids.forEach((row, b) => {
      for (const [t, id] of row.entries()) flat[b * seq + t] = BigInt(id);
    });
    feeds.input_ids = s.int64(flat, [batch, seq]); // (B, T)
    feeds.attention_mask = s.int64(leftPaddedMask(lengths, columns, seq), [batch, columns + seq]); // (B, P+T)
    if (this.hasPositionIds) {
      const positions = new BigInt64Array(batch * seq);
      lengths.forEach((length, b) => {
        for (let t = 0; t < seq; t++) positions[b * seq + t] = BigInt(length + t);
      });
      feeds.position_ids = s.int64(positions, [batch, seq]); // (B, T)
    }
    if (this.hasLogitsToKeep) feeds.num_logits_to_keep = s.int64(new BigInt64Array([1n]), []);
    return s.run(feeds);
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

  private presentBlock(outputs: Record<string, SessionTensor>): KvBlock {
    const block: KvBlock = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (!name.startsWith("present")) continue;
      block[name.replace(/^present[^.]*/, "past_key_values")] = floatData(tensor.data, name);
    }
    return block;
  }

  private emptyBlock(): KvBlock {
    const block: KvBlock = {};
    for (const name of this.shape.names) block[name] = new Float32Array(0);
    return block;
  }
}
