// The embedded backend end to end in-process: createApp → createGateway → engine backend → the real
// engine on onnxruntime-node with models/tiny-random. Every response is checked against the contract.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../service/src/engine/index.js";
import { createEngineBackend, toGenerateParams } from "../../service/src/gateway/engine-backend.js";
import { createGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import { createApp } from "../../service/src/http/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { assertResponseMatchesContract, sseData } from "../helpers/contract.js";

const MODEL = "tiny-random";
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  const dir = fileURLToPath(new URL(`../../models/${MODEL}`, import.meta.url));
  const engine: Promise<Engine> = readModelDir(dir).then((files) =>
    createEngine({ id: MODEL, files, sessions: nodeSessions() }),
  );
  const config = parseGatewayConfig({
    models: { [MODEL]: { backends: [{ id: "embedded", kind: "embedded" }] } },
  });
  const gateway = createGateway({
    config,
    embedded: (_m, b) =>
      createEngineBackend({ id: b.id, engine: () => engine, completionId: () => "chatcmpl-t" }),
  });
  app = createApp({ gateway });
  await engine;
});

async function chat(body: Record<string, unknown>) {
  const response = await app.request("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hello there" }], ...body }),
  });
  await assertResponseMatchesContract("POST", "/v1/chat/completions", response);
  return response;
}

describe("engine backend on the real engine (onnxruntime-node, tiny-random)", () => {
  it("streams role → deltas → finish → usage with one id, and matches the JSON answer (greedy)", async () => {
    const params = { max_tokens: 8, temperature: 0 };
    const whole = await (await chat(params)).json();
    const events = sseData(
      await (await chat({ ...params, stream: true, stream_options: { include_usage: true } })).text(),
    );
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(whole.choices[0].message.content);
    expect(chunks.at(-2).choices[0]).toEqual({
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: "length",
    });
    expect(chunks.at(-1).usage).toEqual(whole.usage);
    expect(whole.usage.completion_tokens).toBe(8);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-t"]));
  });

  it("returns OpenAI logprobs with top_logprobs, one entry per token", async () => {
    const json = await (
      await chat({ max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 })
    ).json();
    const content = json.choices[0].logprobs.content;
    expect(content).toHaveLength(4);
    for (const entry of content) {
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.logprob).toBeLessThanOrEqual(0);
      // greedy: the chosen token is the most likely one
      expect(entry.logprob).toBeCloseTo(entry.top_logprobs[0].logprob, 5);
    }
    expect(json.choices[0].logprobs.refusal).toBeNull();
  });

  it("gives n choices their own index, each with a role chunk and a finish", async () => {
    const json = await (await chat({ max_tokens: 3, n: 2, seed: 7 })).json();
    expect(json.choices.map((c: { index: number }) => c.index)).toEqual([0, 1]);
    expect(json.usage.completion_tokens).toBe(6);
  });

  it("uses max_completion_tokens over max_tokens, and flattens text parts like a string", async () => {
    const parts = [
      { type: "text", text: "Hello" },
      { type: "text", text: "there" },
    ];
    const a = await (
      await chat({
        messages: [{ role: "user", content: parts }],
        max_tokens: 9,
        max_completion_tokens: 2,
        temperature: 0,
      })
    ).json();
    const b = await (
      await chat({ messages: [{ role: "user", content: "Hello\nthere" }], max_tokens: 2, temperature: 0 })
    ).json();
    expect(a.usage.completion_tokens).toBe(2);
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
  });

  it("answers a prompt over the context with 400 context_length_exceeded before streaming", async () => {
    const response = await chat({
      messages: [{ role: "user", content: "word ".repeat(2000) }],
      stream: true,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      param: "messages",
      code: "context_length_exceeded",
    });
  });

  it.each([
    [{ response_format: { type: "json_object" } }, "response_format"],
    [{ tools: [{ type: "function", function: { name: "add" } }], tool_choice: "required" }, "tools"],
  ])("an engine created without a grammar runtime answers %j with a 400 naming %s", async (body, param) => {
    const response = await chat(body);
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error).toMatchObject({ param, type: "invalid_request_error" });
    expect(error.message).toMatch(/constrained decoding/);
  });
});

describe("wire → GenerateParams", () => {
  it("maps snake_case fields, nulls, the stop string form, tool calls and tool results", () => {
    const params = toGenerateParams({
      model: "m",
      messages: [
        { role: "assistant", content: null },
        { role: "user", content: "x", name: "ann" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: '{"a":1}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "2" }] },
      ],
      stop: "END",
      top_k: -1,
      min_p: 0.1,
      temperature: null,
      logit_bias: { "42": -100 },
      repetition_penalty: 1.2,
    });
    expect(params).toMatchObject({
      messages: [
        { role: "assistant", content: "" },
        { role: "user", content: "x", name: "ann" },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "add", arguments: '{"a":1}' }] },
        { role: "tool", content: "2", toolCallId: "call_1" },
      ],
      stop: ["END"],
      topK: undefined,
      minP: 0.1,
      temperature: undefined,
      logitBias: { 42: -100 },
      repetitionPenalty: 1.2,
    });
  });
});
