// The state of one choice (of n) during generation: its PRNG stream, penalty counts, incremental
// detokenizer and stop-string holdback. It turns logits into a token and a token into events.
import { type Detokenizer, IncrementalDetokenizer } from "./detokenizer.js";
import type { LogitsProcessor, LogitsProcessorFactory } from "./sampling/logits-processor.js";
import { type TokenDescriber, tokenLogprob } from "./sampling/logprobs.js";
import { Xoshiro128 } from "./sampling/prng.js";
import {
  applyLogitBias,
  applyPresenceFrequency,
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
} from "./sampling/processors.js";
import { sampleToken } from "./sampling/sampler.js";
import { StopStringMatcher } from "./stop-strings.js";
import type { FinishReason, GenerateEvent, TokenLogprob } from "./types.js";

const GREEDY_BELOW_TEMPERATURE = 1e-5;

/** Parameters after defaults and validation. */
export interface ResolvedParams {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
  logitBias?: Record<number, number>;
  stop: string[];
  seed: number;
  n: number;
  logprobs: boolean;
  topLogprobs: number;
  /** Per-row processors (batching/README.md, "Per-row parameters"); none by default. */
  logitsProcessors?: LogitsProcessorFactory;
}

export interface ChoiceDeps {
  decode: (ids: number[]) => string;
  /** A streaming detokenizer per choice where the tokenizer allows one; else a window over `decode`. */
  detokenizer?: () => Detokenizer;
  describe: TokenDescriber;
  eosIds: ReadonlySet<number>;
}

export class Choice {
  finishReason: FinishReason | undefined;
  completionTokens = 0;
  private readonly rng: Xoshiro128;
  private readonly seen: Set<number>;
  private readonly counts = new Map<number, number>();
  private readonly detokenizer: Detokenizer;
  private readonly stops: StopStringMatcher;
  private readonly processors: LogitsProcessor[];
  /** Whether a processor needs `prepare()` awaited before each pick (a grammar's mask). */
  readonly needsPrepare: boolean;
  private pendingIds: number[] = [];
  private pendingLogprobs: TokenLogprob[] = [];

  constructor(
    readonly index: number,
    promptIds: readonly number[],
    private readonly params: ResolvedParams,
    private readonly deps: ChoiceDeps,
  ) {
    this.rng = new Xoshiro128(params.seed, index);
    this.seen = new Set(promptIds);
    this.detokenizer = deps.detokenizer?.() ?? new IncrementalDetokenizer(deps.decode);
    this.stops = new StopStringMatcher(params.stop);
    this.processors = params.logitsProcessors?.(index) ?? [];
    this.needsPrepare = this.processors.some((p) => p.prepare !== undefined);
  }

  /** Lets processors fetch their state for the next pick; only where `needsPrepare`. */
  async prepare(): Promise<void> {
    for (const processor of this.processors) await processor.prepare?.();
  }

  /** Chooses the next token from the last position's logits (modified in place). */
  pick(logits: Float32Array): { id: number; logprob?: TokenLogprob } {
    const p = this.params;
    applyLogitBias(logits, p.logitBias);
    applyRepetitionPenalty(logits, this.seen, p.repetitionPenalty);
    applyPresenceFrequency(logits, this.counts, p.presencePenalty, p.frequencyPenalty);
    for (const processor of this.processors) processor.process(logits);
    // logprobs describe the distribution before temperature and truncation (see logprobs.ts)
    const describe = (id: number) =>
      p.logprobs ? tokenLogprob(logits, id, p.topLogprobs, this.deps.describe) : undefined;
    // Below vLLM's sampling epsilon, logits/T overflows float32 to Infinity (then NaN): greedy, as in vLLM.
    if (p.temperature < GREEDY_BELOW_TEMPERATURE) {
      const id = argmax(logits);
      return { id, logprob: describe(id) };
    }
    const raw = p.logprobs ? logits.slice() : logits;
    applyTemperature(logits, p.temperature);
    const id = sampleToken(logits, { topK: p.topK, topP: p.topP, minP: p.minP }, this.rng);
    return { id, logprob: p.logprobs ? tokenLogprob(raw, id, p.topLogprobs, this.deps.describe) : undefined };
  }

  /** Records a chosen token; returns the events it completes and sets finishReason when done. */
  accept(id: number, logprob: TokenLogprob | undefined, contextLeft: number): GenerateEvent[] {
    this.completionTokens++;
    if (this.deps.eosIds.has(id)) return this.finishWithTail("stop", "");
    for (const processor of this.processors) processor.accept?.(id);
    this.seen.add(id);
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    this.pendingIds.push(id);
    if (logprob) this.pendingLogprobs.push(logprob);
    const scan = this.stops.push(this.detokenizer.push(id));
    if (scan.stopped) {
      this.pendingIds = [];
      this.pendingLogprobs = [];
      return this.finish("stop", scan.emit, true);
    }
    if (this.completionTokens >= this.params.maxTokens || contextLeft <= 0) {
      return this.finishWithTail("length", scan.emit);
    }
    return scan.emit ? [this.delta(scan.emit)] : [];
  }

  /** Ends the choice, releasing what the detokenizer still holds unless it completes a stop string. */
  private finishWithTail(reason: FinishReason, emitted: string): GenerateEvent[] {
    const tail = this.stops.push(this.detokenizer.flush());
    if (tail.stopped) return this.finish("stop", emitted + tail.emit, true);
    return this.finish(reason, emitted + tail.emit);
  }

  private finish(reason: FinishReason, text: string, matchedStop = false): GenerateEvent[] {
    this.finishReason = reason;
    const rest = matchedStop ? text : text + this.stops.flush();
    const events: GenerateEvent[] = [];
    if (rest || this.pendingIds.length > 0) events.push(this.delta(rest));
    events.push({ type: "finish", index: this.index, finishReason: reason });
    return events;
  }

  private delta(text: string): GenerateEvent {
    const event: GenerateEvent = { type: "delta", index: this.index, text, tokenIds: this.pendingIds };
    if (this.params.logprobs) event.logprobs = this.pendingLogprobs;
    this.pendingIds = [];
    this.pendingLogprobs = [];
    return event;
  }
}
