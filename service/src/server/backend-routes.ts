// What a Petrel backend server answers besides the shared app: the load report the edge balances
// on (GET /v1/load → {queued, active, capacity}), and the drain gate. While draining, the load
// report and new chat requests answer 503, so health checks take the server out of rotation and an
// edge that still sends it a request fails over at once; requests already running finish normally.

export interface LoadReport {
  queued: number;
  active: number;
  capacity: number;
  /** Chat requests received since start (a counter, like vLLM's request_success_total). */
  requests?: number;
}

export interface BackendRoutesOptions {
  app: { fetch: (request: Request) => Response | Promise<Response> };
  load: () => LoadReport;
  draining: () => boolean;
  onChatRequest?: () => void;
  /** The app's own key check (the security guard), for the load report: an error response or undefined. */
  authorize: (request: Request) => Promise<Response | undefined>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const draining503 = () =>
  json(
    503,
    {
      error: {
        message: "This backend is draining for shutdown.",
        type: "server_error",
        param: null,
        code: "draining",
      },
    },
    { "retry-after": "1" },
  );

export function backendFetch(options: BackendRoutesOptions) {
  return async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname === "/v1/load" && request.method === "GET") {
      const refused = await options.authorize(request);
      if (refused) return refused;
      const draining = options.draining();
      return json(draining ? 503 : 200, { ...options.load(), draining });
    }
    if (options.draining() && request.method === "POST") return draining503();
    if (pathname === "/v1/chat/completions") options.onChatRequest?.();
    return options.app.fetch(request);
  };
}
