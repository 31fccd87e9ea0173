// The Node servers' copy of what the Worker serves from its assets: the API reference renderer that
// /docs loads from this origin (DOCS_SCRIPT_PATH), read from node_modules on first use. Where the
// package is absent (a production install without dev dependencies) the path answers 404.
import { readFile } from "node:fs/promises";
import { DOCS_SCRIPT_PATH } from "../http/index.js";

const SCRIPT = new URL(
  "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js",
  import.meta.url,
);

export function withDocsScript(inner: (request: Request) => Response | Promise<Response>) {
  let script: Promise<string | undefined> | undefined;
  return (request: Request): Response | Promise<Response> => {
    if (request.method !== "GET" || new URL(request.url).pathname !== DOCS_SCRIPT_PATH) return inner(request);
    script ??= readFile(SCRIPT, "utf8").catch(() => undefined);
    return script.then((text) =>
      text
        ? new Response(text, {
            headers: {
              "content-type": "text/javascript; charset=utf-8",
              "cache-control": "public, max-age=3600",
            },
          })
        : new Response("not found\n", { status: 404 }),
    );
  };
}
