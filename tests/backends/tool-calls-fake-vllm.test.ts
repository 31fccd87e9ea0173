// The gateway in front of a FAKE vLLM that streams tool-call deltas (tests/helpers/fake-vllm-tools.ts):
// the real app and gateway (app.request(), the OpenAI upstream over real HTTP) must pass the request's
// tool fields through unchanged and hand the client the same chunks the upstream sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import { createApp } from "../../service/src/http/index.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { type FakeVllm, startFakeVllm } from "../helpers/fake-vllm-tools.js";

const MODEL = "qwen-tools";
const CALLS = [
  { name: "calculator", arguments: '{"expression": "123 * 456"}' },
  { name: "weather", arguments: '{"city": "Oslo", "unit": "celsius"}' },
];
const TOOLS = [
  {
    type: "function",
    function: {
      name: "calculator",
      description: "Evaluates an arithmetic expression",
      parameters: {
        type: "object",
        properties: { expression: { type: "string" } },
        required: ["expression"],
      },
      strict: true,
    },
  },
  {
    type: "function",
    function: {
      name: "weather",
      parameters: {
        type: "object",
        properties: { city: { type: "string" }, unit: { enum: ["celsius", "fahrenheit"] } },
      },
    },
  },
];
const messages = [{ role: "user", content: "What is 123 * 456, and how cold is Oslo?" }];

let fake: FakeVllm;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  fake = await startFakeVllm({ calls: CALLS, json: '{"answer": 56088}' });
  const config = parseGatewayConfig({
    models: {
      [MODEL]: { backends: [{ kind: "vllm", url: fake.url, upstreamModel: "Qwen/Qwen2.5-7B-Instruct" }] },
    },
  });
  app = createApp({ gateway: createGateway({ config }) });
});
afterAll(() => fake?.close());

async function post(body: Record<string, unknown>) {
  const response = await app.request("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages, ...body }),
  });
  await assertResponseMatchesContract("POST", "/v1/chat/completions", response.clone());
  return response;
}

const dataEvents = (text: string) =>
  text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice("data: ".length));

describe("gateway in front of a FAKE vLLM that streams tool calls", () => {
  it("streams the upstream's chunks to the client unchanged but for the public model id", async () => {
    const response = await post({ tools: TOOLS, tool_choice: "auto", stream: true });
    expect(response.status).toBe(200);
    const received = dataEvents(await response.text());
    expect(received.at(-1)).toBe("[DONE]");
    // The client did not ask for usage, so the upstream's usage chunk (the last payload) is withheld.
    const upstream = (fake.sent.at(-1) as string[])
      .slice(0, -1)
      .map((p) => ({ ...JSON.parse(p), model: MODEL }));
    expect(received.slice(0, -1).map((p) => JSON.parse(p))).toEqual(upstream);
    const deltas = upstream.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    expect(deltas.filter((d: { id?: string }) => d.id)).toHaveLength(2);
    expect(upstream.at(-1).choices[0].finish_reason).toBe("tool_calls");
  });

  it("folds the calls into message.tool_calls for a non-streamed request", async () => {
    const response = await post({ tools: TOOLS });
    expect(response.status).toBe(200);
    const { choices, usage } = await response.json();
    expect(choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: null,
        tool_calls: CALLS.map((call, i) => ({
          id: `chatcmpl-tool-${i}0000000`,
          type: "function",
          function: { name: call.name, arguments: call.arguments },
        })),
      },
    });
    expect(JSON.parse(choices[0].message.tool_calls[0].function.arguments)).toEqual({
      expression: "123 * 456",
    });
    expect(usage.completion_tokens).toBeGreaterThan(0);
  });

  it("hands vLLM the tools, tool_choice, parallel_tool_calls, response_format and tool turns unchanged", async () => {
    const call = {
      id: "call_1",
      type: "function",
      function: { name: "calculator", arguments: '{"expression":"1+1"}' },
    };
    const body = {
      messages: [
        ...messages,
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: "2" },
      ],
      tools: TOOLS,
      tool_choice: { type: "function", function: { name: "weather" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object" }, strict: true },
      },
    };
    expect((await post(body)).status).toBe(200);
    const { model, stream, stream_options, ...rest } = fake.requests.at(-1) as Record<string, unknown>;
    expect(rest).toEqual(body);
    expect({ model, stream, stream_options }).toEqual({
      model: "Qwen/Qwen2.5-7B-Instruct",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("rejects tool_choice without tools before the upstream is asked", async () => {
    const before = fake.requests.length;
    const response = await post({ tool_choice: "required" });
    expect(response.status).toBe(400);
    expect((await response.json()).error.param).toBe("tool_choice");
    expect(fake.requests).toHaveLength(before);
  });
});
