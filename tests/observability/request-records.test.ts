// Server-Timing and per-request records through app.request() with a fake gateway: every outcome
// (ok, invalid, error mid-stream, cancelled) can be caused on purpose here.
import { describe, expect, it } from "vitest";
import { createApp, type RequestRecord } from "../../service/src/http/index.js";
import { ApiError } from "../../service/src/protocol/errors.js";
import { fakeGateway, type Step } from "../helpers/fake-gateway.js";
import { parseServerTiming } from "./helpers/server-timing.js";
import { until } from "./helpers/turns.js";

const url = "/v1/chat/completions";
const secretPrompt = "my bank password is hunter2";
const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "petrel-mini", messages: [{ role: "user", content: secretPrompt }], ...extra });
const post = (app: ReturnType<typeof createApp>, json: string, headers: Record<string, string> = {}) =>
  app.request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: json,
  });

function recorded(options: { logPrompts?: boolean; script?: Step[]; startError?: ApiError } = {}) {
  const records: RequestRecord[] = [];
  const lines: string[] = [];
  const gateway = fakeGateway({
    ...(options.script ? { script: () => options.script ?? [] } : {}),
    ...(options.startError ? { startError: options.startError } : {}),
  });
  const app = createApp({
    gateway,
    observability: {
      log: (r) => lines.push(JSON.stringify(r)),
      onRecord: (r) => records.push(r),
      logPrompts: options.logPrompts,
    },
  });
  return { app, records, lines };
}

describe("Server-Timing and request records (fake gateway)", () => {
  it("JSON completion: queue, ttft and total in Server-Timing; one record with tokens and backend", async () => {
    const { app, records, lines } = recorded();
    const response = await post(app, body(), {
      "x-request-id": "req-abc",
      authorization: "Bearer sk-live-1",
    });
    expect(response.status).toBe(200);
    const timing = parseServerTiming(response.headers.get("server-timing"));
    expect(Object.keys(timing)).toEqual(["queue", "ttft", "total"]);
    expect(timing.queue?.dur).toBeGreaterThanOrEqual(0);
    expect(timing.total?.dur).toBeGreaterThanOrEqual(timing.ttft?.dur ?? Number.NaN);
    expect(timing.ttft?.dur).toBeGreaterThanOrEqual(timing.queue?.dur ?? Number.NaN);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      msg: "request",
      request_id: "req-abc",
      path: url,
      status: 200,
      model: "petrel-mini",
      stream: false,
      outcome: "ok",
      prompt_tokens: 5,
      completion_tokens: 2,
      level: "info",
    });
    expect(records[0]?.backend).toBeTruthy();
    expect(records[0]?.key_id).toMatch(/^key_[0-9a-f]{12}$/);
    // Prompts and keys never reach the log line unless asked for.
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain("sk-live-1");
    expect(records[0]).not.toHaveProperty("messages");
  });

  it("stream: Server-Timing on the 200 headers; the record is written when the body ends", async () => {
    const { app, records } = recorded();
    const response = await post(app, body({ stream: true, stream_options: { include_usage: true } }));
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const timing = parseServerTiming(response.headers.get("server-timing"));
    expect(timing.queue?.dur).toBeGreaterThanOrEqual(0);
    expect(timing.total?.dur).toBeUndefined();
    expect(records).toHaveLength(0);
    const text = await response.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    await until(() => records.length === 1);
    expect(records[0]).toMatchObject({ stream: true, outcome: "ok", completion_tokens: 2, prompt_tokens: 5 });
    expect(records[0]?.ttft_ms).toBeGreaterThanOrEqual(records[0]?.queue_ms ?? Number.NaN);
  });

  it("stream cancelled by the client: outcome cancelled, tokens so far counted", async () => {
    const script: Step[] = [{ text: "a" }, { text: "b" }, { delayMs: 5_000 }, { text: "never" }];
    const { app, records } = recorded({ script });
    const response = await post(app, body({ stream: true }));
    const reader = response.body?.getReader();
    let seen = "";
    while (!seen.includes('"b"')) seen += new TextDecoder().decode((await reader?.read())?.value);
    await reader?.cancel();
    await until(() => records.length === 1);
    expect(records[0]).toMatchObject({ outcome: "cancelled", completion_tokens: 2, stream: true });
  });

  it("failure mid-stream is an error record with the message; a failed start is a 5xx error", async () => {
    const failing = recorded({
      script: [{ text: "a" }, { fail: new ApiError(502, "upstream reset", "server_error") }],
    });
    const response = await post(failing.app, body({ stream: true }));
    await response.text();
    await until(() => failing.records.length === 1);
    expect(failing.records[0]).toMatchObject({ outcome: "error", level: "error", error: "upstream reset" });

    const down = recorded({ startError: new ApiError(503, "no backend", "server_error") });
    const refused = await post(down.app, body());
    expect(refused.status).toBe(503);
    expect(parseServerTiming(refused.headers.get("server-timing")).total?.dur).toBeGreaterThanOrEqual(0);
    expect(down.records[0]).toMatchObject({ outcome: "error", status: 503, model: "petrel-mini" });
  });

  it("invalid requests are recorded as invalid, without a model or tokens", async () => {
    const { app, records } = recorded();
    const response = await post(app, JSON.stringify({ model: "petrel-mini", messages: "nope" }));
    expect(response.status).toBe(400);
    expect(records[0]).toMatchObject({
      outcome: "invalid",
      status: 400,
      model: null,
      completion_tokens: null,
    });
  });

  it("logPrompts puts the messages into the record (explicit opt-in)", async () => {
    const { app, lines } = recorded({ logPrompts: true });
    await (await post(app, body())).json();
    expect(lines[0]).toContain("hunter2");
  });

  it("OPTIONS preflights and /health are not recorded", async () => {
    const { app, records } = recorded();
    await app.request(url, {
      method: "OPTIONS",
      headers: { origin: "http://x", "access-control-request-method": "POST" },
    });
    await app.request("/health");
    expect(records).toHaveLength(0);
  });
});
