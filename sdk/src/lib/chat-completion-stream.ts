// The stream `chat.completions.create({ stream: true })` returns: a Stream of chunks that also
// collects them, so callers can iterate and still ask for the whole message at the end.
import { PetrelError } from "../core/errors.js";
import { itemsFromSSE, Stream } from "../core/stream.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  CompletionUsage,
} from "../types.js";
import { ChatCompletionAccumulator } from "./chat-completion-accumulator.js";

export class ChatCompletionStream extends Stream<ChatCompletionChunk> {
  #accumulator = new ChatCompletionAccumulator();
  #started = false;
  #final: Promise<ChatCompletion>;
  #settle!: (result: { ok: true; value: ChatCompletion } | { ok: false; error: unknown }) => void;

  constructor(response: Response, controller: AbortController) {
    super(() => itemsFromSSE<ChatCompletionChunk>(response), controller, response);
    this.#final = new Promise<ChatCompletion>((resolve, reject) => {
      this.#settle = (result) => (result.ok ? resolve(result.value) : reject(result.error));
    });
    // Nobody may ever ask for the final completion; its rejection must not become "unhandled".
    this.#final.catch(() => {});
  }

  override [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    this.#started = true;
    return super[Symbol.asyncIterator]();
  }

  protected override onItem(chunk: ChatCompletionChunk): void {
    this.#accumulator.add(chunk);
  }

  protected override onEnd(error: unknown): void {
    if (error !== undefined) {
      this.#settle({ ok: false, error });
      return;
    }
    try {
      this.#settle({ ok: true, value: this.#accumulator.build() });
    } catch (buildError) {
      this.#settle({ ok: false, error: buildError });
    }
  }

  /**
   * The completion assembled from every chunk, usage included when the request set
   * `stream_options.include_usage`. Reads the stream to its end unless a loop is already reading it;
   * rejects with APIUserAbortError when the stream was aborted or left early.
   */
  async finalChatCompletion(): Promise<ChatCompletion> {
    if (!this.#started) {
      for await (const _ of this) {
        // Draining; onItem collects.
      }
    }
    return this.#final;
  }

  /** The assistant message of the first choice. */
  async finalMessage(): Promise<ChatCompletionMessage> {
    const completion = await this.finalChatCompletion();
    const choice = completion.choices[0];
    if (!choice) throw new PetrelError("The completion has no choices.");
    return choice.message;
  }

  /** The text of the first choice (null when it produced none). */
  async finalContent(): Promise<string | null> {
    return (await this.finalMessage()).content;
  }

  /** Token counts, when the server sent a usage chunk. */
  async totalUsage(): Promise<CompletionUsage | undefined> {
    return (await this.finalChatCompletion()).usage;
  }
}
