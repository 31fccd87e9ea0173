import type { Petrel } from "../client.js";

/** A group of endpoints under one path; holds the client that sends for it. */
export abstract class APIResource {
  protected readonly client: Petrel;
  constructor(client: Petrel) {
    this.client = client;
  }
}
