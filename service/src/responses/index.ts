// The Responses API's translation and state, free of HTTP: requests → chat requests, chat chunks →
// Responses events, and the response store (SQLite on both runtimes).
export { ResponseBuilder, toResponseUsage } from "./builder.js";
export { DEFAULT_RETENTION_DAYS, ResponsesConfigError, retentionMs } from "./config.js";
export { type IdPrefix, type NewId, randomId } from "./ids.js";
export { checkCallOutputs, referencedIds, toStoredItems } from "./input-items.js";
export { initialResponse } from "./response-object.js";
export {
  localResponseStore,
  type Sql,
  SqlResponseStore,
  type SqlStoreOptions,
  type SqlValue,
} from "./sql-store.js";
export {
  durableObjectResponseStore,
  ResponseStoreDO,
  type ResponseStoreNamespaceLike,
  type ResponseStoreStateLike,
  workerResponseStore,
} from "./store-do.js";
export { itemsToMessages, toChatRequest } from "./to-chat.js";
export { dropOldestTurn } from "./truncation.js";
export type * from "./types.js";
