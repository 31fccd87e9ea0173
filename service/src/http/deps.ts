// What createApp needs. Entries (worker.ts, node.ts) build these from env/bindings; tests pass fakes.
import type { Gateway } from "../gateway/types.js";
import type { ResponseStore } from "../responses/index.js";
import type { Guard } from "../security/guard.js";
import type { ObservabilityOptions } from "./observability.js";

export interface Limits {
  /** Largest accepted request body; larger → 413. */
  maxBodyBytes: number;
  /**
   * How long a stream waits for the gateway's first chunk before committing 200. Failures inside the
   * window (model down, context too long) still get a real HTTP status; after it, the client gets
   * headers and keep-alive comments, and a later failure arrives as `data: {"error": …}`.
   */
  firstChunkWindowMs: number;
  /** Interval of `: keep-alive` comments while a committed stream waits for its next chunk. */
  heartbeatMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1_000_000,
  firstChunkWindowMs: 2_000,
  heartbeatMs: 10_000,
};

/**
 * Where /docs loads the API reference renderer (@scalar/api-reference's standalone build) from: the
 * Worker serves it from its assets (public/generated/, written by `npm run build:playground`), the
 * Node servers from node_modules (server/docs-script.ts).
 */
export const DOCS_SCRIPT_PATH = "/generated/scalar-api-reference.js";

export interface Ids {
  requestId(): string;
}

export interface AppDeps {
  gateway: Gateway;
  limits?: Partial<Limits>;
  ids?: Ids;
  /**
   * Hashed keys, per-key rate limits, request limits, usage and /admin (service/src/security): the
   * one auth system of the Worker, the Node gateway and the backend server. Absent = no auth (tests).
   */
  guard?: Guard;
  /** Stored responses for /v1/responses (a Durable Object per key on Workers, SQLite on Node); absent = no Responses API. */
  responses?: ResponseStore;
  /** Logs unexpected (500) errors; defaults to console.error. */
  logError?: (err: unknown, requestId: string) => void;
  /** Request records (JSON log lines, metrics) and Server-Timing on /v1/*; no log sink by default. */
  observability?: ObservabilityOptions;
}

// 96 random bits as 24 hex digits. randomUUID draws from an entropy pool the runtime refills in bulk;
// getRandomValues per request was a syscall-sized share of a request's CPU on Node.
export const defaultIds: Ids = {
  requestId: () => {
    const uuid = crypto.randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: skip the fixed version digit
    return `req_${uuid.slice(0, 8)}${uuid.slice(9, 13)}${uuid.slice(15, 18)}${uuid.slice(24, 33)}`;
  },
};
