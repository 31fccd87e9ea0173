// What `responses.create({ stream: true })` and `responses.stream()` return: the typed events of a
// Responses stream (`event: <type>` SSE, no `[DONE]`), iterable once, and the final response object
// they end with — completed, incomplete or failed — with `output_text`.
import { APIError, PetrelError } from "../core/errors.js";
import { decodeSSE } from "../core/sse-decoder.js";
import type { Response as PetrelResponse, ResponseStreamEvent } from "../types.js";
import { CollectingStream } from "./collecting-stream.js";

type WireResponse = Omit<PetrelResponse, "output_text">;

const FINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** `output_text`: the text of every output message, in order (what openai-node computes too). */
export function withOutputText(response: WireResponse): PetrelResponse {
  const texts = response.output.flatMap((item) =>
    item.type === "message" ? item.content.map((part) => part.text) : [],
  );
  return { ...response, output_text: texts.join("") };
}

/** Parsed events from a Responses SSE body; an `error` event is thrown as an APIError. */
export async function* responseEvents(response: Response): AsyncGenerator<ResponseStreamEvent> {
  if (!response.body) throw new PetrelError("The streaming response has no body.");
  for await (const sse of decodeSSE(response.body)) {
    if (sse.data === "") continue;
    let event: ResponseStreamEvent;
    try {
      event = JSON.parse(sse.data) as ResponseStreamEvent;
    } catch {
      throw new PetrelError(`Could not parse a stream event as JSON: ${sse.data.slice(0, 200)}`);
    }
    if (event.type === "error")
      throw APIError.generate(undefined, { error: event }, undefined, response.headers);
    yield event;
  }
}

export class ResponseStream extends CollectingStream<ResponseStreamEvent, PetrelResponse> {
  #final: WireResponse | undefined;

  constructor(response: Response, controller: AbortController) {
    super(() => responseEvents(response), controller, response);
  }

  protected override onItem(event: ResponseStreamEvent): void {
    if (FINAL.has(event.type) && "response" in event) this.#final = event.response;
  }

  protected override build(): PetrelResponse {
    if (!this.#final) throw new PetrelError("The stream ended before the response did.");
    return withOutputText(this.#final);
  }

  /**
   * The response the stream ended with (status completed, incomplete or failed), with `output_text`.
   * Reads the stream to its end unless a loop is already reading it; rejects with APIUserAbortError
   * when the stream was aborted or left early.
   */
  finalResponse(): Promise<PetrelResponse> {
    return this.final();
  }

  /** `output_text` of the final response. */
  async finalText(): Promise<string> {
    return (await this.finalResponse()).output_text;
  }
}
