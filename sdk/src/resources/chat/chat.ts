import type { Petrel } from "../../client.js";
import { APIResource } from "../resource.js";
import { Completions } from "./completions.js";

/** /v1/chat/… */
export class Chat extends APIResource {
  readonly completions: Completions;
  constructor(client: Petrel) {
    super(client);
    this.completions = new Completions(client);
  }
}
