// The SDK's tool loop (`runTools`) and structured output (`parse`) against the real Node gateway
// process in front of a real Petrel backend server (the engine's grammar forces calls and JSON) and
// FAKE vLLM upstreams (tests/helpers/fake-vllm-tools.ts: no real vLLM runs here,
// and a fake can misbehave on purpose). Each fake model misbehaves in one way: calls a function nobody
// defined, sends arguments that are not JSON or break the schema, answers JSON that breaks the
// schema; the SDK must turn each into its typed error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { APIUserAbortError, Petrel, responseFormat, StructuredOutputError } from "../../sdk/src/index.js";
import { jsonSchema } from "../../sdk/src/json-schema.js";
import {
  defineTool,
  MaxToolRoundsError,
  runTools,
  ToolCallError,
  type ToolRunnerEvent,
} from "../../sdk/src/tools.js";
import { type Proc, startBackend, startNodeGateway, stopAll } from "../backends/helpers/processes.js";
import { type FakeCall, type FakeVllm, startFakeVllm } from "../helpers/fake-vllm-tools.js";

const CALLS = [
  { name: "calculator", arguments: '{"expression":"123 * 456"}' },
  { name: "weather", arguments: '{"city":"Oslo","unit":"celsius"}' },
];
const FORECAST = { city: "Oslo", temperature_c: 7, conditions: "rain" };
const FINAL = "56088, and 7 °C in Oslo.";
/** Model name → what its fake upstream does. */
const FAKES: Record<string, { calls: FakeCall[]; json: string }> = {
  "fake-tools": { calls: CALLS, json: JSON.stringify(FORECAST) },
  "fake-unknown-tool": { calls: [{ name: "teleport", arguments: '{"to":"Oslo"}' }], json: "{}" },
  "fake-broken-args": { calls: [{ name: "calculator", arguments: '{"expression": "12' }], json: "{}" },
  "fake-wrong-args": { calls: [{ name: "calculator", arguments: '{"expression": 12}' }], json: "{}" },
  "fake-wrong-json": { calls: [], json: '{"city":"Oslo","temperature_c":"mild","conditions":"rain"}' },
  "fake-not-json": { calls: [], json: '{"city": "Oslo", "temp' },
};

const procs: Proc[] = [];
const fakes: Record<string, FakeVllm> = {};
let client: Petrel;

beforeAll(async () => {
  const models: Record<string, unknown> = {};
  for (const [model, options] of Object.entries(FAKES)) {
    fakes[model] = await startFakeVllm({ ...options, final: FINAL });
    models[model] = { backends: [{ kind: "vllm", url: fakes[model].url, upstreamModel: "Qwen/Qwen2.5-7B" }] };
  }
  // And a real Petrel backend server (tiny-random: random weights, so only the mechanics are real).
  const backend = await startBackend();
  procs.push(backend);
  models["tiny-random"] = { backends: [{ kind: "petrel", url: backend.url }] };
  const gateway = await startNodeGateway({ models });
  procs.push(gateway);
  client = new Petrel({ baseURL: `${gateway.url}/v1`, apiKey: null, maxRetries: 0 });
});
afterAll(async () => {
  await stopAll(procs);
  await Promise.all(Object.values(fakes).map((f) => f.close()));
});

const ran: string[] = [];
const calculator = defineTool({
  name: "calculator",
  description: "Multiplies: 'a * b'",
  parameters: z.object({ expression: z.string() }),
  run: ({ expression }) => {
    ran.push(`calculator(${expression})`);
    const [a = 0, b = 0] = expression.split("*").map(Number);
    return { value: a * b };
  },
});
const weather = defineTool({
  name: "weather",
  parameters: jsonSchema<{ city: string; unit: "celsius" | "fahrenheit" }>({
    type: "object",
    properties: { city: { type: "string" }, unit: { enum: ["celsius", "fahrenheit"] } },
    required: ["city", "unit"],
  }),
  run: ({ city, unit }) => {
    ran.push(`weather(${city})`);
    return unit === "celsius" ? "7 °C" : "45 °F";
  },
});
const messages = [{ role: "user" as const, content: "What is 123 * 456, and how cold is Oslo?" }];
const lastRequest = (model: string) => fakes[model]?.requests.at(-1) as Record<string, unknown>;

