// Tool round trips over the Responses API on Petrel's own engine: real `wrangler dev` (the repository's
// wrangler.toml, petrel-mini in-worker, stored responses in the Durable Object), real clients, the two
// tools petrel-mini was trained on (tests/helpers/petrel-mini-tools.ts). tool_choice
// required / named is forced by the grammar, so every assertion here holds for any output the grammar
// allows: calls are checked against their tool's JSON Schema, never against the model's words. Turns
// that must end in a message run with tool_choice "none" (nothing is parsed as a call) at temperature 0,
// so whether they stop before max_output_tokens is reproducible. Every response and stream event the
// clients saw is checked against the contract.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, tool } from "ai";
import OpenAI from "openai";
import type {
  Response as OpenAIResponse,
  ResponseFunctionToolCall,
} from "openai/resources/responses/responses";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  expectValidArguments,
  type ToolName,
  toolDescriptions,
  toolSchemas,
  responsesTools as tools,
} from "../helpers/petrel-mini-tools.js";
import { recordingFetch } from "../helpers/recording-fetch.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";

const MODEL = "petrel-mini";
// Calls in one turn: petrel-mini's 512-token context allows 4 (engine/grammar/bounds.ts)
const MAX_CALLS = 4;
const SAMPLES = 4;
const CALC = "What is 123 * 45?";
const WEATHER = "What's the weather in Oslo?";

function expectCalls(response: OpenAIResponse, only?: ToolName): ResponseFunctionToolCall[] {
  expect(response.status).toBe("completed");
  expect(response.output.length).toBeGreaterThan(0);
  expect(response.output.length).toBeLessThanOrEqual(only ? 1 : MAX_CALLS);
  const calls = response.output.flatMap((item) => (item.type === "function_call" ? [item] : []));
  expect(calls).toHaveLength(response.output.length); // a forced turn has no message
  for (const call of calls) {
    if (only) expect(call.name).toBe(only);
    expectValidArguments(call.name, call.arguments);
    expect(call.status).toBe("completed");
    expect(call.call_id).toMatch(/\S/);
  }
  expect(new Set(calls.map((c) => c.call_id)).size).toBe(calls.length);
  expectUsage(response);
  return calls;
}

function expectUsage(response: OpenAIResponse) {
  const usage = response.usage;
  expect(usage?.input_tokens).toBeGreaterThan(0);
  expect(usage?.output_tokens).toBeGreaterThan(0);
  expect(usage?.total_tokens).toBe((usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0));
}

const recorder = recordingFetch();
let worker: RunningWrangler;
let validated = 0;
const baseURL = () => `${worker.url}/v1`;
const client = () =>
  new OpenAI({ baseURL: baseURL(), apiKey: "sk-local", maxRetries: 0, fetch: recorder.fetch });

beforeAll(async () => {
  worker = await startWrangler({
    persistTo: mkdtempSync(join(tmpdir(), "petrel-responses-engine-tools-")),
    vars: { PETREL_OPEN_ACCESS: "1" },
  });
});
afterAll(async () => {
  await worker?.stop();
});
afterEach(async () => {
  validated += await recorder.check();
});

describe("official openai package: function calls from the in-worker engine over the Responses API", () => {
  it("create() with tool_choice required: valid calls; their outputs, chained by previous_response_id, get a completed message", async () => {
    const first = await client().responses.create({
      model: MODEL,
      input: CALC,
      tools,
      tool_choice: "required",
      temperature: 0,
    });
    const calls = expectCalls(first);
    const second = await client().responses.create({
      model: MODEL,
      previous_response_id: first.id,
      tools,
      tool_choice: "none",
      temperature: 0,
      max_output_tokens: 64,
      input: calls.map((c) => ({
        type: "function_call_output" as const,
        call_id: c.call_id,
        output: "5535",
      })),
    });
    expect(second.status).toBe("completed");
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output).toHaveLength(1);
    const [message] = second.output;
    expect(message?.type === "message" && message.role === "assistant" && message.status).toBe("completed");
    const parts = message?.type === "message" ? message.content : [];
    expect(parts.map((p) => p.type)).toEqual(["output_text"]);
    expect(second.output_text).toBe(parts[0]?.type === "output_text" ? parts[0].text : undefined);
    expectUsage(second);
    // the outputs were stored as the second response's input items, by call id
    const items = await client().responses.inputItems.list(second.id, { order: "asc" });
    expect(items.data.map((i) => i.type === "function_call_output" && i.call_id)).toEqual(
      calls.map((c) => c.call_id),
    );
    // an output that answers no call of the chain is refused, naming the item
    const stray = { type: "function_call_output" as const, call_id: "call_none", output: "5535" };
    await expect(
      client().responses.create({ model: MODEL, previous_response_id: first.id, input: [stray] }),
    ).rejects.toMatchObject({ status: 400, param: "input[0]", code: "invalid_value" });
  });

  it("create() sampled at temperature 1: required gives 1 to 4 valid calls, a named tool exactly one call to it", async () => {
    for (let i = 0; i < SAMPLES; i++) {
      const input = i % 2 ? CALC : WEATHER;
      const required = await client().responses.create({
        model: MODEL,
        input,
        tools,
        tool_choice: "required",
        temperature: 1,
      });
      expectCalls(required);
      for (const name of ["get_weather", "calculator"] as const) {
        const named = await client().responses.create({
          model: MODEL,
          input,
          tools,
          tool_choice: { type: "function", name },
          temperature: 1,
        });
        expectCalls(named, name);
      }
    }
  });

  it("stream(): each call's argument deltas join to its done event's arguments, which validate", async () => {
    const choices = ["required", { type: "function" as const, name: "get_weather" as const }] as const;
    for (const choice of [...choices, ...choices]) {
      const stream = client().responses.stream({ model: MODEL, input: WEATHER, tools, tool_choice: choice });
      const deltas = new Map<string, string>();
      const done = new Map<string, string>();
      const added = new Map<string, string>();
      stream.on("response.output_item.added", ({ item }) => {
        if (item.type === "function_call" && item.id) added.set(item.id, item.name);
      });
      stream.on("response.function_call_arguments.delta", (e) =>
        deltas.set(e.item_id, (deltas.get(e.item_id) ?? "") + e.delta),
      );
      stream.on("response.function_call_arguments.done", (e) => done.set(e.item_id, e.arguments));
      const final = await stream.finalResponse();
      const calls = expectCalls(final, typeof choice === "object" ? choice.name : undefined);
      expect([...done.keys()]).toEqual(calls.map((c) => c.id));
      expect([...added.values()]).toEqual(calls.map((c) => c.name));
      for (const call of calls) {
        expect(deltas.get(call.id ?? "")).toBe(call.arguments);
        expect(done.get(call.id ?? "")).toBe(call.arguments);
      }
    }
  });
});

