// KV caches of many sequences packed into one batch tensor per past input, left-padded:
// row b's L_b valid positions sit in the LAST L_b of the block's first P ("columns") positions of
// a (B, kv_heads, capacity, head_dim) buffer, and its attention mask is zero over the P − L_b
// padding columns before them and over the unused capacity after P. Every decode step appends one
// column to every row at P, so the layout stays right-aligned; bytes move only when rows join or
// leave (repack), when the capacity runs out (grow), and for the new column itself.
//
// capacity = columns for graphs that only give back `present` (the whole cache, every step);
// graphs in the new-KV layout, which output just this run's K/V (`new_key_values`, see
// model-export's onnx_export.py), let the runner keep spare columns and write only the new ones:
// the buffer is then fed whole as the past, the unused columns masked by the attention bias.

/** Per past input name (`past_key_values.{i}.key|value`), float32 data of shape (B, H, capacity, D). */
export interface KvBlock {
  tensors: Record<string, Float32Array>;
  capacity: number;
}

/** Where one row's cache lives: row `batchIndex` of a block whose first `columns` positions are in use. */
export interface KvSource {
  block: KvBlock;
  batchIndex: number;
  columns: number;
  /** Valid positions of this row, right-aligned within the first `columns`. */
  length: number;
}

export interface KvShape {
  names: readonly string[];
  heads: number;
  headDim: number;
}

export function emptyBlock(shape: KvShape): KvBlock {
  const tensors: Record<string, Float32Array> = {};
  for (const name of shape.names) tensors[name] = new Float32Array(0);
  return { tensors, capacity: 0 };
}

/**
 * Copies rows into a new left-padded block as wide as the longest row, with `spare` unused columns
 * after it: (B', H, max L + spare, D). Fresh zeros, so padding and spare columns stay finite.
 */
export function packRows(
  shape: KvShape,
  rows: readonly KvSource[],
  spare = 0,
): { block: KvBlock; columns: number } {
  const columns = rows.reduce((max, row) => Math.max(max, row.length), 0);
  const capacity = columns + spare;
  const { heads: H, headDim: D } = shape;
  const tensors: Record<string, Float32Array> = {};
  for (const name of shape.names) {
    const out = new Float32Array(rows.length * H * capacity * D);
    rows.forEach((row, b) => {
      const src = row.block.tensors[name];
      if (!src) throw new Error(`KV block lacks ${name}`);
      const span = row.length * D;
      for (let h = 0; h < H; h++) {
        const from = ((row.batchIndex * H + h) * row.block.capacity + (row.columns - row.length)) * D;
        const to = ((b * H + h) * capacity + (columns - row.length)) * D;
        out.set(src.subarray(from, from + span), to);
      }
    });
    tensors[name] = out;
  }
  return { block: { tensors, capacity }, columns };
}

/** A block of `batch` rows with room for `needed` columns: the same block, or a wider copy. */
export function reserve(
  shape: KvShape,
  block: KvBlock,
  batch: number,
  columns: number,
  needed: number,
  spare: number,
): KvBlock {
  if (needed <= block.capacity) return block;
  const rows = Array.from({ length: batch }, (_, b) => ({ block, batchIndex: b, columns, length: columns }));
  return packRows(shape, rows, needed - columns + spare).block;
}

/**
 * Writes this run's own K/V into columns [columns, columns + T) of every row, in place (the block
 * must have the room: see `reserve`). `fresh` is the graph's `new_key_values` output: one plane per
 * past name, in `shape.names` order, each (B, T, H·D) — the layout the attention projections
 * produce — transposed here into the block's (B, H, capacity, D).
 */
export function writeColumns(
  shape: KvShape,
  block: KvBlock,
  columns: number,
  fresh: Float32Array,
  batch: number,
  seq: number,
): void {
  const { heads: H, headDim: D } = shape;
  const plane = batch * seq * H * D;
  if (fresh.length !== shape.names.length * plane) throw new Error("new_key_values has the wrong size");
  shape.names.forEach((name, j) => {
    const dst = block.tensors[name] as Float32Array;
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < seq; t++) {
        const from = j * plane + (b * seq + t) * H * D;
        for (let h = 0; h < H; h++) {
          const at = from + h * D;
          dst.set(fresh.subarray(at, at + D), ((b * H + h) * block.capacity + columns + t) * D);
        }
      }
    }
  });
}

/**
 * Attention mask (B, capacity + T): row b sees its own L_b cached columns (right-aligned before
 * `columns`) and its T new ones; padding and unused capacity stay 0.
 */
export function leftPaddedMask(
  lengths: readonly number[],
  columns: number,
  capacity: number,
  seq: number,
): BigInt64Array {
  const width = capacity + seq;
  const mask = new BigInt64Array(lengths.length * width);
  lengths.forEach((length, b) => {
    mask.fill(1n, b * width + columns - length, b * width + columns);
    mask.fill(1n, b * width + capacity, (b + 1) * width);
  });
  return mask;
}

/** The additive bias of a masked key in new-KV graphs (finite, so a fully masked row stays finite). */
export const MASKED = -1e9;

/**
 * The new-KV graphs' attention bias (B, 1, T, capacity + T), additive: 0 where query t of row b
 * may attend — its own L_b cached columns (right-aligned before `columns`) and new columns 0..t —
 * and MASKED over padding, unused capacity and later new tokens.
 */
export function leftPaddedBias(
  lengths: readonly number[],
  columns: number,
  capacity: number,
  seq: number,
): Float32Array {
  const width = capacity + seq;
  const bias = new Float32Array(lengths.length * seq * width).fill(MASKED);
  lengths.forEach((length, b) => {
    for (let t = 0; t < seq; t++) {
      const row = (b * seq + t) * width;
      bias.fill(0, row + columns - length, row + columns);
      bias.fill(0, row + capacity, row + capacity + t + 1);
    }
  });
  return bias;
}

/**
 * Graphs in the new-KV layout (Petrel's `model_new_kv*.onnx`, see model-export's onnx_export.py) take an
 * additive `attention_bias` and output this run's own K/V as one `new_key_values` tensor instead
 * of present.*. The outputs such a run fetches; undefined for any other graph (present mode).
 */
export function newKvFetches(
  inputNames: readonly string[],
  outputNames: readonly string[],
): string[] | undefined {
  const newKv = inputNames.includes("attention_bias") && outputNames.includes("new_key_values");
  return newKv ? ["logits", "new_key_values"] : undefined;
}

/** Reads a runtime tensor's float32 data; batching needs CPU-visible KV (node CPU, wasm). */
export function floatData(data: unknown, what: string): Float32Array {
  if (!(data instanceof Float32Array)) throw new Error(`${what} is not CPU float32 data`);
  return data;
}
