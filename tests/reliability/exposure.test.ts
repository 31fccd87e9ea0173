// What a client can learn or reach that it should not (issue 17, point 4), against real processes:
// no internal address in an error a client reads (the log keeps it), a backend server that refuses
// to serve a non-loopback address without keys, one auth system on it (the edge's hashed keys), and
// /metrics behind a token off loopback.
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/wrangler.js";
import { KEYS, sha256Hex } from "../security/helpers.js";
import { chatAs, requestRecords, type Started, startEntry } from "./helpers.js";

const BACKEND = "service/src/entry/node-backend.ts";
const GATEWAY = "service/src/entry/node-gateway.ts";
const tiny = ["--model", "models/tiny-random", "--port", "0", "--threads", "1"];
const ask = { model: "tiny-random", messages: [{ role: "user", content: "hi" }], max_tokens: 2 };
const keys = JSON.stringify({ keys: [{ id: "edge", sha256: sha256Hex(KEYS.alice) }] });

const running: Started[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

async function start(entry: string, args: string[], env: Record<string, string> = {}) {
  const started = await startEntry(entry, args, env);
  running.push(started);
  return { ...started, url: started.url.replace("0.0.0.0", "127.0.0.1") };
}

const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

describe("internal addresses and open doors", () => {
  it("an unreachable backend → 502 naming the backend id, not its address; the gateway's log keeps the detail", async () => {
    const port = await freePort(); // nothing listens there
    const config = JSON.stringify({
      models: { "tiny-random": { backends: [{ url: `http://127.0.0.1:${port}` }] } },
    });
    const gateway = await start(GATEWAY, ["--port", "0"], { PETREL_BACKENDS: config });
    const res = await chatAs(gateway.url, undefined, ask, {
      headers: { "x-request-id": "gone-1", "content-type": "application/json" },
    });
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(JSON.parse(text).error).toMatchObject({ code: "upstream_unreachable" });
    expect(text).toContain("tiny-random#0");
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain(String(port));
    await expect.poll(() => requestRecords(gateway.output()).get("gone-1")?.status).toBe(502);
    expect(gateway.output()).toMatch(/"request_id":"gone-1".*"error":"[^"]*ECONNREFUSED[^"]*127\.0\.0\.1/);
  }, 180_000);

  it("a backend server on 0.0.0.0 without keys refuses to start; --insecure-open starts it", async () => {
    const refused = await startEntry(BACKEND, [...tiny, "--host", "0.0.0.0"]).catch((err) => err);
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/not a loopback address.*--insecure-open/s);
    const open = await start(BACKEND, [...tiny, "--host", "0.0.0.0", "--insecure-open"]);
    expect(open.output()).toMatch(/PETREL OPEN MODE/);
    expect((await chatAs(open.url, undefined, ask)).status).toBe(200);
  }, 180_000);

  it("a backend server with keys checks them like the edge: /v1 and the load report need one; /metrics only with its token", async () => {
    const server = await start(BACKEND, [...tiny, "--host", "0.0.0.0"], { PETREL_KEYS: keys });
    const none = await chatAs(server.url, undefined, ask);
    expect([none.status, (await none.json()).error.code]).toEqual([401, "missing_api_key"]);
    expect((await chatAs(server.url, KEYS.bob, ask)).status).toBe(401);
    expect((await chatAs(server.url, KEYS.alice, ask)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/load`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/load`, bearer(KEYS.alice))).status).toBe(200);
    // No PETREL_METRICS_TOKEN on a non-loopback host: /metrics is not served at all.
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect(server.output()).toMatch(/\/metrics is off/);

    const scraped = await start(BACKEND, [...tiny, "--host", "0.0.0.0"], {
      PETREL_KEYS: keys,
      PETREL_METRICS_TOKEN: "scrape-me",
    });
    expect((await fetch(`${scraped.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${scraped.url}/metrics`, bearer("scrape-me"))).status).toBe(200);
  }, 180_000);
});
