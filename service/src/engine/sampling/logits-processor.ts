// The per-row seam for constraints that follow a row's own tokens (a grammar's token mask, say).
// A choice runs its processors on its logits after logit_bias and the penalties, before logprobs,
// temperature and truncation, and tells each one every token the row accepts. (A mask setting
// −Infinity gives the same result as one applied before bias and penalties: −∞ plus any bias, or
// scaled by any penalty, stays −∞.) One instance per
// choice: each row of the batch carries its own state.
export interface LogitsProcessor {
  /**
   * Awaited before each `process` when present: for state a runtime hands over asynchronously (the
   * grammar mask). Rows whose processors have none pay no await.
   */
  prepare?(): Promise<void>;
  /** Modifies this row's last-position logits in place (e.g. −Infinity for disallowed ids). */
  process(logits: Float32Array): void;
  /** The token the row accepted (after `process` led to it); not called for an end-of-turn id. */
  accept?(id: number): void;
}

/** Builds choice `index`'s processors when its row starts. */
export type LogitsProcessorFactory = (index: number) => LogitsProcessor[];
