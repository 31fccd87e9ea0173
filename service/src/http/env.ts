// Hono's context values for the app: every key a middleware sets is declared here, so `c.get`/`c.set`
// are type-checked. Security sets its own (the caller's key, the metered gateway) and declares them.
import type { GuardVariables } from "../security/env.js";
import type { RequestTrace } from "./request-trace.js";

export type AppVariables = {
  requestId: string;
  /** Set by the observability middleware on /v1/*. */
  trace?: RequestTrace;
} & GuardVariables;

export type AppEnv = { Variables: AppVariables };
