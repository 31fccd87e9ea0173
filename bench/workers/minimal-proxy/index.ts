// The Worker counterpart of bench/lib/minimal-proxy.ts: forwards every request to one upstream
// (the UPSTREAM var) with workerd's own `fetch` and returns its response as it is. What
// `wrangler dev` itself adds in front of a Worker, with no gateway logic inside.
interface Env {
  UPSTREAM: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const headers = new Headers({ "content-type": "application/json" });
    const auth = request.headers.get("authorization");
    if (auth) headers.set("authorization", auth);
    return fetch(`${env.UPSTREAM}${url.pathname}`, { method: request.method, headers, body: request.body });
  },
};
