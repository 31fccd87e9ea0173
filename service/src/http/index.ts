// The HTTP layer's public surface: entries import createApp and the deps types from here.
export { type AppEnv, createApp } from "./app.js";
export { type AppDeps, DEFAULT_LIMITS, type Ids, type Limits } from "./deps.js";
export { ApiError } from "./errors.js";
export { jsonLineLog, type ObservabilityOptions, type Outcome, type RequestRecord } from "./observability.js";
