// Iteration-level (continuous) batching: one scheduler serves every request of an engine. Each
// iteration admits waiting requests in arrival order (within the row and KV caps), runs one prompt
// chunk, lets every row accept its pending token, then runs ONE decode step over all active rows —
// unless the chunk finished a prompt or more prompts are waiting, and the prefill budget between
// two decode steps is not spent: then the iteration ends there, so a first token is sent before
// anything else runs. Requests join and leave only at these step boundaries.
//
// There is no background loop: a reader that finds its stream empty runs the next iteration (or
// waits for the one running), so steps happen while someone is waiting for them, inside that
// reader's own request (on a Worker, work that outlives the request that started it is cancelled).
import type { ChoiceDeps, ResolvedParams } from "../choice.js";
import type { GenerateEvent } from "../types.js";
import { BatchRequest, type Row } from "./batch-request.js";
import type { BatchRunner } from "./batch-runner.js";
import { DecodeBatch } from "./decode-batch.js";
import { nextTurn } from "./next-turn.js";

export interface BatchingOptions {
  /** Rows (choices) decoded together per step; default 8; 1 = one request at a time. */
  maxBatchSize?: number;
  /** Cap on KV positions reserved by admitted requests, Σ n·(prompt + max_tokens); default 8 contexts. */
  maxKvTokens?: number;
  /** Prompt tokens read between two decode steps, in chunks of this size; default 32. */
  prefillChunk?: number;
  /**
   * Most tokens a stream gathers per delivery while other rows share the steps: with R rows its
   * reader is handed deltas every min(streamInterval, ⌊R/2⌋) tokens — the first delta, finishes and
   * ends at once. Fewer, larger deliveries where each costs the host more than a decode step's share
   * (a Worker's SSE write); default 1 = every token as it comes.
   */
  streamInterval?: number;
}

export class BatchScheduler {
  readonly maxBatchSize: number;
  private readonly maxKvTokens: number;
  private readonly prefillChunk: number;
  private readonly streamInterval: number;
  private readonly waiting: BatchRequest[] = [];
  private readonly admitted: BatchRequest[] = [];
  private readonly batch: DecodeBatch;
  private iteration: Promise<void> | undefined;
  /** Prompt tokens still allowed before the next decode step (prefillChunk after every step). */
  private budget: number;

