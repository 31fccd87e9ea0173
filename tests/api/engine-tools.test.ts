// Tools and structured outputs on the embedded engine, in-process: createApp → gateway → engine
// backend → the real engine (onnxruntime-node) with XGrammar. "tiny-tools" is model-export's random
// tiny model with its tools template and Hermes markup (tests/helpers/tool-model.ts); "tiny-random"
// declares no markup and its template ignores tools. Every response is checked against the contract; every call's arguments against its schema.
import { fileURLToPath } from "node:url";
import { type Schema, Validator } from "@cfworker/json-schema";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../service/src/engine/index.js";
import { createEngineBackend } from "../../service/src/gateway/engine-backend.js";
import { createGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import { nodeGrammar } from "../../service/src/grammar/node.js";
import { createApp } from "../../service/src/http/index.js";
import { nodeSessions } from "../../service/src/ort/node.js";
import { readModelDir } from "../../service/src/ort/node-files.js";
import { assertResponseMatchesContract, sseData } from "../helpers/contract.js";
import { toolModelFiles } from "../helpers/tool-model.js";

const addArgs = {
  type: "object",
  properties: { a: { type: "integer" }, b: { type: "integer" } },
  required: ["a", "b"],
  additionalProperties: false,
};
const cityArgs = {
  type: "object",
  properties: { city: { type: "string" }, unit: { enum: ["celsius", "fahrenheit"] } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const tools = [
  { type: "function", function: { name: "add", description: "Adds two integers", parameters: addArgs } },
  { type: "function", function: { name: "weather", parameters: cityArgs } },
];
const validators: Record<string, Validator> = {
  add: new Validator(addArgs as Schema, "2020-12"),
  weather: new Validator(cityArgs as Schema, "2020-12"),
};
const messages = [{ role: "user", content: "What is 12 + 30?" }];

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const engines: Record<string, Promise<Engine>> = {
    "tiny-tools": toolModelFiles().then((files) =>
      createEngine({ id: "tiny-tools", files, sessions: nodeSessions(), grammar: nodeGrammar() }),
    ),
    "tiny-random": readModelDir(fileURLToPath(new URL("../../models/tiny-random", import.meta.url))).then(
      (files) => createEngine({ id: "tiny-random", files, sessions: nodeSessions(), grammar: nodeGrammar() }),
    ),
  };
  const route = { backends: [{ id: "embedded", kind: "embedded" }] };
  const config = parseGatewayConfig({ models: { "tiny-tools": route, "tiny-random": route } });
  const gateway = createGateway({
    config,
    embedded: (model, b) =>
      createEngineBackend({ id: b.id, engine: () => engines[model.id] as Promise<Engine> }),
  });
  app = createApp({ gateway });
  await Promise.all(Object.values(engines));
});

async function chat(body: Record<string, unknown>) {
  const response = await app.request("/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "tiny-tools", messages, ...body }),
  });
  await assertResponseMatchesContract("POST", "/v1/chat/completions", response.clone());
  return response;
}

type Call = { id: string; type: string; function: { name: string; arguments: string } };
function expectValidCalls(calls: Call[], names: string[]): void {
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls) {
    expect(call.id).toMatch(/^call_/);
    expect(names).toContain(call.function.name);
    const args = JSON.parse(call.function.arguments);
    expect(validators[call.function.name]?.validate(args).errors).toEqual([]);
  }
}

describe("tool_choice required / named (the grammar forces the calls)", () => {
  it("non-streamed: content null, calls valid against their tool's schema, finish_reason tool_calls", async () => {
    for (const seed of [1, 2, 3, 4]) {
      const body = await (await chat({ tools, tool_choice: "required", temperature: 1, seed })).json();
      const [choice] = body.choices;
      expect(choice.finish_reason).toBe("tool_calls");
      expect(choice.message.content).toBeNull();
      expectValidCalls(choice.message.tool_calls, ["add", "weather"]);
    }
  });

  it("streamed exactly as OpenAI streams calls, and the same seed gives the same calls as non-streamed", async () => {
    const body = { tools, tool_choice: "required", temperature: 1, seed: 7 };
    const whole = await (await chat(body)).json();
    const events = sseData(await (await chat({ ...body, stream: true })).text());
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const deltas = chunks.map((c) => c.choices[0]?.delta ?? {});
    expect(deltas.some((d) => typeof d.content === "string" && d.content.includes("<tool_call>"))).toBe(
      false,
    );
    const calls: Call[] = [];
    for (const delta of deltas) {
      for (const part of delta.tool_calls ?? []) {
        if (part.id) {
          expect(part).toMatchObject({ index: calls.length, type: "function", function: { arguments: "" } });
          calls.push({ id: part.id, type: part.type, function: { name: part.function.name, arguments: "" } });
        } else {
          expect(Object.keys(part).sort()).toEqual(["function", "index"]);
          (calls[part.index] as Call).function.arguments += part.function.arguments;
        }
      }
    }
    expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls");
    const strip = (c: Call[]) => c.map(({ function: f }) => f);
    expect(strip(calls)).toEqual(strip(whole.choices[0].message.tool_calls));
  });

  it("a named function: exactly one call, of that function", async () => {
    for (const seed of [1, 2, 3]) {
      const named = { type: "function", function: { name: "weather" } };
      const body = await (await chat({ tools, tool_choice: named, temperature: 1, seed })).json();
      expect(body.choices[0].message.tool_calls).toHaveLength(1);
      expectValidCalls(body.choices[0].message.tool_calls, ["weather"]);
    }
  });

  it("parallel_tool_calls false: one call; n choices each get their own calls", async () => {
    const body = await (
      await chat({
        tools,
        tool_choice: "required",
        parallel_tool_calls: false,
        n: 3,
        temperature: 1,
        seed: 5,
      })
    ).json();
    for (const choice of body.choices) {
      expect(choice.message.tool_calls).toHaveLength(1);
      expectValidCalls(choice.message.tool_calls, ["add", "weather"]);
    }
  });

  it("a model that declares no markup is forced into Hermes markup, parsed the same way", async () => {
    const body = await (
      await chat({ model: "tiny-random", tools, tool_choice: "required", temperature: 1, seed: 3 })
    ).json();
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    expectValidCalls(body.choices[0].message.tool_calls, ["add", "weather"]);
  });
});

