// KV caches of many sequences packed into one batch tensor per past input, left-padded:
// row b's L_b valid positions sit in the LAST L_b columns of a (B, kv_heads, P, head_dim) block
// and its attention mask is zero over the P − L_b padding columns before them. Every decode step
// appends one column to every row, so the layout stays right-aligned and the model's `present`
// outputs are fed back as the next `past` untouched; bytes are copied only when rows join or leave.

/** Per past input name (`past_key_values.{i}.key|value`), float32 data of shape (B, H, P, D). */
export type KvBlock = Record<string, Float32Array>;

/** Where one row's cache lives: row `batchIndex` of a block that is `columns` wide. */
export interface KvSource {
  block: KvBlock;
  batchIndex: number;
  columns: number;
  /** Valid positions of this row, right-aligned in the block. */
  length: number;
}

export interface KvShape {
  names: readonly string[];
  heads: number;
  headDim: number;
}

/** Copies rows into a new left-padded block as wide as the longest row: (B', H, max L, D). */
export function packRows(shape: KvShape, rows: readonly KvSource[]): { block: KvBlock; columns: number } {
  const columns = rows.reduce((max, row) => Math.max(max, row.length), 0);
  const { heads: H, headDim: D } = shape;
  const block: KvBlock = {};
  for (const name of shape.names) {
    const out = new Float32Array(rows.length * H * columns * D); // zeros: padding stays finite
    rows.forEach((row, b) => {
      const src = row.block[name];
      if (!src) throw new Error(`KV block lacks ${name}`);
      const span = row.length * D;
      for (let h = 0; h < H; h++) {
        const from = ((row.batchIndex * H + h) * row.columns + (row.columns - row.length)) * D;
        const to = ((b * H + h) * columns + (columns - row.length)) * D;
        out.set(src.subarray(from, from + span), to);
      }
    });
    block[name] = out;
  }
  return { block, columns };
}

/** Attention mask (B, P + T): row b sees its own L_b cached columns and its T new ones. */
export function leftPaddedMask(lengths: readonly number[], columns: number, seq: number): BigInt64Array {
  const width = columns + seq;
  const mask = new BigInt64Array(lengths.length * width);
  lengths.forEach((length, b) => {
    mask.fill(1n, b * width + columns - length, (b + 1) * width);
  });
  return mask;
}

/** Reads a runtime tensor's float32 data; batching needs CPU-visible KV (node CPU, wasm). */
export function floatData(data: unknown, what: string): Float32Array {
  if (!(data instanceof Float32Array)) throw new Error(`${what} is not CPU float32 data`);
  return data;
}