describe("AI SDK (@ai-sdk/openai default provider, Responses) running tools on the in-worker engine", () => {
  // the request bodies the provider sent, to see how it carried the first step into the second
  const sent: { input: { type?: string; call_id?: string }[] }[] = [];
  const sending: typeof fetch = (input, init) => {
    if (typeof init?.body === "string") sent.push(JSON.parse(init.body));
    return recorder.fetch(input, init);
  };
  const provider = () => createOpenAI({ baseURL: baseURL(), apiKey: "sk-local", fetch: sending });
  const ran: { name: ToolName; input: unknown }[] = [];
  const aiTools = {
    calculator: tool({
      description: toolDescriptions.calculator,
      inputSchema: toolSchemas.calculator,
      execute: async (input) => {
        ran.push({ name: "calculator", input });
        return "5535";
      },
    }),
    get_weather: tool({
      description: toolDescriptions.get_weather,
      inputSchema: toolSchemas.get_weather,
      execute: async (input) => {
        ran.push({ name: "get_weather", input });
        return { city: input.city, temperature: 7, unit: input.unit, condition: "cloudy" };
      },
    }),
  };

  it("generateText with toolChoice required and stopWhen stepCountIs(1): the tools run with valid input and the run ends", async () => {
    ran.length = 0;
    const result = await generateText({
      model: provider()(MODEL),
      prompt: CALC,
      tools: aiTools,
      toolChoice: "required",
      stopWhen: stepCountIs(1),
      maxRetries: 0,
    });
    expect(result.steps).toHaveLength(1);
    expect(result.finishReason).toBe("tool-calls");
    expect(result.toolCalls.length).toBeGreaterThan(0);
    expect(result.content.filter((part) => part.type === "tool-error")).toEqual([]);
    expect(ran.map((r) => r.name)).toEqual(result.toolCalls.map((c) => c.toolName));
    for (const { name, input } of ran) expect(toolSchemas[name].strict().safeParse(input).success).toBe(true);
    expect(result.toolResults).toHaveLength(ran.length);
  });

  it("generateText over two steps (required, then none): the calls and results go back and the last step answers", async () => {
    ran.length = 0;
    sent.length = 0;
    const result = await generateText({
      model: provider()(MODEL),
      prompt: WEATHER,
      tools: aiTools,
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }),
      stopWhen: stepCountIs(2),
      temperature: 0,
      maxOutputTokens: 64,
      maxRetries: 0,
    });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.finishReason).toBe("tool-calls");
    expect(ran.length).toBe(result.steps[0]?.toolCalls.length);
    for (const { name, input } of ran) expect(toolSchemas[name].strict().safeParse(input).success).toBe(true);
    expect(result.steps[1]?.toolCalls).toEqual([]);
    expect(result.finishReason).toBe("stop");
    expect(result.text).toBe(result.steps[1]?.text);
    expect(result.totalUsage.inputTokens).toBeGreaterThan(0);
    // the second request carried the first step's calls (function_call items, as the provider sends
    // its own function tools) and one output per call, by call id
    const second = sent[1]?.input ?? [];
    const ids = result.steps[0]?.toolCalls.map((c) => c.toolCallId);
    const of = (type: string) => second.filter((item) => item.type === type).map((item) => item.call_id);
    expect(of("function_call")).toEqual(ids);
    expect(of("function_call_output")).toEqual(ids);
  });
});

describe("the contract", () => {
  it("every response and stream event of the round trips above matched it", () => {
    expect(validated).toBeGreaterThanOrEqual(4 + 3 * SAMPLES + 4 + 1 + 2);
  });
});
