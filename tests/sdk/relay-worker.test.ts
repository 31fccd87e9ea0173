// The SDK inside a Cloudflare Worker (real workerd): the README's relay example streams from the
// Petrel service (another workerd) and hands the chunks on as NDJSON, which the Node side reads back
// with Stream.fromReadableStream. Errors keep their class and request id across the hop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatCompletionChunk, Petrel, Stream } from "../../sdk/src/index.js";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.js";

const KEY = "sk-relay-test";
let service: WranglerDev;
let relay: WranglerDev;

beforeAll(async () => {
  service = await startWranglerDev({ PETREL_API_KEYS: KEY });
  relay = await startWranglerDev(
    { PETREL_URL: service.baseURL, PETREL_KEY: KEY },
    "tests/sdk/relay-worker/wrangler.toml",
  );
});
afterAll(async () => {
  await relay?.stop();
  await service?.stop();
});

describe("SDK in a Worker", () => {
  it("relays a streamed completion as NDJSON that reads back into the same chunks", async () => {
    const prompt = "Where do petrels nest?";
    const res = await fetch(relay.origin, {
      method: "POST",
      body: JSON.stringify({ model: "petrel-mini", prompt }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const stream = Stream.fromReadableStream<ChatCompletionChunk>(res.body as ReadableStream<Uint8Array>);
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(chunks).toBeGreaterThan(2);
    // Greedy: the relayed text is what a direct call returns.
    const direct = await new Petrel({ baseURL: service.baseURL, apiKey: KEY }).chat.completions.create({
      model: "petrel-mini",
      messages: [{ role: "user", content: prompt }],
      max_tokens: 12,
      temperature: 0,
    });
    expect(text).toBe(direct.choices[0]?.message.content);
  });

  it("an upstream error surfaces in the Worker as the right class with the upstream request id", async () => {
    const res = await fetch(relay.origin, {
      method: "POST",
      body: JSON.stringify({ model: "nope", prompt: "x" }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: expect.stringContaining("404"),
      class: "NotFoundError",
      code: "model_not_found",
      requestId: expect.stringMatching(/^req_/),
    });
  });
});
