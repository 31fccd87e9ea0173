// /v1/responses: create (JSON or a stream of typed events), retrieve and delete stored responses,
// and their input items. Returned responses carry `output_text`, as openai-node's do.
import type { Petrel } from "../../client.js";
import type { APIPromise } from "../../core/api-promise.js";
import type { RequestOptions } from "../../core/transport.js";
import { ResponseStream, withOutputText } from "../../lib/response-stream.js";
import type {
  Response,
  ResponseCreateParams,
  ResponseCreateParamsNonStreaming,
  ResponseCreateParamsStreaming,
  ResponseDeleted,
  WithRequestId,
} from "../../types.js";
import { APIResource } from "../resource.js";
import { InputItems } from "./input-items.js";

type WireResponse = Omit<Response, "output_text">;

export class Responses extends APIResource {
  readonly inputItems: InputItems;

  constructor(client: Petrel) {
    super(client);
    this.inputItems = new InputItems(client);
  }

  create(
    params: ResponseCreateParamsNonStreaming,
    options?: RequestOptions,
  ): APIPromise<WithRequestId<Response>>;
  create(params: ResponseCreateParamsStreaming, options?: RequestOptions): APIPromise<ResponseStream>;
  create(
    params: ResponseCreateParams,
    options?: RequestOptions,
  ): APIPromise<WithRequestId<Response> | ResponseStream>;
  create(
    params: ResponseCreateParams,
    options?: RequestOptions,
  ): APIPromise<WithRequestId<Response> | ResponseStream> {
    const request = { method: "POST" as const, path: "/responses", body: params, options };
    if (params.stream) {
      return this.client.requestWith({ ...request, stream: true }, async ({ response, controller }) => {
        return new ResponseStream(response, controller);
      });
    }
    return this.#withText(this.client.request<WireResponse>(request));
  }

  /** `create({ ...params, stream: true })`: iterate the events, then `finalResponse()`. */
  stream(params: Omit<ResponseCreateParams, "stream">, options?: RequestOptions): APIPromise<ResponseStream> {
    return this.create({ ...params, stream: true }, options);
  }

  /** A stored response of this key; NotFoundError for an unknown id (or another key's). */
  retrieve(responseId: string, options?: RequestOptions): APIPromise<WithRequestId<Response>> {
    const path = `/responses/${encodeURIComponent(responseId)}`;
    return this.#withText(this.client.request<WireResponse>({ method: "GET", path, options }));
  }

  delete(responseId: string, options?: RequestOptions): APIPromise<WithRequestId<ResponseDeleted>> {
    const path = `/responses/${encodeURIComponent(responseId)}`;
    return this.client.request({ method: "DELETE", path, options });
  }

  #withText(promise: APIPromise<WireResponse>): APIPromise<WithRequestId<Response>> {
    return promise.map((body) => {
      const response: WithRequestId<Response> = withOutputText(body);
      // Keeps the request id the transport attached (not enumerable, like the original's).
      Object.defineProperty(response, "_request_id", {
        value: (body as WithRequestId<WireResponse>)._request_id,
        enumerable: false,
      });
      return response;
    });
  }
}
