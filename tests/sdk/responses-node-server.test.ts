// The SDK's responses resource against the real app served over HTTP on Node (createApp with the
// SQLite store; the gateway is a fake scripted per request, so text, tool calls and a length stop can
// be caused on purpose): typed events, finalResponse() and output_text, retrieve, inputItems, delete.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, Petrel, type ResponseStreamEvent } from "../../sdk/src/index.js";
import { createApp } from "../../service/src/http/index.js";
import { openSqliteResponseStore } from "../../service/src/server/sqlite-response-store.js";
import { fakeGateway, type Step } from "../helpers/fake-gateway.js";

const toolCall: Step[] = [
  { toolCall: { index: 0, id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,' } } },
  { toolCall: { index: 0, function: { arguments: '"b":3}' } } },
  { finish: "tool_calls" },
  { usage: { prompt: 12, completion: 6 } },
];
const scripts: Record<string, Step[]> = {
  tool: toolCall,
  long: [{ text: "Once" }, { text: " upon" }, { finish: "length" }, { usage: { prompt: 4, completion: 2 } }],
};

let server: ReturnType<typeof serve>;
let client: Petrel;
beforeAll(async () => {
  const gateway = fakeGateway({
    script: (request) => {
      const last = JSON.stringify(request.messages.at(-1));
      return (
        Object.entries(scripts).find(([word]) => last.includes(word))?.[1] ?? [
          { text: "Hello" },
          { text: " world" },
          { finish: "stop" },
          { usage: { prompt: 5, completion: 2 } },
        ]
      );
    },
  });
  const app = createApp({ gateway, responses: openSqliteResponseStore({ path: ":memory:" }).store });
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) =>
      resolve(info.port),
    );
  });
  client = new Petrel({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "sk-sdk", maxRetries: 0 });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("SDK responses against the app on Node (fake gateway)", () => {
  it("create returns the response with output_text and a request id", async () => {
    const response = await client.responses.create({ model: "petrel-mini", input: "Hi" });
    expect(response.output_text).toBe("Hello world");
    expect(response.status).toBe("completed");
    expect(response._request_id).toMatch(/^req_/);
  });

  it("stream() is an async iterator of typed events; finalResponse() is the completed object", async () => {
    const stream = await client.responses.stream({ model: "petrel-mini", input: "Hi" });
    const deltas: string[] = [];
    const types: ResponseStreamEvent["type"][] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") deltas.push(event.delta);
    }
    expect(deltas).toEqual(["Hello", " world"]);
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("Hello world");
    expect(final.usage?.total_tokens).toBe(7);
  });

  it("function calls arrive as function_call items; a length stop is an incomplete response", async () => {
    const tools = [{ type: "function" as const, name: "add", parameters: { type: "object" } }];
    const called = await client.responses.create({ model: "petrel-mini", input: "use the tool", tools });
    expect(called.output).toEqual([
      expect.objectContaining({
        type: "function_call",
        call_id: "call_1",
        name: "add",
        arguments: '{"a":2,"b":3}',
      }),
    ]);
    expect(called.output_text).toBe("");
    const stream = await client.responses.create({
      model: "petrel-mini",
      input: "a long story",
      stream: true,
    });
    const final = await stream.finalResponse();
    expect(final).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
    });
    expect(await (await client.responses.stream({ model: "petrel-mini", input: "Hi" })).finalText()).toBe(
      "Hello world",
    );
  });

  it("retrieve, inputItems.list and delete; a deleted response is a NotFoundError", async () => {
    const created = await client.responses.create({
      model: "petrel-mini",
      input: [
        { role: "user", content: "first" },
        { role: "user", content: "second" },
      ],
    });
    const again = await client.responses.retrieve(created.id);
    expect(again.output_text).toBe("Hello world");
    expect(again.id).toBe(created.id);
    const page = await client.responses.inputItems.list(created.id, { order: "asc", limit: 1 });
    expect(page.has_more).toBe(true);
    expect(page.data[0]).toMatchObject({ type: "message", role: "user", content: [{ text: "first" }] });
    expect(await client.responses.delete(created.id)).toEqual({
      id: created.id,
      object: "response",
      deleted: true,
    });
    await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
