// Tool round trips over the Responses API, through the real Node gateway and real wrangler dev, each in
// front of a FAKE vLLM (tests/helpers/fake-vllm-tools.ts): scripted calls make the round trips
// deterministic (the built-in engine's calls are covered by engine-tools-*.test.ts and, over the
// Responses API, responses-engine-tools.test.ts), and no real vLLM runs here, so the fake is what puts
// tool-call deltas on the wire. The clients are the
// real ones: the AI SDK's default OpenAI provider (generateText and streamText running the tools), the
// official openai package (function_call items, previous_response_id with function_call_output,
// argument events) and LangChain's ChatOpenAI({ useResponsesApi: true }).bindTools. Every response is
// checked against the contract.
import { createOpenAI } from "@ai-sdk/openai";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Proc, startNodeGateway, stopAll } from "../backends/helpers/processes.js";
import { type FakeVllm, startFakeVllm } from "../helpers/fake-vllm-tools.js";
import { recordingFetch } from "../helpers/recording-fetch.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";

const MODEL = "qwen-tools";
const CALLS = [
  { name: "calculator", arguments: '{"expression":"123 * 456"}' },
  { name: "weather", arguments: '{"city":"Oslo","unit":"celsius"}' },
];
const FINAL = "56088, and 7 °C in Oslo.";
const PROMPT = "What is 123 * 456, and how cold is Oslo?";
const RESULTS = { calculator: "56088", weather: '{"temperature_c":7}' };
const schemas = {
  calculator: z.object({ expression: z.string() }),
  weather: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
};
const functionTools = Object.entries(schemas).map(([name, schema]) => ({
  type: "function" as const,
  name,
  parameters: z.toJSONSchema(schema) as Record<string, unknown>,
  strict: false,
}));

const procs: Proc[] = [];
const recorder = recordingFetch();
let fake: FakeVllm;
let worker: RunningWrangler;
const urls: Record<string, string> = {};
let validated = 0;

beforeAll(async () => {
  fake = await startFakeVllm({ calls: CALLS, json: "{}", final: FINAL });
  const config = {
    models: { [MODEL]: { backends: [{ kind: "vllm", url: fake.url, upstreamModel: "Qwen/Qwen2.5" }] } },
  };
  const [gateway, started] = await Promise.all([
    startNodeGateway(config),
    startWrangler({ vars: { PETREL_BACKENDS: JSON.stringify(config) } }),
  ]);
  procs.push(gateway);
  worker = started;
  urls["the Node gateway"] = `${gateway.url}/v1`;
  urls["wrangler dev"] = `${worker.url}/v1`;
});
afterAll(async () => {
  await worker?.stop();
  await stopAll(procs);
  await fake?.close();
});
afterEach(async () => {
  validated += await recorder.check();
});

/** What the fake vLLM received last: the assistant's tool calls and the tool results after them. */
function lastToolTurn() {
  const messages = fake.requests.at(-1)?.messages as {
    role: string;
    content?: unknown;
    tool_call_id?: string;
    tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  }[];
  const assistant = messages.find((m) => m.role === "assistant" && m.tool_calls);
  const results = messages.filter((m) => m.role === "tool");
  return {
    calls: assistant?.tool_calls?.map((c) => ({ id: c.id, ...c.function })),
    results: results.map((m) => ({ id: m.tool_call_id, content: m.content })),
  };
}

const ids = ["chatcmpl-tool-00000000", "chatcmpl-tool-10000000"];
const expectRoundTrip = (results: unknown[]) =>
  expect(lastToolTurn()).toEqual({
    calls: CALLS.map((call, i) => ({ id: ids[i], ...call })),
    results: results.map((content, i) => ({ id: ids[i], content })),
  });