describe("200 seeded sampled runs at temperature 1", () => {
  it("tool_choice required: every call of every run validates (25 requests of n=8, sampling knobs varied)", async () => {
    let calls = 0;
    for (let r = 0; r < 25; r++) {
      const knobs = [
        {},
        { top_p: 0.9 },
        { top_k: 20 },
        { logit_bias: { "10": 5, "11": -100 } },
        { min_p: 0.05 },
      ][r % 5];
      const body = await (
        await chat({ tools, tool_choice: "required", temperature: 1, seed: 1000 + r, n: 8, ...knobs })
      ).json();
      expect(body.choices).toHaveLength(8);
      for (const choice of body.choices) {
        expect(choice.finish_reason).toBe("tool_calls");
        expectValidCalls(choice.message.tool_calls, ["add", "weather"]);
        calls += choice.message.tool_calls.length;
      }
    }
    expect(calls).toBeGreaterThanOrEqual(200);
  }, 300_000);
});

describe("tool_choice auto and none", () => {
  it("auto: text or calls, calls always valid, markup never in content", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const body = await (await chat({ tools, temperature: 1, seed })).json();
      const { message, finish_reason } = body.choices[0];
      expect(message.content ?? "").not.toMatch(/<\/?tool_call>/);
      if (message.tool_calls) {
        expectValidCalls(message.tool_calls, ["add", "weather"]);
        if (finish_reason !== "length") expect(finish_reason).toBe("tool_calls");
      }
    }
  });

  it("the template renders the tools (more prompt tokens), and none renders none", async () => {
    const usage = async (extra: Record<string, unknown>) =>
      (await (await chat({ max_tokens: 1, ...extra })).json()).usage.prompt_tokens;
    const plain = await usage({});
    expect(await usage({ tools })).toBeGreaterThan(plain + 40);
    expect(await usage({ tools, tool_choice: "none" })).toBe(plain);
  });

  it("a model that declares no markup answers auto in text: no tool_calls", async () => {
    const body = await (await chat({ model: "tiny-random", tools, temperature: 1, seed: 2 })).json();
    expect(body.choices[0].message.tool_calls).toBeUndefined();
    expect(typeof body.choices[0].message.content).toBe("string");
  });

  it("a follow-up turn with the assistant's calls and tool results renders and answers", async () => {
    const call = {
      id: "call_1",
      type: "function",
      function: { name: "add", arguments: '{"a": 12, "b": 30}' },
    };
    const turn = [
      ...messages,
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: "call_1", content: "42" },
    ];
    const response = await chat({ messages: turn, tools, tool_choice: "none", max_tokens: 4 });
    expect(response.status).toBe(200);
    expect((await response.json()).usage.prompt_tokens).toBeGreaterThan(20);
  });
});

describe("response_format", () => {
  const schema = { type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] };
  it("json_schema: the content validates; json_object: an object", async () => {
    const validator = new Validator(schema as Schema, "2020-12");
    for (const seed of [1, 2, 3]) {
      const format = { type: "json_schema", json_schema: { name: "a", schema, strict: true } };
      const body = await (await chat({ response_format: format, temperature: 1, seed })).json();
      expect(validator.validate(JSON.parse(body.choices[0].message.content)).errors).toEqual([]);
      const object = await (
        await chat({ response_format: { type: "json_object" }, temperature: 1, seed })
      ).json();
      expect(JSON.parse(object.choices[0].message.content)).toBeTypeOf("object");
    }
  });

  it.each([
    [
      { response_format: { type: "json_schema", json_schema: { name: "x", schema: { not: {} } } } },
      "response_format",
    ],
    [
      {
        tools: [{ type: "function", function: { name: "f", parameters: { not: {} } } }],
        tool_choice: "required",
      },
      "tools",
    ],
  ])("a schema the grammar engine cannot compile is a 400 naming the param (%j)", async (body, param) => {
    const response = await chat(body);
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error).toMatchObject({ param, type: "invalid_request_error" });
    expect(error.message).toMatch(/not/);
  });
});
