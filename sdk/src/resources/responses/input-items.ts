// /v1/responses/{id}/input_items: the items a stored response was created with, a page at a time.
import type { APIPromise } from "../../core/api-promise.js";
import type { RequestOptions } from "../../core/transport.js";
import type { ResponseItemList, WithRequestId } from "../../types.js";
import { APIResource } from "../resource.js";

export interface InputItemListParams {
  /** An item id; the page starts after it. */
  after?: string;
  /** 1 to 100; default 20. */
  limit?: number;
  /** Default "desc" (newest first), as OpenAI's. */
  order?: "asc" | "desc";
}

export class InputItems extends APIResource {
  list(
    responseId: string,
    params: InputItemListParams = {},
    options?: RequestOptions,
  ): APIPromise<WithRequestId<ResponseItemList>> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value));
    const search = query.toString() ? `?${query}` : "";
    const path = `/responses/${encodeURIComponent(responseId)}/input_items${search}`;
    return this.client.request({ method: "GET", path, options });
  }
}
