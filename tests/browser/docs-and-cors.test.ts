// Two things only a real browser shows, against the real Worker (wrangler dev → workerd): /docs renders
// the API reference with every request outside 127.0.0.1 blocked (its renderer comes from the Worker's
// own assets), and a page on another origin can call the API with headers of its own choosing (the
// preflight answers with the headers it asked for).
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
];

let service: RunningWrangler;
let browser: Browser;
let other: Server;
let otherOrigin: string;

beforeAll(async () => {
  await run(process.execPath, [resolve(root, "scripts/build-playground.mjs")]);
  other = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>app</title>"),
  );
  await new Promise<void>((ok) => other.listen(0, "127.0.0.1", ok));
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  [service, browser] = await Promise.all([
    startWrangler({ vars: { PETREL_OPEN_ACCESS: "1" } }),
    chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
  other?.close();
});

describe("browser clients (real Chromium, real wrangler dev)", () => {
  it("/docs renders the API reference with no network beyond the Worker", async () => {
    const page = await browser.newPage();
    const blocked: string[] = [];
    await page.route("**/*", (route) => {
      const { hostname } = new URL(route.request().url());
      if (hostname === "127.0.0.1" || hostname === "localhost") return route.continue();
      blocked.push(route.request().url());
      return route.abort("internetdisconnected");
    });
    const response = await page.goto(`${service.url}/docs`);
    expect(response?.status()).toBe(200);
    // Text that only the rendered reference shows: an operation summary from openapi.yaml.
    await expect
      .poll(() => page.getByText("Create a chat completion").count(), { timeout: 60_000 })
      .toBeGreaterThan(0);
    expect(blocked.filter((url) => /\.m?js(\?|$)/.test(url))).toEqual([]);
    await page.close();
  });

  it("a page on another origin calls the API with its own headers (user-agent, custom ones)", async () => {
    const page = await browser.newPage();
    await page.goto(otherOrigin);
    const result = await page.evaluate(async (base) => {
      const response = await fetch(`${base}/v1/models`, {
        headers: {
          authorization: "Bearer sk-anything",
          "user-agent": "ai-sdk/openai-compatible",
          "x-my-app-version": "1.2.3",
        },
      });
      return {
        status: response.status,
        requestId: response.headers.get("x-request-id"),
        body: await response.json(),
      };
    }, service.url);
    expect(result.status).toBe(200);
    expect(result.requestId).toMatch(/^req_/);
    expect(result.body.data.map((m: { id: string }) => m.id)).toContain("petrel-mini");
    await page.close();
  });
});
