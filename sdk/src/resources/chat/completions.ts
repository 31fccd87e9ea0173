// /v1/chat/completions: one call, JSON or a stream depending on `stream`.
import type { APIPromise } from "../../core/api-promise.js";
import type { RequestOptions } from "../../core/transport.js";
import { ChatCompletionStream } from "../../lib/chat-completion-stream.js";
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
}
