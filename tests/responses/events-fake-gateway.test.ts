// POST /v1/responses in-process (app.request, fake gateway, real SQLite store): the JSON object, the
// exact event order OpenAI streams (text, tool calls, max_output_tokens, a mid-stream failure), and the
// chat request each Responses request becomes. Every answer is validated against the contract.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../service/src/protocol/errors.js";
import type { Step } from "../helpers/fake-gateway.js";
import { create, createStream, responsesApp } from "./helpers.js";

type Final = { id: string; status: string; output: Record<string, unknown>[]; usage: unknown };
/** The response object of the last (lifecycle) event. */
const finalOf = (events: Record<string, unknown>[]) => {
  const response = events.at(-1)?.response;
  if (!response) throw new Error("the stream did not end with a lifecycle event");
  return response as Final;
};

const calls: Step[] = [
  {
    toolCall: { index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } },
  },
  { toolCall: { index: 0, function: { arguments: '{"city":' } } },
  { toolCall: { index: 0, function: { arguments: '"Oslo"}' } } },
  { toolCall: { index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } } },
  { finish: "tool_calls" },
  { usage: { prompt: 20, completion: 9 } },
];

describe("POST /v1/responses with a fake gateway", () => {
  it("answers the response object: output message, usage in Responses names, settings echoed", async () => {
    const { app } = responsesApp();
    const response = await create(app, { input: "Hi", instructions: "Be brief.", temperature: 0.5 });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      object: "response",
      status: "completed",
      instructions: "Be brief.",
      temperature: 0.5,
      top_p: 1,
      tool_choice: "auto",
      store: true,
      truncation: "disabled",
      incomplete_details: null,
      error: null,
      output: [{ type: "message", role: "assistant", status: "completed" }],
      usage: {
        input_tokens: 5,
        output_tokens: 2,
        total_tokens: 7,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(body.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(body.output[0].id).toMatch(/^msg_/);
    expect(body.output[0].content).toEqual([{ type: "output_text", text: "Hello world", annotations: [] }]);
  });

  it("streams text in OpenAI's order with consecutive sequence numbers and the final object", async () => {
    const { app } = responsesApp();
    const { response, events } = await createStream(app, { input: "Hi" });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]).toMatchObject({ response: { status: "in_progress", output: [] } });
    expect(events.filter((e) => e.type.endsWith(".delta")).map((e) => e.delta)).toEqual(["Hello", " world"]);
    expect(events[6]).toMatchObject({ text: "Hello world", output_index: 0, content_index: 0 });
    const final = finalOf(events);
    expect(final.id).toBe(finalOf(events.slice(0, 1)).id);
    expect(final.output).toEqual([events[8]?.item]);
    expect(final.usage).toMatchObject({ input_tokens: 5, output_tokens: 2 });
  });

  it("streams tool calls: one function_call item per call, argument deltas, then response.completed", async () => {
    const { app } = responsesApp({ gateway: { script: () => calls } });
    const tools = [
      { type: "function", name: "get_weather", parameters: { type: "object" } },
      { type: "function", name: "get_time" },
    ];
    const { events } = await createStream(app, { input: "Weather and time?", tools });
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const final = finalOf(events);
    expect(final.status).toBe("completed");
    expect(final.output).toMatchObject([
      {
        type: "function_call",
        call_id: "call_a",
        name: "get_weather",
        arguments: '{"city":"Oslo"}',
        status: "completed",
      },
      { type: "function_call", call_id: "call_b", name: "get_time", arguments: "{}", status: "completed" },
    ]);
    expect(events[5]).toMatchObject({ arguments: '{"city":"Oslo"}', output_index: 0 });
    expect(events[8]).toMatchObject({ delta: "{}", output_index: 1 });
  });

  it("text before a tool call is a finished message item before the function_call item", async () => {
    const script = (): Step[] => [{ text: "Let me check." }, ...calls.slice(0, 3), { finish: "tool_calls" }];
    const { app } = responsesApp({ gateway: { script } });
    const { events } = await createStream(app, { input: "Weather?" });
    const types = events.map((e) => e.type);
    expect(types.indexOf("response.output_item.done")).toBeLessThan(
      types.lastIndexOf("response.output_item.added"),
    );
    expect(finalOf(events).output.map((o) => o.type)).toEqual(["message", "function_call"]);
  });

  it("a length finish is response.incomplete with incomplete_details.reason max_output_tokens", async () => {
    const { app, gateway } = responsesApp({
      gateway: {
        script: () => [{ text: "Once upon" }, { finish: "length" }, { usage: { prompt: 3, completion: 4 } }],
      },
    });
    const { events } = await createStream(app, { input: "Tell a story", max_output_tokens: 4 });
    expect(events.at(-1)).toMatchObject({
      type: "response.incomplete",
      response: {
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        max_output_tokens: 4,
        output: [{ status: "incomplete" }],
      },
    });
    expect(gateway.requests[0]).toMatchObject({ max_completion_tokens: 4 });
  });

  it("a failure after the start is response.failed with an error, and the failed response is stored", async () => {
    const fail = new ApiError(502, "Upstream u1 failed mid-stream: boom", "server_error", "upstream_error");
    const { app, store } = responsesApp({ gateway: { script: () => [{ text: "Hel" }, { fail }] } });
    const { events } = await createStream(app, { input: "Hi" });
    const last = events.at(-1) as { type: string; response: { id: string; status: string; error: unknown } };
    expect(last.type).toBe("response.failed");
    expect(last.response.error).toEqual({ code: "server_error", message: fail.message });
    expect((await store.store.get("alice", last.response.id))?.status).toBe("failed");
  });

  it("translates items, tools, tool_choice and text.format into the chat request", async () => {
    const { app, gateway } = responsesApp();
    const schema = { type: "object", properties: { c: { type: "number" } } };
    await create(app, {
      instructions: "Use tools.",
      input: [
        { role: "user", content: [{ type: "input_text", text: "Weather in Oslo?" }] },
        { type: "function_call", call_id: "call_a", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call", call_id: "call_b", name: "get_time", arguments: "{}" },
        { type: "function_call_output", call_id: "call_a", output: '{"c":21}' },
        { type: "function_call_output", call_id: "call_b", output: [{ type: "input_text", text: "noon" }] },
      ],
      tools: [{ type: "function", name: "get_weather", description: "d", parameters: schema, strict: true }],
      tool_choice: { type: "function", name: "get_weather" },
      parallel_tool_calls: false,
      text: { format: { type: "json_schema", name: "w", schema, strict: true } },
      top_p: 0.9,
    });
    expect(gateway.requests[0]).toEqual({
      model: "petrel-mini",
      messages: [
        { role: "system", content: "Use tools." },
        { role: "user", content: "Weather in Oslo?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_a",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
            },
            { id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: '{"c":21}' },
        { role: "tool", tool_call_id: "call_b", content: "noon" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "d", parameters: schema, strict: true },
        },
      ],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "w", schema, strict: true } },
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("refuses what it cannot serve with OpenAI-shaped 400/404s naming the param", async () => {
    const { app, gateway } = responsesApp();
    const call = { type: "function_call", call_id: "call_a", name: "get_time", arguments: "{}" };
    const output = { type: "function_call_output", call_id: "call_a", output: "noon" };
    const cases: [Record<string, unknown>, number, string | null, string | null][] = [
      [{ input: undefined }, 400, "input", "missing_required_parameter"],
      [{ input: [{ type: "web_search_call", id: "x" }] }, 400, null, null],
      [{ input: "Hi", tool_choice: "required" }, 400, "tool_choice", "invalid_value"],
      [{ input: "Hi", background: true }, 400, "background", "invalid_value"],
      [{ input: "Hi", truncation: "sometimes" }, 400, "truncation", "invalid_value"],
      [{ input: "Hi", model: "gpt-nope" }, 404, "model", "model_not_found"],
      [{ input: "Hi", previous_response_id: "resp_missing" }, 404, "previous_response_id", "not_found"],
      [{ input: [{ type: "item_reference", id: "msg_missing" }] }, 404, "input[0]", "item_not_found"],
      // a function_call_output must answer a function_call before it (here: none, then a later one)
      [
        { input: [{ type: "function_call_output", call_id: "call_a", output: "1" }] },
        400,
        "input[0]",
        "invalid_value",
      ],
      [{ input: [{ role: "user", content: "Hi" }, output, call] }, 400, "input[1]", "invalid_value"],
    ];
    for (const [body, status, param, code] of cases) {
      const response = await create(app, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      const { error } = await response.json();
      if (param !== null) expect(error.param, JSON.stringify(body)).toBe(param);
      if (code !== null) expect(error.code, JSON.stringify(body)).toBe(code);
    }
    expect(gateway.requests).toHaveLength(0);
  });
});
