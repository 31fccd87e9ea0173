// Wire names for the Responses API (all from the contract) and the few internal shapes around them.
import type { components } from "../generated/openapi.js";

type Schemas = components["schemas"];

export type CreateResponseRequest = Schemas["ResponseCreateRequest"];
export type ResponseObject = Schemas["Response"];
export type InputItem = Schemas["ResponseInputItem"];
export type InputMessage = Schemas["ResponseInputMessage"];
export type ContentPart = Schemas["ResponseContentPart"];
export type OutputItem = Schemas["ResponseOutputItem"];
export type OutputMessage = Schemas["ResponseOutputMessage"];
export type FunctionCall = Schemas["ResponseFunctionCall"];
/** A stored item: what `input_items` lists and what a chain replays. */
export type StoredItem = Schemas["ResponseItem"];
export type MessageItem = Schemas["ResponseMessageItem"];
export type ItemList = Schemas["ResponseItemList"];
export type StreamEvent = Schemas["ResponseStreamEvent"];
export type ResponseUsage = Schemas["ResponseUsage"];

/** One stored response: the object as returned, and the input items it was created with. */
export interface StoredResponse {
  response: ResponseObject;
  inputItems: StoredItem[];
}

export interface ItemPageQuery {
  after?: string;
  limit: number;
  order: "asc" | "desc";
}

export interface ItemPage {
  data: StoredItem[];
  hasMore: boolean;
}

/**
 * Where responses live: a Durable Object per key on Workers, SQLite on Node. Every call names the
 * owner (the API key's id); another owner's response is indistinguishable from one that never existed.
 */
export interface ResponseStore {
  save(owner: string, record: StoredResponse): Promise<void>;
  get(owner: string, id: string): Promise<ResponseObject | undefined>;
  /** The chain that ends at `id` (following previous_response_id), oldest first; undefined if `id` is unknown. */
  chain(owner: string, id: string): Promise<StoredResponse[] | undefined>;
  /** Stored items (input or output) of this owner by item id; unknown ids are absent from the map. */
  items(owner: string, ids: string[]): Promise<Map<string, StoredItem>>;
  inputItems(owner: string, id: string, query: ItemPageQuery): Promise<ItemPage | undefined>;
  /** True when something was deleted. */
  delete(owner: string, id: string): Promise<boolean>;
}
