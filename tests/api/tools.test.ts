// Tools through the HTTP layer with a fake gateway (app.request()): the checks the schema cannot
// express, tool fields reaching the gateway unchanged, and tool-call deltas folded into one
// chat.completion or relayed as SSE.
import { describe, expect, it } from "vitest";
import { createApp } from "../../service/src/http/index.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { fakeGateway, type Step } from "../helpers/fake-gateway.js";

const url = "/v1/chat/completions";
const user = [{ role: "user", content: "What is 12 * 34, and the weather in Oslo?" }];
const calculator = {
  type: "function",
  function: {
    name: "calculator",
    description: "Evaluates arithmetic",
    parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
    strict: true,
  },
};
const weather = {
  type: "function",
  function: { name: "weather", parameters: { type: "object", properties: { city: { enum: ["Oslo"] } } } },
};

async function post(app: ReturnType<typeof createApp>, body: unknown) {
  const response = await app.request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await assertResponseMatchesContract("POST", url, response.clone());
  return response;
}

// Two parallel calls, streamed the way OpenAI streams them: id, type and name first, then fragments.
const TWO_CALLS: Step[] = [
  { toolCall: { index: 0, id: "call_a", type: "function", function: { name: "calculator", arguments: "" } } },
  { toolCall: { index: 0, function: { arguments: '{"expression":' } } },
  { toolCall: { index: 1, id: "call_b", type: "function", function: { name: "weather", arguments: "" } } },
  { toolCall: { index: 0, function: { arguments: '"12*34"}' } } },
  { toolCall: { index: 1, function: { arguments: '{"city":"Oslo"}' } } },
  { finish: "tool_calls" },
  { usage: { prompt: 20, completion: 12 } },
];

describe("tools through the HTTP layer (fake gateway)", () => {
  it.each([
    [{ tool_choice: "auto" }, "tool_choice", /only allowed when 'tools' are specified/],
    [{ tools: [], tool_choice: "none" }, "tool_choice", /only allowed when 'tools' are specified/],
    [
      { tools: [calculator], tool_choice: { type: "function", function: { name: "search" } } },
      "tool_choice.function.name",
      /no function named 'search'/,
    ],
    [{ tool_choice: "sometimes", tools: [calculator] }, "tool_choice", /Invalid value/],
  ])("rejects %j with a 400 naming %s", async (fields, param, message) => {
    const gateway = fakeGateway();
    const response = await post(createApp({ gateway }), { model: "petrel-mini", messages: user, ...fields });
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error).toMatchObject({ type: "invalid_request_error", param });
    expect(error.message).toMatch(message);
    expect(gateway.requests).toHaveLength(0);
  });

  it("rejects a tool message that answers no earlier call, naming its tool_call_id", async () => {
    const call = { id: "call_a", type: "function", function: { name: "calculator", arguments: "{}" } };
    const gateway = fakeGateway();
    const app = createApp({ gateway });
    const orphan = [...user, { role: "tool", content: "408", tool_call_id: "call_a" }];
    const early = [
      ...user,
      { role: "tool", content: "408", tool_call_id: "call_a" },
      { role: "assistant", content: null, tool_calls: [call] },
    ];
    const mismatched = [
      ...user,
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", content: "408", tool_call_id: "call_z" },
    ];
    for (const [messages, index] of [
      [orphan, 1],
      [early, 1],
      [mismatched, 2],
    ] as const) {
      const response = await post(app, { model: "petrel-mini", messages, tools: [calculator] });
      expect(response.status).toBe(400);
      expect((await response.json()).error.param).toBe(`messages[${index}].tool_call_id`);
    }
    expect(gateway.requests).toHaveLength(0);
  });

  it("hands tools, tool_choice, parallel_tool_calls, response_format and tool turns to the gateway unchanged", async () => {
    const gateway = fakeGateway();
    const body = {
      model: "petrel-mini",
      messages: [
        ...user,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_a", type: "function", function: { name: "calculator", arguments: "{}" } }],
        },
        { role: "tool", content: "408", tool_call_id: "call_a" },
      ],
      tools: [calculator, weather],
      tool_choice: { type: "function", function: { name: "weather" } },
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: { name: "answer", schema: { type: "object" }, strict: true },
      },
    };
    expect((await post(createApp({ gateway }), body)).status).toBe(200);
    expect(gateway.requests).toEqual([body]);
  });

  it("folds streamed tool-call fragments into message.tool_calls with content null", async () => {
    const app = createApp({ gateway: fakeGateway({ script: () => TWO_CALLS }) });
    const response = await post(app, { model: "petrel-mini", messages: user, tools: [calculator, weather] });
    expect(response.status).toBe(200);
    const { choices } = await response.json();
    expect(choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: "call_a",
              type: "function",
              function: { name: "calculator", arguments: '{"expression":"12*34"}' },
            },
            { id: "call_b", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
  });

  it("relays tool-call deltas and finish_reason in the SSE stream as the gateway produced them", async () => {
    const app = createApp({ gateway: fakeGateway({ script: () => TWO_CALLS }) });
    const response = await post(app, {
      model: "petrel-mini",
      messages: user,
      tools: [calculator],
      stream: true,
    });
    const events = (await response.text())
      .split("\n\n")
      .filter((e) => e.startsWith("data: {"))
      .map((e) => JSON.parse(e.slice(6)));
    const deltas = events.flatMap((e) =>
      e.choices.flatMap((c: { delta: { tool_calls?: unknown[] } }) => c.delta.tool_calls ?? []),
    );
    const sent = TWO_CALLS.flatMap((s) => ("toolCall" in s ? [s.toolCall] : []));
    expect(deltas).toEqual(sent);
    expect(events.at(-1).choices[0].finish_reason).toBe("tool_calls");
  });
});
