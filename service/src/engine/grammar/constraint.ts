// One choice's grammar state: before each pick the scheduler awaits `prepare()` (the runtime hands the
// mask over asynchronously), `process` masks the logits before anything else touches them, and
// `accept` moves the matcher past the token the choice took. A row without a grammar has none of this.
import { applyTokenMask } from "../sampling/token-mask.js";
import type { TokenMatcher } from "./types.js";

export class GrammarConstraint {
  private mask: Int32Array | undefined;
  private disposed = false;

  constructor(private readonly matcher: TokenMatcher) {}

  /** Fetches the allowed tokens for the next pick (the state after every accepted token). */
  async prepare(): Promise<void> {
    this.mask = await this.matcher.nextTokenBitmask();
  }

  /** Sets disallowed tokens to −Infinity; the mask is used once. */
  process(logits: Float32Array): void {
    const mask = this.mask;
    if (!mask) throw new Error("grammar mask not prepared before the pick");
    this.mask = undefined;
    applyTokenMask(logits, mask);
  }

  accept(id: number): void {
    if (!this.matcher.acceptToken(id)) throw new Error(`token ${id} breaks the grammar it was masked by`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.matcher.dispose();
  }
}
