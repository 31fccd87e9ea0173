// Server-Timing and request records from the real Worker (wrangler dev → workerd, the bundled model on
// onnxruntime-web): JSON and streamed chat responses carry Server-Timing, and workerd's stdout carries
// one JSON record per request with the model, the embedded backend and token counts — no prompt.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";
import { parseServerTiming } from "./helpers/server-timing.js";

// The shipped model's EOS ids, suppressed so token counts are exact whatever model is bundled.
const generation = JSON.parse(
  readFileSync(new URL("../../models/petrel-mini/generation_config.json", import.meta.url), "utf8"),
) as { eos_token_id: number | number[] };
const eosIds = [generation.eos_token_id].flat();

let service: RunningWrangler;
beforeAll(async () => {
  service = await startWrangler({ vars: { PETREL_OPEN_ACCESS: "1" } });
});
afterAll(() => service?.stop());

const SECRET = "my passport number is X1234567";
const chat = (extra: Record<string, unknown>) =>
  fetch(`${service.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "petrel-mini",
      messages: [{ role: "user", content: SECRET }],
      max_tokens: 6,
      logit_bias: Object.fromEntries(eosIds.map((id) => [id, -100])), // runs to max_tokens
      ...extra,
    }),
  });

/** The JSON request records workerd printed so far (wrangler prefixes nothing on console.log lines). */
function records(): Record<string, unknown>[] {
  return service
    .log()
    .split("\n")
    .map((line) => line.slice(line.indexOf("{")))
    .filter((line) => line.startsWith('{"msg":"request"'))
    .map((line) => JSON.parse(line));
}

async function recordFor(requestId: string | null) {
  for (let i = 0; i < 100; i++) {
    const found = records().find((r) => r.request_id === requestId);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no request record for ${requestId}:\n${service.log().slice(-2000)}`);
}

describe("Server-Timing and request logs in workerd (wrangler dev)", () => {
  it("a JSON completion has queue, ttft and total, and one record with tokens", async () => {
    const response = await chat({});
    expect(response.status).toBe(200);
    expect((await response.json()).usage.completion_tokens).toBe(6);
    const timing = parseServerTiming(response.headers.get("server-timing"));
    expect(Object.keys(timing)).toEqual(["queue", "ttft", "total"]);
    for (const metric of Object.values(timing)) expect(metric.dur).toBeGreaterThanOrEqual(0);
    const record = await recordFor(response.headers.get("x-request-id"));
    expect(record).toMatchObject({
      model: "petrel-mini",
      backend: "embedded",
      status: 200,
      outcome: "ok",
      stream: false,
      completion_tokens: 6,
      key_id: "anonymous", // the security guard's key id (open mode in wrangler dev)
    });
    expect(record.prompt_tokens).toBeGreaterThan(0);
    expect(service.log()).not.toContain(SECRET);
  });

  it("a stream has Server-Timing on its headers and a record when it ends", async () => {
    const response = await chat({ stream: true });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const timing = parseServerTiming(response.headers.get("server-timing"));
    expect(timing.queue?.dur).toBeGreaterThanOrEqual(0);
    expect(timing.total?.desc).toBeTruthy();
    expect(await response.text()).toContain("data: [DONE]");
    const record = await recordFor(response.headers.get("x-request-id"));
    expect(record).toMatchObject({ stream: true, outcome: "ok", completion_tokens: 6, backend: "embedded" });
  });

  it("a client that hangs up mid-stream is recorded as cancelled, with the tokens sent so far", async () => {
    // 200 tokens take seconds in workerd; the client leaves after the first bytes.
    const response = await chat({ stream: true, max_tokens: 200 });
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    const record = await recordFor(response.headers.get("x-request-id"));
    expect(record).toMatchObject({ outcome: "cancelled", stream: true, level: "info" });
    expect(record.completion_tokens).toBeLessThan(200);
  });

  it("rejected requests are recorded as invalid; /health and the playground are not recorded", async () => {
    const response = await chat({ messages: [] });
    expect(response.status).toBe(400);
    const record = await recordFor(response.headers.get("x-request-id"));
    expect(record).toMatchObject({ outcome: "invalid", status: 400, model: null, level: "warn" });
    const before = records().length;
    await (await fetch(`${service.url}/health`)).text();
    await (await fetch(`${service.url}/`)).text();
    // A recorded request after them: once its record is out, theirs would be too.
    const marker = await chat({ messages: [] });
    await recordFor(marker.headers.get("x-request-id"));
    expect(records().length).toBe(before + 1);
  });
});
