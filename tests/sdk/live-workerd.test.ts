// The SDK against the real edge service in real workerd (`wrangler dev`) serving the bundled model:
// create, stream, abort, models, error classes and request ids, all through the public client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  Petrel,
} from "../../sdk/src/index.js";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.js";

const KEY = "sk-petrel-sdk-test";
const MODEL = "petrel-mini";
const REQUEST_ID = /^req_[0-9a-z]+$/i;
const messages = [{ role: "user" as const, content: "Tell me about the sea." }];

let service: WranglerDev;
let client: Petrel;
beforeAll(async () => {
  service = await startWranglerDev({ PETREL_API_KEYS: KEY });
  // Default retries (2): they only ever repeat connection failures and 5xx, never the 4xx asserted here.
  client = new Petrel({ baseURL: service.baseURL, apiKey: KEY });
});
afterAll(() => service?.stop());

describe("live workerd: models", () => {
  it("lists and retrieves the served model, with request ids", async () => {
    const list = await client.models.list();
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toContain(MODEL);
    expect(list._request_id).toMatch(REQUEST_ID);
    const model = await client.models.retrieve(MODEL);
    expect(model).toMatchObject({ id: MODEL, object: "model" });
  });

  it("retrieving an unknown model throws NotFoundError carrying the request id", async () => {
    const error = (await client.models.retrieve("no-such-model").catch((e: unknown) => e)) as APIError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.status).toBe(404);
    expect(error.requestId).toMatch(REQUEST_ID);
    expect(error.headers?.get("x-request-id")).toBe(error.requestId);
  });
});

describe("live workerd: chat completions", () => {
  it("create returns a typed completion with usage and a request id", async () => {
    const { data, requestId, response } = await client.chat.completions
      .create({ model: MODEL, messages, max_tokens: 8, temperature: 0 })
      .withResponse();
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    expect(data.object).toBe("chat.completion");
    expect(typeof data.choices[0]?.message.content).toBe("string");
    expect(data.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeLessThanOrEqual(8);
    expect(requestId).toMatch(REQUEST_ID);
    expect(data._request_id).toBe(requestId);
  });

  it("a greedy stream yields chunks that add up to the same text as create, with usage", async () => {
    const request = { model: MODEL, messages, max_tokens: 12, temperature: 0 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream.requestId).toMatch(REQUEST_ID);
    let text = "";
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      text += chunk.choices[0]?.delta.content ?? "";
    }
    const final = await stream.finalChatCompletion();
    expect(chunks).toBeGreaterThan(2);
    expect(final.choices[0]?.message.content).toBe(text);
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(final.usage).toEqual(whole.usage);
  });

  it("stream() collects the final message and usage without a loop", async () => {
    const stream = await client.chat.completions.stream({ model: MODEL, messages, max_tokens: 6 });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message.role).toBe("assistant");
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
  });
});

describe("live workerd: abort", () => {
  it("break after a few chunks stops the stream; the service keeps serving", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 200,
      stream: true,
    });
    let n = 0;
    for await (const _ of stream) if (++n === 3) break;
    expect(n).toBe(3);
    expect(stream.controller.signal.aborted).toBe(true);
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);
    const after = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 2 });
    expect(after.choices).toHaveLength(1);
  });

  it("an AbortSignal stops a stream mid-way and .abort() ends a loop quietly", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages, max_tokens: 200, stream: true },
      { signal: controller.signal },
    );
    let n = 0;
    for await (const _ of stream) if (++n === 2) controller.abort();
    expect(n).toBe(2);
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(APIUserAbortError);

    const second = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 200,
      stream: true,
    });
    let m = 0;
    for await (const _ of second) if (++m === 2) second.abort();
    expect(m).toBe(2);
  });

  it("an already-aborted signal rejects with APIUserAbortError before sending", async () => {
    const signal = AbortSignal.abort();
    await expect(client.models.list({ signal })).rejects.toBeInstanceOf(APIUserAbortError);
  });
});

describe("live workerd: error classes", () => {
  it("a wrong API key throws AuthenticationError (401) with code and request id", async () => {
    const wrong = new Petrel({ baseURL: service.baseURL, apiKey: "sk-wrong", maxRetries: 0 });
    const error = (await wrong.models.list().catch((e: unknown) => e)) as APIError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.code).toBe("invalid_api_key");
    expect(error.requestId).toMatch(REQUEST_ID);
  });

  it("an out-of-range parameter throws BadRequestError naming the param", async () => {
    const error = (await client.chat.completions
      .create({ model: MODEL, messages, temperature: 5 })
      .catch((e: unknown) => e)) as APIError;
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe("temperature");
    expect(error.requestId).toMatch(REQUEST_ID);
  });

  it("an unknown model throws NotFoundError, also when streaming (before any chunk)", async () => {
    for (const stream of [false, true]) {
      const error = (await client.chat.completions
        .create({ model: "no-such-model", messages, stream })
        .catch((e: unknown) => e)) as APIError;
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.code).toBe("model_not_found");
      expect(error.param).toBe("model");
    }
  });

  it("every response carries a distinct request id", async () => {
    const ids = await Promise.all([1, 2, 3].map(async () => (await client.models.list())._request_id));
    expect(new Set(ids).size).toBe(3);
  });
});
