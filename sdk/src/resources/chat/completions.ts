// /v1/chat/completions: one call, JSON or a stream depending on `stream`; `parse()` adds structured
// output, checked. The tool loop built on it lives in the `@petrel/sdk/tools` entry.
import type { APIPromise } from "../../core/api-promise.js";
import type { RequestOptions } from "../../core/transport.js";
import { ChatCompletionStream } from "../../lib/chat-completion-stream.js";
import { type ParsedChatCompletion, type ParsedOutput, parseCompletion } from "../../lib/parse.js";
import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  WithRequestId,
} from "../../types.js";
import { APIResource } from "../resource.js";

export class Completions extends APIResource {
  create(
    params: ChatCompletionCreateParamsNonStreaming,
    options?: RequestOptions,
  ): APIPromise<WithRequestId<ChatCompletion>>;
  create(
    params: ChatCompletionCreateParamsStreaming,
    options?: RequestOptions,
  ): APIPromise<ChatCompletionStream>;
  create(
    params: ChatCompletionCreateParams,
    options?: RequestOptions,
  ): APIPromise<WithRequestId<ChatCompletion> | ChatCompletionStream>;
  create(
    params: ChatCompletionCreateParams,
    options?: RequestOptions,
  ): APIPromise<WithRequestId<ChatCompletion> | ChatCompletionStream> {
    const request = { method: "POST" as const, path: "/chat/completions", body: params, options };
    if (!params.stream) return this.client.request<WithRequestId<ChatCompletion>>(request);
    return this.client.requestWith({ ...request, stream: true }, async ({ response, controller }) => {
      return new ChatCompletionStream(response, controller);
    });
  }

  /**
   * `create({ ...params, stream: true })` with usage requested, so `finalChatCompletion()` and
   * `totalUsage()` report token counts.
   */
  stream(
    params: Omit<ChatCompletionCreateParams, "stream">,
    options?: RequestOptions,
  ): APIPromise<ChatCompletionStream> {
    const streamOptions = { include_usage: true, ...(params.stream_options ?? {}) };
    return this.create({ ...params, stream: true, stream_options: streamOptions }, options);
  }

  /**
   * A non-streamed completion with each choice's answer parsed into `message.parsed`: checked and
   * typed by the schema of a `responseFormat()` format. Throws StructuredOutputError when the answer
   * was cut off, is not JSON, or breaks the schema.
   */
  async parse<P extends ChatCompletionCreateParamsNonStreaming>(
    params: P,
    options?: RequestOptions,
  ): Promise<WithRequestId<ParsedChatCompletion<ParsedOutput<P>>>> {
    return parseCompletion(await this.create(params, options), params);
  }
}
