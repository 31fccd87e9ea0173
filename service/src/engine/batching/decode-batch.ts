// The rows that share decode steps and the one left-padded KV block they run from. Rows join after
// their prefill (their cache still compact, outside the block) and leave when done or cancelled; the
// block is rebuilt from every row's current cache only before a step that follows such a change.
import type { Row } from "./batch-request.js";
import type { BatchRunner } from "./batch-runner.js";
import type { KvBlock } from "./kv-pack.js";

export class DecodeBatch {
  rows: Row[] = [];
  private block: KvBlock;
  private columns = 0;
  private packed = true;

  constructor(private readonly runner: BatchRunner) {
    this.block = runner.empty();
  }

  add(rows: readonly Row[]): void {
    this.rows.push(...rows);
    this.packed = false;
  }

  /** Drops the rows `leaves` picks; an empty batch gives its block back. */
  remove(leaves: (row: Row) => boolean): void {
    const kept = this.rows.filter((row) => !leaves(row));
    if (kept.length !== this.rows.length) this.packed = false;
    this.rows = kept;
    if (this.rows.length === 0) this.clear();
  }

  clear(): void {
    this.rows = [];
    this.block = this.runner.empty();
    this.columns = 0;
    this.packed = true;
  }

  /** ONE session run for every row (the block repacked first if rows joined or left); lengths advance. */
  async step(): Promise<Float32Array[]> {
    if (!this.packed) this.pack();
    const out = await this.runner.decode(
      this.block,
      this.columns,
      this.rows.map((r) => ({ id: r.next.id, length: r.length })),
    );
    this.block = out.block;
    this.columns = out.columns;
    for (const row of this.rows) row.length++;
    return out.logits;
  }

  /** One row's step from its own slice of the block (finding the row a failed batch step failed on). */
  async stepAlone(row: Row): Promise<Float32Array> {
    const own = this.runner.pack([this.sourceOf(row)]);
    const step = await this.runner.prefillChunk([row.next.id], {
      block: own.block,
      batchIndex: 0,
      columns: own.columns,
      length: row.length,
    });
    row.compact = step.kv;
    row.length++;
    this.packed = false;
    return step.logits;
  }

  /** Rebuilds the left-padded block from the current rows (after joins or leaves). */
  private pack(): void {
    const packed = this.runner.pack(this.rows.map((row) => this.sourceOf(row)));
    this.block = packed.block;
    this.columns = packed.columns;
    this.rows.forEach((row, b) => {
      row.slot = b;
      row.compact = undefined;
    });
    this.packed = true;
  }

  private sourceOf(row: Row) {
    return (
      row.compact ?? { block: this.block, batchIndex: row.slot, columns: this.columns, length: row.length }
    );
  }
}
