// GET /metrics on the Node servers: who may scrape (loopback, or a bearer token elsewhere) in front of
// the registry that server/metrics.ts feeds.
import type { Metrics } from "./metrics.js";
import { isLoopback } from "./node-security.js";

// Compares every byte whatever the first difference, so timing doesn't reveal a prefix of the token.
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Answers GET /metrics from `metrics` (bearer `token` required when set); everything else → `inner`. */
export function withMetricsRoute(
  inner: (request: Request) => Response | Promise<Response>,
  metrics: Metrics,
  token?: string,
) {
  return (request: Request): Response | Promise<Response> => {
    if (request.method !== "GET" || new URL(request.url).pathname !== "/metrics") return inner(request);
    if (token && !sameSecret(request.headers.get("authorization") ?? "", `Bearer ${token}`)) {
      return new Response("unauthorized\n", { status: 401, headers: { "www-authenticate": "Bearer" } });
    }
    return metrics.scrape();
  };
}

export interface MetricsAccess {
  /** The address the server listens on. */
  host: string;
  /** PETREL_METRICS_TOKEN: when set, GET /metrics requires `Authorization: Bearer <token>`. */
  token?: string;
  warn?: (message: string) => void;
}

/**
 * GET /metrics as a Node server offers it: open on a loopback address, elsewhere only behind a
 * token; without one it is not served at all (backend names, queue depths and traffic are nobody
 * else's business).
 */
export function metricsRoute(
  inner: (request: Request) => Response | Promise<Response>,
  metrics: Metrics,
  { host, token, warn = console.warn }: MetricsAccess,
) {
  if (token || isLoopback(host)) return withMetricsRoute(inner, metrics, token);
  warn(
    `petrel: GET /metrics is off on ${host} (not loopback): set PETREL_METRICS_TOKEN to serve it behind a token.`,
  );
  return inner;
}
