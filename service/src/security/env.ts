// What the guard puts on Hono's context; http's AppEnv declares these keys alongside its own.
import type { Gateway } from "../gateway/types.js";
import type { KeyRecord } from "./config.js";

export type GuardVariables = {
  /** The authenticated caller (set by the guard's `auth`). */
  apiKey?: KeyRecord;
  /** The gateway wrapped with this request's usage meter (set by the guard's `chat`). */
  chatGateway?: Gateway;
};

export type GuardEnv = { Variables: GuardVariables };