describe.each(["the Node gateway", "wrangler dev"])("in front of a FAKE vLLM, on %s:", (name) => {
  const url = () => urls[name] ?? "";

  describe("AI SDK (@ai-sdk/openai default provider) tool round trip", () => {
    const aiTools = {
      calculator: tool({ inputSchema: schemas.calculator, execute: async () => RESULTS.calculator }),
      weather: tool({ inputSchema: schemas.weather, execute: async () => ({ temperature_c: 7 }) }),
    };
    const model = () => createOpenAI({ baseURL: url(), apiKey: "sk-local", fetch: recorder.fetch })(MODEL);

    it("generateText runs both tools, sends their results back, and ends with the model's answer", async () => {
      const result = await generateText({
        model: model(),
        prompt: PROMPT,
        tools: aiTools,
        stopWhen: stepCountIs(3),
      });
      expect(result.steps).toHaveLength(2);
      expect(result.steps[0]?.toolCalls.map((c) => [c.toolName, c.input])).toEqual(
        CALLS.map((c) => [c.name, JSON.parse(c.arguments)]),
      );
      expect(result.steps[0]?.finishReason).toBe("tool-calls");
      expect(result.text).toBe(FINAL);
      expectRoundTrip([RESULTS.calculator, RESULTS.weather]);
    });

    it("streamText streams the calls' arguments, runs the tools and streams the answer", async () => {
      const result = streamText({ model: model(), prompt: PROMPT, tools: aiTools, stopWhen: stepCountIs(3) });
      const calls: unknown[] = [];
      let text = "";
      for await (const part of result.fullStream) {
        if (part.type === "tool-call") calls.push([part.toolName, part.input]);
        if (part.type === "text-delta") text += part.text;
      }
      expect(calls).toEqual(CALLS.map((c) => [c.name, JSON.parse(c.arguments)]));
      expect(text).toBe(FINAL);
      expectRoundTrip([RESULTS.calculator, RESULTS.weather]);
    });
  });

  describe("official openai SDK: function calls over the Responses API", () => {
    const client = () =>
      new OpenAI({ baseURL: url(), apiKey: "sk-local", maxRetries: 0, fetch: recorder.fetch });

    it("create() answers function_call items; their outputs, chained by previous_response_id, get the answer", async () => {
      const first = await client().responses.create({ model: MODEL, input: PROMPT, tools: functionTools });
      expect(first.status).toBe("completed");
      const calls = first.output.filter((item) => item.type === "function_call");
      expect(calls.map((c) => ({ name: c.name, arguments: c.arguments, status: c.status }))).toEqual(
        CALLS.map((c) => ({ ...c, status: "completed" })),
      );
      expect(calls.map((c) => c.call_id)).toEqual(ids);
      const second = await client().responses.create({
        model: MODEL,
        previous_response_id: first.id,
        tools: functionTools,
        input: calls.map((c) => ({
          type: "function_call_output" as const,
          call_id: c.call_id,
          output: RESULTS[c.name as keyof typeof RESULTS],
        })),
      });
      expect(second.output_text).toBe(FINAL);
      expectRoundTrip([RESULTS.calculator, RESULTS.weather]);
    });

    it("stream(): argument deltas accumulate into the calls' arguments; the final response holds both calls", async () => {
      const stream = client().responses.stream({
        model: MODEL,
        input: PROMPT,
        tools: functionTools,
        tool_choice: "required",
      });
      const done: string[] = [];
      let deltas = 0;
      stream.on("response.function_call_arguments.delta", () => deltas++);
      stream.on("response.function_call_arguments.done", (event) => done.push(event.arguments));
      const final = await stream.finalResponse();
      expect(done).toEqual(CALLS.map((c) => c.arguments));
      expect(deltas).toBeGreaterThanOrEqual(2 * CALLS.length);
      expect(final.output.map((item) => item.type === "function_call" && item.name)).toEqual(
        CALLS.map((c) => c.name),
      );
      expect(fake.requests.at(-1)?.tool_choice).toBe("required");
    });
  });

  describe("LangChain ChatOpenAI({ useResponsesApi: true }) tool round trip", () => {
    it("bindTools: the AIMessage carries both tool calls; ToolMessages back give the answer", async () => {
      const model = new ChatOpenAI({
        model: MODEL,
        apiKey: "sk-local",
        useResponsesApi: true,
        maxRetries: 0,
        configuration: { baseURL: url(), fetch: recorder.fetch },
      }).bindTools(
        functionTools.map(({ name, parameters }) => ({ type: "function", function: { name, parameters } })),
      );
      const question = new HumanMessage(PROMPT);
      const asked = await model.invoke([question]);
      expect(asked.tool_calls?.map((c) => [c.name, c.args])).toEqual(
        CALLS.map((c) => [c.name, JSON.parse(c.arguments)]),
      );
      const results = (asked.tool_calls ?? []).map(
        (c) =>
          new ToolMessage({ tool_call_id: c.id ?? "", content: RESULTS[c.name as keyof typeof RESULTS] }),
      );
      const answer = await model.invoke([question, new AIMessage(asked), ...results]);
      expect(answer.text).toBe(FINAL);
      expectRoundTrip([RESULTS.calculator, RESULTS.weather]);
    });
  });
});

describe("the contract", () => {
  it("every response and stream event of the tool round trips above matched it", () => {
    expect(validated).toBeGreaterThanOrEqual(18);
  });
});
