// truncation through the real gateway (createGateway, its retry on ChatContext.shorten) over an
// embedded backend that is a fake standing in for a small context: it refuses, as the engine does
// (400 context_length_exceeded), any conversation of more than 4 messages.
import { describe, expect, it } from "vitest";
import { createGateway, parseGatewayConfig } from "../../service/src/gateway/index.js";
import type {
  ChatBackend,
  ChatCompletionChunk,
  ChatCompletionRequest,
} from "../../service/src/gateway/types.js";
import { createApp } from "../../service/src/http/index.js";
import { ApiError } from "../../service/src/protocol/errors.js";
import { dropOldestTurn } from "../../service/src/responses/index.js";
import { openSqliteResponseStore } from "../../service/src/server/sqlite-response-store.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";

const MAX_MESSAGES = 4;

function fakeSmallContextBackend(seen: ChatCompletionRequest[]): ChatBackend {
  return {
    id: "fake-small-context",
    async start(request) {
      seen.push(request);
      if (request.messages.length > MAX_MESSAGES)
        throw new ApiError(
          400,
          "This model's maximum context length is 64 tokens.",
          "invalid_request_error",
          "context_length_exceeded",
          "messages",
        );
      const head = {
        id: "chatcmpl-1",
        object: "chat.completion.chunk" as const,
        created: 1,
        model: request.model,
      };
      async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
        yield {
          ...head,
          choices: [
            { index: 0, delta: { content: `reply ${request.messages.length}` }, finish_reason: "stop" },
          ],
        };
        yield { ...head, choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } };
      }
      return { backendId: "fake-small-context", chunks: chunks() };
    },
  };
}

function app() {
  const seen: ChatCompletionRequest[] = [];
  const config = parseGatewayConfig({
    models: { "petrel-mini": { backends: [{ id: "small", kind: "embedded" }] } },
  });
  const gateway = createGateway({ config, embedded: () => fakeSmallContextBackend(seen) });
  const { store } = openSqliteResponseStore({ path: ":memory:" });
  return { app: createApp({ gateway, responses: store }), seen };
}

async function create(target: ReturnType<typeof createApp>, body: Record<string, unknown>) {
  const response = await target.request("/v1/responses", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "petrel-mini", ...body }),
  });
  await assertResponseMatchesContract("POST", "/v1/responses", response);
  return response;
}

describe("truncation", () => {
  it("drops whole oldest turns, keeps system messages and the latest turn, and stops when none is left", () => {
    const request: ChatCompletionRequest = {
      model: "m",
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "u1" },
        { role: "assistant", content: null, tool_calls: [] },
        { role: "tool", tool_call_id: "c", content: "t" },
        { role: "user", content: "u2" },
        { role: "assistant", content: "a2" },
        { role: "user", content: "u3" },
      ],
    };
    const once = dropOldestTurn(request);
    expect(once?.messages.map((m) => (m as { content: unknown }).content)).toEqual(["s", "u2", "a2", "u3"]);
    const twice = once && dropOldestTurn(once);
    expect(twice?.messages.map((m) => (m as { content: unknown }).content)).toEqual(["s", "u3"]);
    expect(twice && dropOldestTurn(twice)).toBeUndefined();
  });

  it('"disabled" (the default) answers a chain longer than the context with 400 context_length_exceeded', async () => {
    const { app: target } = app();
    let previous: string | undefined;
    for (const input of ["one", "two"]) {
      const response = await create(target, { input, previous_response_id: previous });
      expect(response.status).toBe(200);
      previous = (await response.json()).id;
    }
    const third = await create(target, { input: "three", previous_response_id: previous });
    expect(third.status).toBe(400);
    expect((await third.json()).error).toMatchObject({
      code: "context_length_exceeded",
      param: "input",
      type: "invalid_request_error",
    });
  });

  it('"auto" drops the oldest turns until the backend accepts, through the same gateway call', async () => {
    const { app: target, seen } = app();
    let previous: string | undefined;
    for (const input of ["one", "two", "three"]) {
      const response = await create(target, {
        input,
        previous_response_id: previous,
        truncation: "auto",
        instructions: "Be brief.",
      });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.truncation).toBe("auto");
      previous = body.id;
    }
    const contents = (r: ChatCompletionRequest | undefined) =>
      r?.messages.map((m) => (m as { content: unknown }).content);
    expect(contents(seen.at(-2))).toEqual(["Be brief.", "one", "reply 2", "two", "reply 4", "three"]);
    expect(contents(seen.at(-1))).toEqual(["Be brief.", "two", "reply 4", "three"]);
  });
});
