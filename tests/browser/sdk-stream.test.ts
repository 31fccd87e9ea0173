// The built SDK (sdk/dist, plain ESM) loaded by a real Chromium page through an import map, streaming
// a completion from the real service in workerd — cross-origin, so CORS and the preflight for the
// SDK's headers are exercised as a browser app would exercise them.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Petrel } from "../../sdk/src/index.js";
import { startWranglerDev, type WranglerDev } from "../sdk/wrangler-dev.js";

const root = resolve(import.meta.dirname, "../..");
const KEY = "sk-browser-test";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
];

const page_html = `<!doctype html>
<meta charset="utf-8">
<script type="importmap">
  { "imports": { "@petrel/sdk": "/sdk/index.js", "eventsource-parser": "/vendor/eventsource-parser/index.js" } }
</script>
<title>petrel sdk</title>
<script type="module" src="/page.mjs"></script>`;

const mounts: [string, string][] = [
  ["/sdk/", join(root, "sdk/dist")],
  ["/vendor/eventsource-parser/", join(root, "node_modules/eventsource-parser/dist")],
];

/** Serves the page and the SDK's files from another origin than the service. */
async function startStaticServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(page_html);
    if (path === "/page.mjs") {
      const script = await readFile(join(import.meta.dirname, "sdk-page.mjs"));
      return res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    }
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    if (!mount || path.includes("..")) return res.writeHead(404).end();
    try {
      const body = await readFile(join(mount[1], path.slice(mount[0].length)));
      const type = extname(path) === ".js" ? "text/javascript" : "application/octet-stream";
      res.writeHead(200, { "content-type": type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What sdk-page.mjs puts on `window`. */
interface PageAPI {
  streamCompletion(args: { baseURL: string; key: string; request: unknown }): Promise<{
    chunks: number;
    text: string;
    final: string | null | undefined;
    usage?: { completion_tokens: number };
    requestId: string | null;
    ua: string;
  }>;
  errorsAndAbort(args: { baseURL: string; key: string }): Promise<{
    notFound: unknown[];
    badKey: unknown[];
    n: number;
    aborted: boolean;
    signalAborted: boolean;
  }>;
}

let service: WranglerDev;
let site: { origin: string; server: Server };
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  await promisify(execFile)("npm", ["run", "build"], { cwd: join(root, "sdk") });
  [service, site] = await Promise.all([startWranglerDev({ PETREL_API_KEYS: KEY }), startStaticServer()]);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(site.origin);
  await page.waitForFunction(() => (window as unknown as { sdkReady?: boolean }).sdkReady === true);
});

afterAll(async () => {
  await browser?.close();
  site?.server.close();
  await service?.stop();
});

describe("browser: the built SDK in Chromium", () => {
  it("streams a completion from the service and collects it with usage", async () => {
    const request = {
      model: "petrel-mini",
      messages: [{ role: "user", content: "Hello, bird!" }],
      max_tokens: 16,
      temperature: 0,
    };
    const result = await page.evaluate((args) => (window as unknown as PageAPI).streamCompletion(args), {
      baseURL: service.baseURL,
      key: KEY,
      request,
    });
    expect(result.ua).toMatch(/Chrome/);
    expect(result.chunks).toBeGreaterThan(2);
    expect(result.final).toBe(result.text);
    expect(result.usage?.completion_tokens).toBeGreaterThan(0);
    expect(result.requestId).toMatch(/^req_/);
    // Greedy decoding: the browser's stream says exactly what a Node-side create says.
    const node = new Petrel({ baseURL: service.baseURL, apiKey: KEY });
    const whole = await node.chat.completions.create(request as never);
    expect(result.text).toBe(whole.choices[0]?.message.content);
    expect(pageErrors).toEqual([]);
  });

  it("error classes and request ids work across origins; break aborts the stream", async () => {
    const result = await page.evaluate((args) => (window as unknown as PageAPI).errorsAndAbort(args), {
      baseURL: service.baseURL,
      key: KEY,
    });
    expect(result.notFound).toEqual([true, 404, "model_not_found", expect.stringMatching(/^req_/)]);
    expect(result.badKey).toEqual([true, 401]);
    expect(result.n).toBe(2);
    expect(result.aborted).toBe(true);
    expect(result.signalAborted).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
