// Conformance for tools and structured outputs: the OFFICIAL `openai` package against the real Node
// gateway process (service/src/entry/node-gateway.ts) in front of a FAKE vLLM that streams tool calls
// (tests/helpers/fake-vllm-tools.ts) and a real Petrel backend server (tiny-random), whose engine
// forces a call with its grammar. Every response is validated against the contract.
import OpenAI, { BadRequestError } from "openai";
import { zodFunction, zodResponseFormat } from "openai/helpers/zod";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DOCS_SCRIPT_PATH } from "../../service/src/http/index.js";
import { type Proc, startBackend, startNodeGateway, stopAll } from "../backends/helpers/processes.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { type FakeVllm, startFakeVllm } from "../helpers/fake-vllm-tools.js";

const MODEL = "qwen-tools";
const CALLS = [
  { name: "calculator", arguments: '{"expression":"123 * 456"}' },
  { name: "weather", arguments: '{"city":"Oslo","unit":"celsius"}' },
];
const Forecast = z.object({
  city: z.string(),
  temperature_c: z.number(),
  conditions: z.enum(["sun", "rain"]),
});
const FORECAST = { city: "Oslo", temperature_c: 7, conditions: "rain" };
const calculator = zodFunction({ name: "calculator", parameters: z.object({ expression: z.string() }) });
const weather = zodFunction({
  name: "weather",
  parameters: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
});
const messages = [{ role: "user" as const, content: "What is 123 * 456, and how cold is Oslo?" }];

const procs: Proc[] = [];
let fake: FakeVllm;
let gatewayUrl: string;
let seen: { method: string; url: string; response: Promise<Response> }[] = [];

/** Hands the SDK the real response and keeps a copy for the contract check (read at once). */
const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const copy = response
    .clone()
    .text()
    .then((text) => new Response(text, { status: response.status, headers: response.headers }));
  seen.push({ method: init?.method ?? "GET", url, response: copy });
  return response;
};
const client = () =>
  new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: "sk-local", maxRetries: 0, fetch: recordingFetch });

beforeAll(async () => {
  fake = await startFakeVllm({
    calls: CALLS,
    json: JSON.stringify(FORECAST),
    final: "56088, and 7 °C in Oslo.",
  });
  const backend = await startBackend();
  procs.push(backend);
  const gateway = await startNodeGateway({
    models: {
      [MODEL]: { backends: [{ kind: "vllm", url: fake.url, upstreamModel: "Qwen/Qwen2.5-7B-Instruct" }] },
      "tiny-random": { backends: [{ kind: "petrel", url: backend.url }] },
    },
  });
  procs.push(gateway);
  gatewayUrl = gateway.url;
});
afterAll(async () => {
  await stopAll(procs);
  await fake?.close();
});
afterEach(async () => {
  const responses = seen;
  seen = [];
  for (const { method, url, response } of responses)
    await assertResponseMatchesContract(method, url, await response);
});

describe("official openai SDK: tools and structured outputs through the Node gateway (FAKE vLLM)", () => {
  it("create() without streaming returns the calls, content null, finish_reason tool_calls", async () => {
    const completion = await client().chat.completions.create({
      model: MODEL,
      messages,
      tools: [calculator, weather],
      tool_choice: "required",
    });
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    const calls = (choice?.message.tool_calls ?? []).map((c) =>
      c.type === "function" ? c.function : undefined,
    );
    expect(calls).toEqual(CALLS);
    expect(fake.requests.at(-1)).toMatchObject({
      tool_choice: "required",
      model: "Qwen/Qwen2.5-7B-Instruct",
    });
  });

  it("a stream's tool-call deltas assemble in the SDK's ChatCompletionStream, with argument-done events", async () => {
    const stream = client().chat.completions.stream({
      model: MODEL,
      messages,
      tools: [calculator, weather],
      tool_choice: { type: "function", function: { name: "weather" } },
    });
    const done: { name: string; parsed: unknown }[] = [];
    stream.on("tool_calls.function.arguments.done", (e) =>
      done.push({ name: e.name, parsed: e.parsed_arguments }),
    );
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(
      final.choices[0]?.message.tool_calls?.map((c) => c.type === "function" && c.function.name),
    ).toEqual(["calculator", "weather"]);
    expect(done).toEqual([
      { name: "calculator", parsed: { expression: "123 * 456" } },
      { name: "weather", parsed: { city: "Oslo", unit: "celsius" } },
    ]);
    expect(fake.requests.at(-1)?.tool_choice).toEqual({ type: "function", function: { name: "weather" } });
  });

  it("parse() with zodResponseFormat returns the typed object and sends a strict json_schema", async () => {
    const completion = await client().chat.completions.parse({
      model: MODEL,
      messages: [{ role: "user", content: "Forecast for Oslo as JSON." }],
      response_format: zodResponseFormat(Forecast, "forecast"),
    });
    expect(completion.choices[0]?.message.parsed).toEqual(FORECAST);
    expect(fake.requests.at(-1)?.response_format).toMatchObject({
      type: "json_schema",
      json_schema: {
        name: "forecast",
        strict: true,
        schema: { type: "object", required: ["city", "temperature_c", "conditions"] },
      },
    });
  });

  it("runTools() completes a tool loop: calls, local results sent back as tool messages, final answer", async () => {
    const ran: string[] = [];
    const runner = client().chat.completions.runTools({
      model: MODEL,
      messages,
      tools: [
        zodFunction({
          name: "calculator",
          parameters: z.object({ expression: z.string() }),
          function: ({ expression }) => {
            ran.push(expression);
            return "56088";
          },
        }),
        zodFunction({
          name: "weather",
          parameters: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
          function: ({ city }) => {
            ran.push(city);
            return "7 °C";
          },
        }),
      ],
    });
    expect(await runner.finalContent()).toBe("56088, and 7 °C in Oslo.");
    expect(ran).toEqual(["123 * 456", "Oslo"]);
    const last = fake.requests.at(-1)?.messages as { role: string; tool_call_id?: string }[];
    expect(last.slice(-3).map((m) => m.role)).toEqual(["assistant", "tool", "tool"]);
  });

  it("tool_choice without tools is a BadRequestError naming tool_choice, before any upstream call", async () => {
    const before = fake.requests.length;
    const err = await client()
      .chat.completions.create({ model: MODEL, messages, tool_choice: "auto" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).param).toBe("tool_choice");
    expect(fake.requests).toHaveLength(before);
  });

  it("the Node gateway's /docs loads its renderer from the gateway itself", async () => {
    const html = await (await fetch(`${gatewayUrl}/docs`)).text();
    const src = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
    expect(src).toBe(DOCS_SCRIPT_PATH);
    const script = await fetch(`${gatewayUrl}${src}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(1_000_000);
  });

  it("a Petrel backend server answers tool_choice required with a call through the gateway", async () => {
    const completion = await client().chat.completions.create({
      model: "tiny-random",
      messages,
      tools: [calculator],
      tool_choice: "required",
      parallel_tool_calls: false,
      seed: 1,
    });
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("calculator");
    const args = call?.type === "function" ? JSON.parse(call.function.arguments) : undefined;
    expect(z.object({ expression: z.string() }).strict().safeParse(args).success).toBe(true);
  });
});
