// What the guard puts on Hono's context; http's AppEnv declares these keys alongside its own.
import type { Gateway } from "../gateway/types.js";
import type { KeyRecord } from "./config.js";

export type GuardVariables = {
  /** The authenticated caller (set by the guard's `auth`). */
  apiKey?: KeyRecord;
  /** The gateway wrapped with this request's usage meter (set by the guard's `chat`). */
  chatGateway?: Gateway;
  /**
   * The request body as the guard parsed it (`ok: false`: not JSON), so the route parses it only
   * once; the route still validates it and answers invalid JSON with its 400.
   */
  requestJson?: ParsedJson;
};

export type ParsedJson = { ok: true; value: unknown } | { ok: false };

export type GuardEnv = { Variables: GuardVariables };