describe("SDK runTools through the Node gateway (FAKE vLLM tool-call upstream)", () => {
  it.each([false, true])(
    "runs both calls, sends their results back and returns the answer (stream: %s)",
    async (stream) => {
      ran.length = 0;
      const before = fakes["fake-tools"]?.requests.length ?? 0;
      const runner = runTools(client, {
        model: "fake-tools",
        messages,
        tools: [calculator, weather],
        tool_choice: "required",
        stream,
      });
      const events: ToolRunnerEvent[] = [];
      for await (const event of runner) events.push(event);
      const final = await runner.finalChatCompletion();
      expect(final.choices[0]?.message.content).toBe(FINAL);
      expect(await runner.finalContent()).toBe(FINAL);
      expect(ran).toEqual(["calculator(123 * 456)", "weather(Oslo)"]);

      const kinds = events.map((e) => e.type).filter((t) => t !== "chunk");
      expect(kinds).toEqual([
        "completion",
        "tool_call",
        "tool_result",
        "tool_call",
        "tool_result",
        "completion",
      ]);
      expect(events.some((e) => e.type === "chunk")).toBe(stream);
      const results = events.flatMap((e) => (e.type === "tool_result" ? [e.content] : []));
      expect(results).toEqual(['{"value":56088}', "7 °C"]);
      const call = events.find((e) => e.type === "tool_call");
      expect(call?.type === "tool_call" && call.arguments).toEqual({ expression: "123 * 456" });

      // Two requests; the second carries the assistant's calls and one tool message per call id.
      const requests = fakes["fake-tools"]?.requests.slice(before) ?? [];
      expect(requests).toHaveLength(2);
      expect(requests[0]?.tool_choice).toBe("required");
      expect(requests[1]?.tool_choice).toBe("auto");
      const sent = requests[1]?.messages as Record<string, unknown>[];
      expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "tool", "tool"]);
      const ids = ((sent[1]?.tool_calls ?? []) as { id: string }[]).map((c) => c.id);
      expect(ids).toHaveLength(2);
      expect(sent.slice(2).map((m) => m.tool_call_id)).toEqual(ids);
      expect(runner.messages).toHaveLength(5);
      expect(runner.completions.map((c) => c.choices[0]?.finish_reason)).toEqual(["tool_calls", "stop"]);
      // The wire never sees the tool's code or schema object, only its JSON Schema.
      expect((requests[0]?.tools as unknown[] | undefined)?.[0]).toEqual({
        type: "function",
        function: {
          name: "calculator",
          description: "Multiplies: 'a * b'",
          parameters: {
            type: "object",
            properties: { expression: { type: "string" } },
            required: ["expression"],
            additionalProperties: false,
          },
        },
      });
    },
  );

  it.each([
    ["fake-unknown-tool", "unknown_tool", /'teleport' names a tool that was not given/],
    ["fake-broken-args", "json", /'calculator' has arguments that are not valid JSON/],
    [
      "fake-wrong-args",
      "schema",
      /'calculator' has arguments that are invalid against the schema: expression: /,
    ],
  ])("%s: the loop ends with ToolCallError (%s) and runs nothing", async (model, reason, message) => {
    ran.length = 0;
    const runner = runTools(client, { model, messages, tools: [calculator, weather] });
    const error = await runner.finalChatCompletion().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolCallError);
    expect(error).toMatchObject({ reason, toolCall: { function: { name: FAKES[model]?.calls[0]?.name } } });
    expect((error as Error).message).toMatch(message);
    expect(ran).toEqual([]);
  });

  it("toolErrors 'reply' sends the error to the model as the call's result and carries on", async () => {
    const runner = runTools(
      client,
      { model: "fake-unknown-tool", messages, tools: [calculator] },
      { toolErrors: "reply" },
    );
    expect(await runner.finalContent()).toBe(FINAL);
    const tool = (lastRequest("fake-unknown-tool").messages as { role: string; content: string }[]).at(-1);
    expect(tool?.role).toBe("tool");
    expect(tool?.content).toMatch(
      /^ToolCallError: The model's call to 'teleport' names a tool that was not given/,
    );
  });

  it("maxRounds: a model still calling tools after the last round is a MaxToolRoundsError", async () => {
    ran.length = 0;
    const runner = runTools(
      client,
      { model: "fake-tools", messages, tools: [calculator, weather] },
      { maxRounds: 1 },
    );
    const error = await runner.finalChatCompletion().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxToolRoundsError);
    expect((error as MaxToolRoundsError).messages.at(-1)).toMatchObject({ role: "assistant" });
    expect(ran).toEqual([]);
  });

  it("abort from inside a tool: no further tool runs, no further request, final rejects", async () => {
    const before = fakes["fake-tools"]?.requests.length ?? 0;
    const seen: string[] = [];
    const controller = new AbortController();
    const stopper = defineTool({
      name: "calculator",
      parameters: z.object({ expression: z.string() }),
      run: (_args, { signal }) => {
        seen.push("calculator");
        controller.abort();
        expect(signal.aborted).toBe(true);
        return "stopped";
      },
    });
    const runner = runTools(
      client,
      { model: "fake-tools", messages, tools: [stopper, weather] },
      { signal: controller.signal },
    );
    const events: string[] = [];
    for await (const event of runner) events.push(event.type);
    expect(events).toEqual(["completion", "tool_call"]);
    expect(seen).toEqual(["calculator"]);
    await expect(runner.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);
    expect(fakes["fake-tools"]?.requests.length).toBe(before + 1);
  });
});

const Forecast = z.object({
  city: z.string(),
  temperature_c: z.number(),
  conditions: z.enum(["sun", "rain"]),
});

