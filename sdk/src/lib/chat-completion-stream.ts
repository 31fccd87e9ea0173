// The stream `chat.completions.create({ stream: true })` returns: a Stream of chunks that also
// collects them, so callers can iterate and still ask for the whole message at the end.
import { PetrelError } from "../core/errors.js";
import { itemsFromSSE } from "../core/stream.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessage,
  CompletionUsage,
} from "../types.js";
import { ChatCompletionAccumulator } from "./chat-completion-accumulator.js";
import { CollectingStream } from "./collecting-stream.js";

export class ChatCompletionStream extends CollectingStream<ChatCompletionChunk, ChatCompletion> {
  #accumulator = new ChatCompletionAccumulator();

  constructor(response: Response, controller: AbortController) {
    super(() => itemsFromSSE<ChatCompletionChunk>(response), controller, response);
  }

  protected override onItem(chunk: ChatCompletionChunk): void {
    this.#accumulator.add(chunk);
  }

  protected override build(): ChatCompletion {
    return this.#accumulator.build();
  }

  /**
   * The completion assembled from every chunk, usage included when the request set
   * `stream_options.include_usage`. Reads the stream to its end unless a loop is already reading it;
   * rejects with APIUserAbortError when the stream was aborted or left early.
   */
  finalChatCompletion(): Promise<ChatCompletion> {
    return this.final();
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
