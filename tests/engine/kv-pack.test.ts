// The new-KV layout's two hand-written pieces (engine/batching/kv-pack.ts): the attention bias
// fed to Petrel's new-KV graphs and the write of a run's packed new_key_values into the
// (B, H, capacity, D) block. End to end they are covered by golden and batched = unbatched tests;
// here each index is checked, so a layout slip shows where it is.
import { describe, expect, it } from "vitest";
import { leftPaddedBias, MASKED, writeColumns } from "../../service/src/engine/batching/kv-pack.js";

describe("leftPaddedBias", () => {
  it("row b, query t sees its own cached columns and new tokens 0..t; padding, spare and later tokens are masked", () => {
    // 2 rows, 4 used columns (row 0 has 4 cached, row 1 has 2 right-aligned), capacity 6, 2 new tokens
    const bias = leftPaddedBias([4, 2], 4, 6, 2);
    const width = 8;
    const open = (b: number, t: number) =>
      Array.from({ length: width }, (_, s) => s).filter((s) => bias[(b * 2 + t) * width + s] === 0);
    expect(open(0, 0)).toEqual([0, 1, 2, 3, 6]);
    expect(open(0, 1)).toEqual([0, 1, 2, 3, 6, 7]);
    expect(open(1, 0)).toEqual([2, 3, 6]);
    expect(open(1, 1)).toEqual([2, 3, 6, 7]);
    expect(bias.length).toBe(2 * 2 * width);
    expect(new Set(bias)).toEqual(new Set([0, MASKED]));
  });
});

describe("writeColumns", () => {
  it("transposes each (B, T, H·D) plane of new_key_values into columns [columns, columns+T) of (B, H, capacity, D)", () => {
    const shape = { names: ["past_key_values.0.key", "past_key_values.0.value"], heads: 2, headDim: 3 };
    const batch = 2;
    const seq = 2;
    const capacity = 5;
    const columns = 1;
    const tensors = Object.fromEntries(
      shape.names.map((n) => [n, new Float32Array(batch * 2 * capacity * 3)]),
    );
    const block = { tensors, capacity };
    // value = plane·1000 + b·100 + t·10 + h·3 + d, laid out (plane, B, T, H, D)
    const fresh = new Float32Array(2 * batch * seq * 2 * 3);
    let i = 0;
    for (let plane = 0; plane < 2; plane++)
      for (let b = 0; b < batch; b++)
        for (let t = 0; t < seq; t++)
          for (let h = 0; h < 2; h++)
            for (let d = 0; d < 3; d++) fresh[i++] = plane * 1000 + b * 100 + t * 10 + h * 3 + d;
    writeColumns(shape, block, columns, fresh, batch, seq);
    shape.names.forEach((name, plane) => {
      const dst = block.tensors[name] as Float32Array;
      for (let b = 0; b < batch; b++)
        for (let h = 0; h < 2; h++)
          for (let c = 0; c < capacity; c++)
            for (let d = 0; d < 3; d++) {
              const t = c - columns;
              const want = t >= 0 && t < seq ? plane * 1000 + b * 100 + t * 10 + h * 3 + d : 0;
              expect(dst[((b * 2 + h) * capacity + c) * 3 + d]).toBe(want);
            }
    });
    expect(() => writeColumns(shape, block, columns, fresh.subarray(1), batch, seq)).toThrow(/wrong size/);
  });
});