describe("SDK parse() through the Node gateway (FAKE vLLM JSON upstream)", () => {
  it("returns the answer parsed and typed by a zod schema, sent as JSON Schema", async () => {
    const completion = await client.chat.completions.parse({
      model: "fake-tools",
      messages: [{ role: "user", content: "Forecast for Oslo as JSON" }],
      response_format: responseFormat(Forecast, "forecast"),
    });
    const parsed = completion.choices[0]?.message.parsed;
    expect(parsed).toEqual(FORECAST);
    // Typed: a wrong field name would not compile.
    expect(parsed?.temperature_c).toBe(7);
    expect(completion._request_id).toMatch(/^req_/);
    expect(lastRequest("fake-tools").response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "forecast",
        strict: true,
        schema: {
          type: "object",
          properties: {
            city: { type: "string" },
            temperature_c: { type: "number" },
            conditions: { type: "string", enum: ["sun", "rain"] },
          },
          required: ["city", "temperature_c", "conditions"],
          additionalProperties: false,
        },
      },
    });
  });

  it("a plain JSON Schema wrapped by jsonSchema() is checked by @cfworker/json-schema", async () => {
    const schema = jsonSchema<{ city: string; temperature_c: number }>({
      type: "object",
      properties: { city: { type: "string" }, temperature_c: { type: "number" } },
      required: ["city", "temperature_c"],
    });
    const format = responseFormat(schema, "forecast");
    const ok = await client.chat.completions.parse({
      model: "fake-tools",
      messages,
      response_format: format,
    });
    expect(ok.choices[0]?.message.parsed?.city).toBe("Oslo");
    const error = await client.chat.completions
      .parse({ model: "fake-wrong-json", messages, response_format: format })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect(error).toMatchObject({ reason: "schema", issues: [{ path: ["temperature_c"] }] });
    expect((error as Error).message).toMatch(/temperature_c: Instance type "string" is invalid/);
  });

  it("schema-invalid output (zod) is a StructuredOutputError with the issues and the text", async () => {
    const error = await client.chat.completions
      .parse({ model: "fake-wrong-json", messages, response_format: responseFormat(Forecast, "forecast") })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StructuredOutputError);
    const failure = error as StructuredOutputError;
    expect(failure.reason).toBe("schema");
    expect(failure.issues.map((i) => i.path)).toEqual([["temperature_c"]]);
    expect(failure.content).toBe(FAKES["fake-wrong-json"]?.json);
    expect(failure.completion.choices[0]?.finish_reason).toBe("stop");
  });

  it("output that is not JSON is a StructuredOutputError (json); json_object parses without a schema", async () => {
    const error = await client.chat.completions
      .parse({ model: "fake-not-json", messages, response_format: responseFormat(Forecast, "forecast") })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "StructuredOutputError", reason: "json" });
    const loose = await client.chat.completions.parse({
      model: "fake-tools",
      messages,
      response_format: { type: "json_object" },
    });
    expect(loose.choices[0]?.message.parsed).toEqual(FORECAST);
    const text = await client.chat.completions.parse({ model: "fake-tools", messages });
    expect(text.choices[0]?.message).toMatchObject({ content: "Hello.", parsed: null });
  });

  it("runTools with a response format parses the final answer", async () => {
    const runner = runTools(client, {
      model: "fake-tools",
      messages,
      tools: [calculator, weather],
      tool_choice: "none",
      response_format: responseFormat(Forecast, "forecast"),
    });
    const parsed = await runner.finalParsed();
    expect(parsed?.conditions).toBe("rain");
  });
});

describe("SDK against a real Petrel backend server (tiny-random, constrained decoding)", () => {
  it("runTools: a forced call cut off by max_tokens is a ToolCallError (length), nothing runs", async () => {
    ran.length = 0;
    const runner = runTools(client, {
      model: "tiny-random",
      messages,
      tools: [calculator],
      tool_choice: "required",
      parallel_tool_calls: false,
      max_tokens: 48,
      seed: 1,
    });
    const error = await runner.finalChatCompletion().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolCallError);
    expect(error).toMatchObject({ reason: "length", toolCall: { function: { name: "calculator" } } });
    expect((error as Error).message).toBe(
      "The model's call to 'calculator' has arguments that are cut off by the token limit",
    );
    expect(runner.completions[0]?.choices[0]?.finish_reason).toBe("length");
    expect(ran).toEqual([]);
  });

  it("runTools: the engine's forced call is run here, its result sent back, and the engine answers", async () => {
    ran.length = 0;
    const runner = runTools(client, {
      model: "tiny-random",
      messages,
      tools: [calculator],
      tool_choice: "required",
      parallel_tool_calls: false,
      max_tokens: 96,
      seed: 1,
    });
    const final = await runner.finalChatCompletion();
    expect(runner.completions[0]?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(final.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatch(/^calculator\(/);
    expect(runner.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
  });

  it("parse: the engine's JSON answer validates against the zod schema", async () => {
    const Answer = z.object({ answer: z.number().int(), unit: z.enum(["cm", "kg"]) });
    const completion = await client.chat.completions.parse({
      model: "tiny-random",
      messages,
      max_tokens: 48,
      seed: 3,
      response_format: responseFormat(Answer, "answer"),
    });
    const parsed = completion.choices[0]?.message.parsed;
    expect(Answer.safeParse(parsed).success).toBe(true);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
  });
});
