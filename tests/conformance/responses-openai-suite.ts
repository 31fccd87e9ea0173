// The Responses API through the OFFICIAL `openai` package, as one suite that each runtime's test file
// runs against its real server (wrangler dev, the Node gateway): create, stream with the SDK's event
// helpers, retrieve, inputItems.list, delete, previous_response_id across 3 turns, and key isolation.
// Every response the SDK received is validated against openapi/openapi.yaml after each test.
import OpenAI, { NotFoundError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RecordingFetch, recordingFetch } from "../helpers/recording-fetch.js";

export interface ResponsesTarget {
  /** The server's origin, e.g. http://127.0.0.1:8787. */
  url: string;
  model: string;
  /** Two client keys: what one stores the other must not see. */
  keys: { a: string; b: string };
  maxOutputTokens: number;
}

const notFound = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NotFoundError);
  return err as NotFoundError;
};

export function describeOpenAIResponses(name: string, target: () => ResponsesTarget) {
  const recorder: RecordingFetch = recordingFetch();
  let validated = 0;
  const client = (key = target().keys.a) =>
    new OpenAI({ baseURL: `${target().url}/v1`, apiKey: key, maxRetries: 0, fetch: recorder.fetch });
  const base = () => ({
    model: target().model,
    max_output_tokens: target().maxOutputTokens,
    temperature: 0,
  });

  afterEach(async () => {
    validated += await recorder.check();
  });

  describe(`official openai SDK: the Responses API on ${name}`, () => {
    it("responses.create() returns a stored response with output_text, usage and a request id", async () => {
      const { data, request_id } = await client()
        .responses.create({ ...base(), input: "Tell me about the sea.", instructions: "Be brief." })
        .withResponse();
      expect(request_id).toMatch(/^req_/);
      expect(data).toMatchObject({ object: "response", model: target().model, store: true });
      expect(data.id).toMatch(/^resp_/);
      expect(["completed", "incomplete"]).toContain(data.status);
      const [message] = data.output;
      expect(message?.type).toBe("message");
      expect(data.output_text.length).toBeGreaterThan(0);
      if (message?.type === "message")
        expect(message.content.map((p) => (p.type === "output_text" ? p.text : "")).join("")).toBe(
          data.output_text,
        );
      expect(data.usage?.input_tokens).toBeGreaterThan(0);
      expect(data.usage?.output_tokens).toBeGreaterThan(0);
      expect(data.usage?.output_tokens).toBeLessThanOrEqual(target().maxOutputTokens);
      expect(data.usage?.total_tokens).toBe(
        (data.usage?.input_tokens ?? 0) + (data.usage?.output_tokens ?? 0),
      );
      if (data.status === "incomplete")
        expect(data.incomplete_details).toEqual({ reason: "max_output_tokens" });
    });

    it("responses.stream(): the event helpers see every delta, finalResponse() is the same greedy answer as create()", async () => {
      const params = { ...base(), input: "Write about the wind." };
      const whole = await client().responses.create(params);
      const deltas: string[] = [];
      const types: string[] = [];
      let snapshot = "";
      const stream = client().responses.stream(params);
      stream.on("event", (event) => types.push(event.type));
      stream.on("response.output_text.delta", (event) => {
        deltas.push(event.delta);
        snapshot = event.snapshot;
      });
      const final = await stream.finalResponse();
      expect(deltas.join("")).toBe(whole.output_text);
      expect(snapshot).toBe(whole.output_text);
      expect(final.output_text).toBe(whole.output_text);
      expect(final.status).toBe(whole.status);
      expect(final.usage?.output_tokens).toBe(whole.usage?.output_tokens);
      expect(types.slice(0, 4)).toEqual([
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
      ]);
      expect(types.slice(-4)).toEqual([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        whole.status === "completed" ? "response.completed" : "response.incomplete",
      ]);
      // The streamed response was stored like the other one.
      expect((await client().responses.retrieve(final.id)).output_text).toBe(whole.output_text);
    });

    it("retrieve, inputItems.list (both orders, pages) and delete; a deleted response is a NotFoundError", async () => {
      const input = ["First line.", "Second line.", "Third line."].map((text) => ({
        role: "user" as const,
        content: [{ type: "input_text" as const, text }],
      }));
      const created = await client().responses.create({ ...base(), input, metadata: { case: "items" } });
      const got = await client().responses.retrieve(created.id);
      expect(got).toEqual(created);
      expect(got.metadata).toEqual({ case: "items" });
      const texts = (items: OpenAI.Responses.ResponseItem[]) =>
        items.map((item) =>
          item.type === "message" ? item.content.map((p) => "text" in p && p.text) : item,
        );
      const asc = await client().responses.inputItems.list(created.id, { order: "asc" });
      expect(texts(asc.data)).toEqual([["First line."], ["Second line."], ["Third line."]]);
      const desc = await client().responses.inputItems.list(created.id);
      expect(texts(desc.data)).toEqual([["Third line."], ["Second line."], ["First line."]]);
      const all: OpenAI.Responses.ResponseItem[] = [];
      for await (const item of client().responses.inputItems.list(created.id, { order: "asc", limit: 2 }))
        all.push(item);
      expect(texts(all)).toEqual(texts(asc.data));
      // Typed void by the SDK, which still hands back the parsed body.
      const deleted: unknown = await client().responses.delete(created.id);
      expect(deleted).toEqual({ id: created.id, object: "response", deleted: true });
      await notFound(client().responses.retrieve(created.id));
      await notFound(client().responses.inputItems.list(created.id));
      await notFound(client().responses.delete(created.id));
    });

    it("previous_response_id across 3 turns: each turn carries the ones before it", async () => {
      const one = await client().responses.create({ ...base(), input: "My name is Ada." });
      const two = await client().responses.create({
        ...base(),
        input: "I live by the sea.",
        previous_response_id: one.id,
      });
      const three = await client().responses.create({
        ...base(),
        input: "What is my name?",
        previous_response_id: two.id,
      });
      expect([two.previous_response_id, three.previous_response_id]).toEqual([one.id, two.id]);
      const alone = await client().responses.create({ ...base(), input: "What is my name?" });
      const inputTokens = [one, two, three].map((r) => r.usage?.input_tokens ?? 0);
      // Turn 3's prompt holds turns 1 and 2 (inputs and answers) before its own input.
      expect(inputTokens[1]).toBeGreaterThan(inputTokens[0] ?? 0);
      expect(inputTokens[2]).toBeGreaterThan(inputTokens[1] ?? 0);
      expect(inputTokens[2]).toBeGreaterThan((alone.usage?.input_tokens ?? 0) + (inputTokens[0] ?? 0) / 2);
      // Only this turn's input is the response's own input.
      const items = await client().responses.inputItems.list(three.id);
      expect(items.data).toHaveLength(1);
      await client().responses.delete(two.id);
      const broken = await notFound(
        client().responses.create({ ...base(), input: "And?", previous_response_id: two.id }),
      );
      expect(broken.param).toBe("previous_response_id");
    });

    it("isolation: key B cannot retrieve, list, chain from or delete key A's response (404, as if missing)", async () => {
      const alices = await client().responses.create({ ...base(), input: "A secret of key A." });
      const bob = client(target().keys.b);
      const missing = await notFound(bob.responses.retrieve("resp_does_not_exist"));
      const asBob = await notFound(bob.responses.retrieve(alices.id));
      expect(asBob.message).toBe(missing.message.replace("resp_does_not_exist", alices.id));
      await notFound(bob.responses.inputItems.list(alices.id));
      await notFound(bob.responses.create({ ...base(), input: "Go on.", previous_response_id: alices.id }));
      await notFound(bob.responses.delete(alices.id));
      // Still there for its owner, untouched by B's delete.
      expect((await client().responses.retrieve(alices.id)).output_text).toBe(alices.output_text);
    });

    it("every response and stream event above matched the contract", () => {
      expect(validated).toBeGreaterThanOrEqual(20); // guards against a suite that checked nothing
    });
  });
}
