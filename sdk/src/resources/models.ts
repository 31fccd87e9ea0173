// /v1/models: the models this deployment serves.
import type { APIPromise } from "../core/api-promise.js";
import type { RequestOptions } from "../core/transport.js";
import type { Model, ModelList, WithRequestId } from "../types.js";
import { APIResource } from "./resource.js";

export class Models extends APIResource {
  list(options?: RequestOptions): APIPromise<WithRequestId<ModelList>> {
    return this.client.request({ method: "GET", path: "/models", options });
  }

  /** Throws NotFoundError when the deployment does not serve `model`. */
  retrieve(model: string, options?: RequestOptions): APIPromise<WithRequestId<Model>> {
    return this.client.request({ method: "GET", path: `/models/${encodeURIComponent(model)}`, options });
  }
}
