// One request inside the batch scheduler, and its rows (one per choice) once prefilled.
import { Choice, type ChoiceDeps, type ResolvedParams } from "../choice.js";
import type { TokenLogprob } from "../types.js";
import { EventChannel } from "./event-channel.js";
import type { KvSource } from "./kv-pack.js";

export interface Row {
  request: BatchRequest;
  choice: Choice;
  /** Valid cached positions; the pending token goes to this position. */
  length: number;
  next: { id: number; logprob?: TokenLogprob };
  /** `next` was picked and not yet accepted (sent); the row decodes only once it has been. */
  pending: boolean;
  /** Set while the row's cache is outside the packed block (just prefilled, or isolated). */
  compact?: KvSource;
  /** Row index in the packed block when `compact` is unset. */
  slot: number;
}

export class BatchRequest {
  readonly channel = new EventChannel();
  readonly rows: Row[] = [];
  readonly choices: Choice[] = [];
  /** Prompt tokens already run through the model. */
  prefilled = 0;
  kv: KvSource | undefined;
  cancelled = false;

  constructor(
    readonly promptIds: readonly number[],
    readonly params: ResolvedParams,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** KV positions this request may come to hold: its admission cost against maxKvTokens. */
  get reservedKv(): number {
    return this.params.n * (this.promptIds.length + this.params.maxTokens);
  }

  get prefillDone(): boolean {
    return this.prefilled >= this.promptIds.length;
  }

  /** Turns the finished prefill into n rows, each choice picking its first token. */
  async startRows(logits: Float32Array, deps: ChoiceDeps): Promise<Row[]> {
    const kv = this.kv;
    if (!kv) throw new Error("startRows before prefill");
    for (let index = 0; index < this.params.n; index++) {
      const choice = new Choice(index, this.promptIds, this.params, deps);
      this.choices.push(choice);
      // every choice modifies its logits, so all but the last get their own copy
      const own = index === this.params.n - 1 ? logits : logits.slice();
      if (choice.needsPrepare) await choice.prepare();
      const next = choice.pick(own);
      this.rows.push({
        request: this,
        choice,
        length: this.promptIds.length,
        next,
        pending: true,
        compact: kv,
        slot: -1,
      });
    }
    this.kv = undefined;
    return this.rows;
  }

  /** Pushes the usage event and ends the stream once every choice has finished. */
  finishIfDone(): boolean {
    if (this.choices.some((c) => c.finishReason === undefined)) return false;
    const completionTokens = this.choices.reduce((sum, c) => sum + c.completionTokens, 0);
    this.channel.push([{ type: "usage", usage: { promptTokens: this.promptIds.length, completionTokens } }]);
    this.channel.end();
    return true;
  }
}
