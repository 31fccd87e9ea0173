// CORS for browser clients: origin `*` without credentials, and a preflight answered with the request
// headers it asks for. The headers go onto the response after the handler. Hono's cors() sets them on
// c.res before the handler runs, which makes Hono rebuild the handler's Response to merge them in,
// reading its body: on Node that turns @hono/node-server's lightweight Response into a full one,
// whose body is then piped as a web stream, on every request.
import type { MiddlewareHandler } from "hono";

const ALLOW_METHODS = "GET,HEAD,PUT,POST,DELETE,PATCH";

export function openCors(options: { exposeHeaders: string[]; maxAgeSeconds: number }): MiddlewareHandler {
  const expose = options.exposeHeaders.join(",");
  return async function corsMiddleware(c, next) {
    if (c.req.method === "OPTIONS") {
      const headers = new Headers({
        "access-control-allow-origin": "*",
        "access-control-expose-headers": expose,
        "access-control-max-age": String(options.maxAgeSeconds),
        "access-control-allow-methods": ALLOW_METHODS,
      });
      const asked = c.req.header("access-control-request-headers");
      if (asked) {
        const list = asked.split(",").map((h) => h.trim());
        headers.set("access-control-allow-headers", list.join(","));
        headers.append("vary", "Access-Control-Request-Headers");
      }
      return new Response(null, { status: 204, headers });
    }
    await next();
    try {
      c.res.headers.set("access-control-allow-origin", "*");
      c.res.headers.set("access-control-expose-headers", expose);
    } catch {
      // Immutable headers (a Response from fetch): copy it once.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("access-control-allow-origin", "*");
      c.res.headers.set("access-control-expose-headers", expose);
    }
  };
}
