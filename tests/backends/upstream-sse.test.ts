// The OpenAI upstream's SSE parsing against a FAKE upstream that writes awkward but legal streams.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "./helpers/fake-upstream.js";
import { ask, ctx, drain, gatewayFor } from "./helpers/gateway-harness.js";

let fake: FakeUpstream;
afterEach(() => fake?.close());

describe("upstream SSE parsing (fake upstream)", () => {
  it("handles comments, CRLF, the usage chunk and [DONE] without a trailing blank line", async () => {
    fake = await startFakeUpstream([
      { kind: "ok", tokens: ["Hel", "lo"], crlf: true, comments: true, noFinalBlank: true },
    ]);
    const gateway = gatewayFor([{ url: fake.url, upstreamModel: "served-name" }]);
    const out = await drain(await gateway.chat(ask(), ctx()));
    expect(out.error).toBeUndefined();
    expect(out.text).toBe("Hello");
    const usage = out.chunks.at(-1) as { choices: unknown[]; usage: { completion_tokens: number } };
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(2);
    // Clients see the public model id, whatever name the upstream serves under.
    expect(new Set(out.chunks.map((c) => c.model))).toEqual(new Set(["m"]));
    // Upstream is always asked to stream, with usage, under its own model name.
    expect(fake.requests[0]).toMatchObject({
      model: "served-name",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("reassembles UTF-8 characters split across network reads", async () => {
    const text = "héllo wörld 🐦 日本語 — ok";
    fake = await startFakeUpstream([{ kind: "split-utf8", text }]);
    const out = await drain(await gatewayFor([{ url: fake.url }]).chat(ask(), ctx()));
    expect(out.error).toBeUndefined();
    expect(out.text).toBe(text);
  });

  it("passes the upstream API key as a bearer token resolved from a secret name", async () => {
    fake = await startFakeUpstream();
    const { createGateway, parseGatewayConfig } = await import("../../service/src/gateway/index.js");
    const config = parseGatewayConfig(
      { models: { m: { backends: [{ url: fake.url, kind: "vllm", apiKey: "UPSTREAM_KEY" }] } } },
      { UPSTREAM_KEY: "sk-secret" },
    );
    let auth: string | null = null;
    const gateway = createGateway({
      config,
      fetch: (url, init) => {
        auth = new Headers(init.headers).get("authorization");
        return fetch(url, init);
      },
    });
    await drain(await gateway.chat(ask(), ctx()));
    expect(auth).toBe("Bearer sk-secret");
  });
});
