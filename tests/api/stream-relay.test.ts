// The streaming path end to end in-process: a real gateway (createGateway) over an upstream whose
// whole answer arrives in one network read, behind the open-mode guard and the request log. The
// chunks it carried leave in one write (the last apart), with the public model name, and the
// request's record is written when the body ends.
import { describe, expect, it } from "vitest";
import { createGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import { createApp, type RequestRecord } from "../../service/src/http/index.js";
import { createGuard, memoryLimiter } from "../../service/src/security/index.js";
import { securityConfig } from "../security/helpers.js";

const chunk = (choices: unknown[], extra: object = {}) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "served", choices, ...extra })}\n\n`;
const ANSWER =
  chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]) +
  chunk([{ index: 0, delta: { content: "Hello" }, finish_reason: null }]) +
  chunk([{ index: 0, delta: {}, finish_reason: "stop" }]) +
  chunk([], { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }) +
  "data: [DONE]\n\n";

function app() {
  const config = parseGatewayConfig({
    models: { m: { backends: [{ id: "up", url: "http://upstream.invalid", kind: "openai" }] } },
  });
  // the upstream's whole answer as one read
  const fetch = async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(ANSWER));
          controller.close();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  const records: RequestRecord[] = [];
  const guard = createGuard({
    config: securityConfig({ keys: [], open: true }),
    limiter: memoryLimiter(),
    warn: () => {},
  });
  const application = createApp({
    gateway: createGateway({ config, fetch }),
    guard,
    observability: { log: (r) => records.push(r) },
  });
  return { app: application, records };
}

const ask = (stream_options?: object) =>
  JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true, stream_options });

describe("stream relay (in-process, one upstream read)", () => {
  it("relays the chunks of one upstream read in one write, renamed to the public model; the end apart", async () => {
    const { app: a, records } = app();
    const response = await a.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ask(),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const reads: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read())
      reads.push(new TextDecoder().decode(r.value));
    // role, content and finish together; the usage chunk (only when asked) and [DONE] after the
    // stream's end has run, so the chunks already here never wait for it
    expect(reads).toEqual([expect.any(String), "data: [DONE]\n\n"]);
    const events = (reads[0] as string).split("\n\n").filter(Boolean);
    expect(events).toHaveLength(3);
    for (const e of events) expect(JSON.parse(e.slice(6)).model).toBe("m");
    expect(JSON.parse((events[1] as string).slice(6)).choices[0].delta.content).toBe("Hello");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ stream: true, outcome: "ok", completion_tokens: 1, prompt_tokens: 3 });
  });

  it("with include_usage the usage chunk is relayed too", async () => {
    const { app: a } = app();
    const response = await a.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ask({ include_usage: true }),
    });
    const text = await response.text();
    const events = text.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(5);
    expect(JSON.parse((events[3] as string).slice(6)).usage.total_tokens).toBe(4);
  });
});
