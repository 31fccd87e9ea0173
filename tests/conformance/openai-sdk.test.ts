// Conformance: the OFFICIAL `openai` npm package against the service in real workerd (`wrangler dev`
// with the repository's wrangler.toml, the bundled model running in-worker). Every response the SDK
// receives is validated against openapi/openapi.yaml (contract test) before the suite ends.
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { type RunningWrangler, startWrangler } from "../helpers/wrangler.js";

const MODEL = "petrel-mini";
const messages = [{ role: "user" as const, content: "Tell me about the sea." }];
let worker: RunningWrangler;
let seen: { method: string; url: string; response: Promise<Response> }[] = [];
let validated = 0;

/** A fetch that hands the SDK the real response and keeps a copy for the contract check. */
const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  // The copy is read right away: an unread clone of a streamed body stalls the original in undici.
  const copy = response
    .clone()
    .text()
    .then((text) => new Response(text, { status: response.status, headers: response.headers }));
  seen.push({ method: init?.method ?? "GET", url, response: copy });
  return response;
};

const client = () =>
  new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: "sk-local", maxRetries: 0, fetch: recordingFetch });

beforeAll(async () => {
  worker = await startWrangler();
});
afterAll(async () => {
  await worker?.stop();
  // Guards against a suite that silently validated nothing.
  expect(validated).toBeGreaterThan(10);
});
afterEach(async () => {
  const responses = seen;
  seen = [];
  for (const { method, url, response } of responses) {
    await assertResponseMatchesContract(method, url, await response);
    validated++;
  }
});

describe("official openai SDK against wrangler dev", () => {
  it("models.list() and models.retrieve() see the bundled model", async () => {
    const ids: string[] = [];
    for await (const model of client().models.list()) ids.push(model.id);
    expect(ids).toContain(MODEL);
    const model = await client().models.retrieve(MODEL);
    expect(model).toMatchObject({ id: MODEL, object: "model", owned_by: "petrel" });
  });

  it("create() returns a completion from the real model with usage and a request id", async () => {
    const { data, request_id } = await client()
      .chat.completions.create({ model: MODEL, messages, max_tokens: 12, temperature: 0 })
      .withResponse();
    expect(request_id).toMatch(/^req_/);
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message.role).toBe("assistant");
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(data.choices[0]?.finish_reason);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
  });

  it("a greedy stream with include_usage gives the same text as create(), then usage, then ends", async () => {
    const params = { model: MODEL, messages, max_tokens: 12, temperature: 0 };
    const whole = await client().chat.completions.create(params);
    const stream = await client().chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(whole.choices[0]?.message.content);
    const usage = chunks.at(-1);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage).toEqual(whole.usage);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe(whole.choices[0]?.finish_reason);
  });

  it("chat.completions.stream() → finalChatCompletion() assembles the same message", async () => {
    const params = { model: MODEL, messages, max_tokens: 10, temperature: 0 };
    const whole = await client().chat.completions.create(params);
    const deltas: string[] = [];
    const runner = client().chat.completions.stream(params);
    runner.on("content", (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(whole.choices[0]?.message.content);
    expect(deltas.join("")).toBe(whole.choices[0]?.message.content);
    expect(final.choices[0]?.finish_reason).toBe(whole.choices[0]?.finish_reason);
  });

  it("maps an invalid value to BadRequestError with the OpenAI param", async () => {
    const err = await client()
      .chat.completions.create({ model: MODEL, messages, temperature: 5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, param: "temperature", type: "invalid_request_error" });
    expect((err as BadRequestError).requestID).toMatch(/^req_/);
  });

  it("maps a prompt longer than the context to BadRequestError context_length_exceeded", async () => {
    const long = [{ role: "user" as const, content: "the sea and the sky ".repeat(400) }];
    const err = await client()
      .chat.completions.create({ model: MODEL, messages: long, stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ code: "context_length_exceeded", param: "messages" });
  });

  it("maps an unknown model to NotFoundError model_not_found, for chat and for retrieve", async () => {
    const chat = await client()
      .chat.completions.create({ model: "gpt-nope", messages })
      .catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(NotFoundError);
    expect(chat).toMatchObject({ code: "model_not_found" });
    const retrieve = await client()
      .models.retrieve("gpt-nope")
      .catch((e: unknown) => e);
    expect(retrieve).toBeInstanceOf(NotFoundError);
  });

  it("aborts a stream mid-way: generation stops in the Worker, and the service keeps serving", async () => {
    const controller = new AbortController();
    // Plain client: an aborted body cannot be validated afterwards.
    const plain = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
    // The end ids banned: the answer runs to max_tokens whatever the model would say, so the abort
    // lands while the Worker is still generating.
    const { data: stream, request_id } = await plain.chat.completions
      .create(
        { model: MODEL, messages, max_tokens: 200, stream: true, logit_bias: { "0": -100, "2": -100 } },
        { signal: controller.signal },
      )
      .withResponse();
    let received = 0;
    // openai-node ends the iteration quietly when its own signal aborts the body.
    for await (const _chunk of stream) {
      if (++received === 3) controller.abort();
    }
    expect(received).toBe(3);
    expect(stream.controller.signal.aborted).toBe(true);
    // The Worker's request record (one JSON line per request) shows the engine stopped early.
    const record = () =>
      worker
        .log()
        .split("\n")
        .find((line) => line.includes(`"request_id":"${request_id}"`));
    await expect.poll(record, { timeout: 15_000 }).toBeDefined();
    const { outcome, completion_tokens } = JSON.parse(record()?.slice(record()?.indexOf("{")) ?? "{}");
    expect(outcome).toBe("cancelled");
    expect(completion_tokens).toBeLessThan(200);
    const after = await client().chat.completions.create({ model: MODEL, messages, max_tokens: 3 });
    expect(after.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});

describe("the wire, as curl sees it", () => {
  const post = (body: string) =>
    fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });

  it("serves /health, /openapi.json and /docs", async () => {
    for (const path of ["/health", "/openapi.json"]) {
      const response = await fetch(`${worker.url}${path}`);
      expect(response.status).toBe(200);
      await assertResponseMatchesContract("GET", path, response);
      validated++;
    }
    const docs = await fetch(`${worker.url}/docs`);
    expect(docs.headers.get("content-type")).toMatch(/text\/html/);
  });

  it("answers malformed JSON with 400 and streams raw SSE ending in data: [DONE]", async () => {
    const bad = await post('{"model": ');
    expect(bad.status).toBe(400);
    await assertResponseMatchesContract("POST", "/v1/chat/completions", bad);
    const body = JSON.stringify({ model: MODEL, messages, max_tokens: 4, stream: true });
    const stream = await post(body);
    expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await assertResponseMatchesContract("POST", "/v1/chat/completions", stream);
    validated += 2;
    expect((await stream.text()).endsWith("data: [DONE]\n\n")).toBe(true);
  });
});
