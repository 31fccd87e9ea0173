// The HTTP layer's public surface: entries import createApp and the deps types from here.

export { ApiError } from "../protocol/errors.js";
export { createApp } from "./app.js";
export { type AppDeps, DEFAULT_LIMITS, DOCS_SCRIPT_PATH, type Ids, type Limits } from "./deps.js";
export type { AppEnv } from "./env.js";
export { errorJson } from "./errors.js";
export { batchedLog, type LogBatch, type LogBatchOptions } from "./log-batch.js";
export { jsonLineLog, type ObservabilityOptions, type Outcome, type RequestRecord } from "./observability.js";