  constructor(
    private readonly runner: BatchRunner,
    private readonly deps: ChoiceDeps,
    private readonly contextLength: number,
    options: BatchingOptions = {},
  ) {
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 8);
    this.maxKvTokens = options.maxKvTokens ?? this.maxBatchSize * contextLength;
    this.prefillChunk = Math.max(1, options.prefillChunk ?? 32);
    this.streamInterval = Math.max(1, options.streamInterval ?? 1);
    this.batch = new DecodeBatch(runner);
    this.budget = this.prefillChunk;
  }

  load(): { queued: number; active: number; capacity: number } {
    return { queued: this.waiting.length, active: this.admitted.length, capacity: this.maxBatchSize };
  }

  /** Joins the batch on first pull; leaving the loop early (break, abort) drops only this request. */
  async *generate(
    promptIds: readonly number[],
    params: ResolvedParams,
    signal?: AbortSignal,
  ): AsyncGenerator<GenerateEvent> {
    signal?.throwIfAborted();
    if (promptIds.length === 0) throw new Error("a prompt needs at least one token");
    const request = new BatchRequest(promptIds, params, signal);
    const onAbort = () => this.cancel(request, signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.waiting.push(request);
    try {
      yield* request.channel.drain(async () => {
        const { channel } = request;
        // Before it starts an iteration, a reader lets the host's event loop turn once, on a timer of
        // its own request (on a Worker, a timer set by a request that has ended never fires, so the
        // shared iteration must not wait on one): onnxruntime-web's runs never leave the microtask
        // queue, and without the turn a reader that always has events would chain iterations with no
        // I/O between them, so requests arriving meanwhile would not be read. It wakes at once if an
        // iteration run by another reader brings it events meanwhile.
        if (!this.iteration) await Promise.race([nextTurn(), channel.changed()]);
        if (channel.ready || channel.closed) return;
        // back as soon as this request has events or is cancelled, even mid-iteration
        await Promise.race([this.pump(), channel.changed()]);
      });
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (!request.channel.closed) this.cancel(request, undefined);
    }
  }

  /** Ends the request's stream now; its rows leave the block at the next step boundary. */
  private cancel(request: BatchRequest, reason: unknown): void {
    request.cancelled = true;
    if (reason !== undefined) request.channel.fail(reason);
    else request.channel.end();
    // out of the queue and the load report at once, not only at the next sweep
    for (const list of [this.waiting, this.admitted]) {
      const at = list.indexOf(request);
      if (at >= 0) list.splice(at, 1);
    }
  }

  /** Runs one iteration, or joins the one already running. */
  private pump(): Promise<void> {
    this.iteration ??= this.iterate()
      .catch((error) => this.failAll(error))
      .finally(() => {
        this.iteration = undefined;
      });
    return this.iteration;
  }

  private async iterate(): Promise<void> {
    this.sweep();
    this.admit();
    const started = await this.prefill();
    this.acceptPending();
    // A first token just accepted, or prompts still waiting, and budget left: end here, so the first
    // token is written (readers turn the event loop before the next iteration) before the next run.
    if (this.budget > 0 && (started || this.nextToPrefill())) return;
    this.budget = this.prefillChunk;
    if (this.batch.rows.length > 0) await this.decode();
  }

  /** Drops cancelled requests wherever they are; their rows leave the block at this boundary. */
  private sweep(): void {
    const gone = (r: BatchRequest) => r.cancelled || r.channel.closed;
    for (const list of [this.waiting, this.admitted]) {
      for (let i = list.length - 1; i >= 0; i--) if (gone(list[i] as BatchRequest)) list.splice(i, 1);
    }
    this.batch.remove((row) => gone(row.request));
  }

  /** Strict FIFO: the head waits until it fits, and nobody behind it overtakes (no starvation). */
  private admit(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0] as BatchRequest;
      const rows = this.admitted.reduce((sum, r) => sum + r.params.n, 0);
      const kv = this.admitted.reduce((sum, r) => sum + r.reservedKv, 0);
      const fits = rows + head.params.n <= this.maxBatchSize && kv + head.reservedKv <= this.maxKvTokens;
      // an oversized request still runs, alone, rather than never
      if (!fits && this.admitted.length > 0) return;
      this.admitted.push(head);
      this.waiting.shift();
    }
  }

  /** The oldest admitted request whose prompt is not read yet. */
  private nextToPrefill(): BatchRequest | undefined {
    return this.admitted.find((r) => !r.prefillDone && !r.cancelled);
  }

  /**
   * Runs one chunk of the oldest unread prompt, if the budget between two decode steps allows; a
   * finished prompt becomes rows. Whole chunks only, so a prompt's chunks start at the same
   * multiples of prefillChunk whoever else is waiting: its first logits are the same alone or in
   * company (an int8 model's activation scales are per run). The last chunk may overrun the budget.
   * Returns whether a prompt was finished (its rows started).
   */
  private async prefill(): Promise<boolean> {
    const request = this.nextToPrefill();
    if (!request || this.budget <= 0) return false;
    const take = Math.min(this.prefillChunk, request.promptIds.length - request.prefilled);
    this.budget -= take;
    const ids = request.promptIds.slice(request.prefilled, request.prefilled + take);
    try {
      const out = await this.runner.prefillChunk(ids, request.kv);
      request.kv = out.kv;
      request.prefilled += take;
      if (request.prefillDone && !request.cancelled) {
        this.batch.add(await request.startRows(out.logits, this.deps));
        return true;
      }
    } catch (error) {
      this.fail(request, error);
    }
    return false;
  }

  /** Every row accepts the token picked since it last did: events out, finished choices leave. */
  private acceptPending(): void {
    for (const row of this.batch.rows) {
      const { request, choice } = row;
      if (request.cancelled || !row.pending) continue;
      row.pending = false;
      try {
        const events = choice.accept(row.next.id, row.next.logprob, this.contextLength - (row.length + 1));
        if (events.length === 0) continue;
        request.channel.push(events);
      } catch (error) {
        this.fail(request, error);
      }
    }
    this.batch.remove((row) => row.request.cancelled || row.choice.finishReason !== undefined);
    const interval = Math.max(1, Math.min(this.streamInterval, Math.floor(this.batch.rows.length / 2)));
    for (let i = this.admitted.length - 1; i >= 0; i--) {
      const request = this.admitted[i] as BatchRequest;
      request.channel.interval = interval;
      if (request.prefillDone && request.finishIfDone()) this.admitted.splice(i, 1);
    }
  }

  /** ONE session run for every active row; a failed batch is retried row by row to find the culprit. */
  private async decode(): Promise<void> {
    const rows = this.batch.rows;
    let logits: Float32Array[];
    try {
      logits = await this.batch.step();
    } catch (error) {
      if (rows.length === 1) this.fail((rows[0] as Row).request, error);
      else await this.isolate(rows);
      return;
    }
    if (rows.some((row) => row.choice.needsPrepare)) await this.prepare(rows);
    rows.forEach((row, b) => {
      this.pick(row, logits[b] as Float32Array);
    });
  }

  /** Constrained rows fetch their masks (all before any pick; unconstrained rows are skipped). */
  private async prepare(rows: readonly Row[]): Promise<void> {
    for (const row of rows) {
      if (!row.choice.needsPrepare || row.request.cancelled) continue;
      try {
        await row.choice.prepare();
      } catch (error) {
        this.fail(row.request, error);
      }
    }
  }

  /** Each row steps alone from its own slice of the block; only rows that fail alone are failed. */
  private async isolate(rows: readonly Row[]): Promise<void> {
    for (const row of rows) {
      try {
        const logits = await this.batch.stepAlone(row);
        if (row.choice.needsPrepare) await row.choice.prepare();
        this.pick(row, logits);
      } catch (error) {
        this.fail(row.request, error);
      }
    }
    this.batch.remove((row) => row.request.cancelled);
  }

  private pick(row: Row, logits: Float32Array): void {
    if (row.request.cancelled) return;
    try {
      row.next = row.choice.pick(logits);
      row.pending = true;
    } catch (error) {
      this.fail(row.request, error);
    }
  }

  /** A fault of the loop itself (not of one request): everyone admitted gets it; the queue goes on. */
  private failAll(error: unknown): void {
    for (const request of this.admitted) request.channel.fail(error);
    this.admitted.length = 0;
    this.batch.clear();
  }

  private fail(request: BatchRequest, error: unknown): void {
    request.cancelled = true;
    request.channel.fail(error);
    const at = this.admitted.indexOf(request);
    if (at >= 0) this.admitted.splice(at, 1);
  }
}
