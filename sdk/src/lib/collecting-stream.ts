// A Stream that also builds one final value from what went through it (the completion from chunks,
// the last answer of a tool loop), so callers can iterate and still ask for the whole at the end.
import { Stream } from "../core/stream.js";

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export abstract class CollectingStream<Item, Final> extends Stream<Item> {
  #started = false;
  #final: Promise<Final>;
  #settle!: (result: Settled<Final>) => void;

  constructor(...args: ConstructorParameters<typeof Stream<Item>>) {
    super(...args);
    this.#final = new Promise<Final>((resolve, reject) => {
      this.#settle = (result) => (result.ok ? resolve(result.value) : reject(result.error));
    });
    // Nobody may ever ask for the final value; its rejection must not become "unhandled".
    this.#final.catch(() => {});
  }

  override [Symbol.asyncIterator](): AsyncIterator<Item> {
    this.#started = true;
    return super[Symbol.asyncIterator]();
  }

  /** The final value, once the stream ended cleanly; throws to reject it. */
  protected abstract build(): Final;

  protected override onEnd(error: unknown): void {
    if (error !== undefined) {
      this.#settle({ ok: false, error });
      return;
    }
    try {
      this.#settle({ ok: true, value: this.build() });
    } catch (buildError) {
      this.#settle({ ok: false, error: buildError });
    }
  }

  /**
   * Reads the stream to its end unless a loop is already reading it; rejects with what ended it,
   * APIUserAbortError after an abort or when the loop left early.
   */
  protected async final(): Promise<Final> {
    if (!this.#started) {
      for await (const _ of this) {
        // Draining; subclasses collect in onItem.
      }
    }
    return this.#final;
  }
}
