// Stored responses in-process (app.request, fake gateway, real SQLite store): previous_response_id
// chains, a key that sees only its own responses, store: false, input_items pages, item references,
// and a client that leaves mid-stream (stored `incomplete`, usage metered for what was generated).
import { describe, expect, it } from "vitest";
import type { ResponseStore } from "../../service/src/responses/index.js";
import { call, create, KEYS, responsesApp } from "./helpers.js";

type Json = Record<string, unknown>;
const json = async (r: Response) => (await r.json()) as Json & { id: string };

describe("stored responses with a fake gateway", () => {
  it("previous_response_id across 3 turns replays every turn (instructions only from the newest)", async () => {
    const { app, gateway } = responsesApp();
    const first = await json(await create(app, { input: "One", instructions: "Old rules." }));
    const second = await json(await create(app, { input: "Two", previous_response_id: first.id }));
    const third = await json(
      await create(app, { input: "Three", previous_response_id: second.id, instructions: "New rules." }),
    );
    expect(third.previous_response_id).toBe(second.id);
    expect(gateway.requests[2]?.messages).toEqual([
      { role: "system", content: "New rules." },
      { role: "user", content: "One" },
      { role: "assistant", content: "Hello world" },
      { role: "user", content: "Two" },
      { role: "assistant", content: "Hello world" },
      { role: "user", content: "Three" },
    ]);
  });

  it("retrieve returns the stored object; delete really deletes (then 404 everywhere)", async () => {
    const { app } = responsesApp();
    const created = await json(await create(app, { input: "Hi", metadata: { topic: "greeting" } }));
    const got = await call(app, "GET", `/v1/responses/${created.id}`);
    expect(await got.json()).toEqual(created);
    const deleted = await call(app, "DELETE", `/v1/responses/${created.id}`);
    expect(await deleted.json()).toEqual({ id: created.id, object: "response", deleted: true });
    for (const [method, path] of [
      ["GET", `/v1/responses/${created.id}`],
      ["GET", `/v1/responses/${created.id}/input_items`],
      ["DELETE", `/v1/responses/${created.id}`],
    ] as const)
      expect((await call(app, method, path)).status).toBe(404);
    expect((await create(app, { input: "Again", previous_response_id: created.id })).status).toBe(404);
  });

  it("isolation: bob cannot retrieve, list, chain from or delete alice's response (404 like a missing id)", async () => {
    const { app, gateway } = responsesApp();
    const alices = await json(await create(app, { input: "Secret plan" }));
    const missing = await (await call(app, "GET", "/v1/responses/resp_missing", KEYS.bob)).json();
    const asBob = await call(app, "GET", `/v1/responses/${alices.id}`, KEYS.bob);
    expect(asBob.status).toBe(404);
    expect((await asBob.json()).error).toEqual({
      ...missing.error,
      message: missing.error.message.replace("resp_missing", alices.id),
    });
    expect((await call(app, "GET", `/v1/responses/${alices.id}/input_items`, KEYS.bob)).status).toBe(404);
    expect((await call(app, "DELETE", `/v1/responses/${alices.id}`, KEYS.bob)).status).toBe(404);
    const chained = await create(app, { input: "Tell me", previous_response_id: alices.id }, KEYS.bob);
    expect(chained.status).toBe(404);
    const itemId = ((alices.output as Json[])[0] as { id: string }).id;
    expect((await create(app, { input: [{ type: "item_reference", id: itemId }] }, KEYS.bob)).status).toBe(
      404,
    );
    expect(gateway.requests).toHaveLength(1); // nothing of alice's reached a backend for bob
    expect((await call(app, "GET", `/v1/responses/${alices.id}`)).status).toBe(200);
  });

  it("store: false is answered but never stored, so it can be neither retrieved nor chained", async () => {
    const { app } = responsesApp();
    const created = await json(await create(app, { input: "Hi", store: false }));
    expect(created.store).toBe(false);
    expect((await call(app, "GET", `/v1/responses/${created.id}`)).status).toBe(404);
    expect((await create(app, { input: "Hi", previous_response_id: created.id })).status).toBe(404);
  });

  it("input_items: newest first by default, asc on request, limit/after pages with has_more", async () => {
    const { app } = responsesApp();
    const input = ["a", "b", "c"].map((text) => ({ role: "user", content: text }));
    const created = await json(await create(app, { input }));
    const list = async (query: string) =>
      (await (await call(app, "GET", `/v1/responses/${created.id}/input_items${query}`)).json()) as {
        data: { id: string; content: { text: string }[] }[];
        first_id: string;
        last_id: string;
        has_more: boolean;
      };
    const texts = (page: Awaited<ReturnType<typeof list>>) => page.data.map((i) => i.content[0]?.text);
    expect(texts(await list(""))).toEqual(["c", "b", "a"]);
    const page1 = await list("?order=asc&limit=2");
    expect([texts(page1), page1.has_more]).toEqual([["a", "b"], true]);
    const page2 = await list(`?order=asc&limit=2&after=${page1.last_id}`);
    expect([texts(page2), page2.has_more]).toEqual([["c"], false]);
    expect((await call(app, "GET", `/v1/responses/${created.id}/input_items?limit=0`)).status).toBe(400);
  });

  it("an item_reference brings in a stored item of the same key", async () => {
    const { app, gateway } = responsesApp();
    const first = await json(await create(app, { input: "Hi" }));
    const itemId = ((first.output as Json[])[0] as { id: string }).id;
    await create(app, {
      input: [
        { type: "item_reference", id: itemId },
        { role: "user", content: "More" },
      ],
    });
    expect(gateway.requests[1]?.messages).toEqual([
      { role: "assistant", content: "Hello world" },
      { role: "user", content: "More" },
    ]);
  });

  it("a client that leaves mid-stream stops generation; the stored response is incomplete; usage is metered", async () => {
    let saved: (id: string) => void = () => {};
    const savedId = new Promise<string>((resolve) => {
      saved = resolve;
    });
    const script = () => [{ text: "Partial" }, { text: " answer" }, { delayMs: 600_000 }, { text: "never" }];
    // The store as the route sees it, telling the test when the save landed (no sleeping for it).
    const wrapStore = (inner: ResponseStore): ResponseStore => ({
      ...inner,
      save: async (owner, record) => {
        await inner.save(owner, record);
        saved(record.response.id);
      },
    });
    const { app, store, limiter, gateway } = responsesApp({ gateway: { script }, wrapStore });
    const response = await app.request("/v1/responses", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.alice}` },
      body: JSON.stringify({ model: "petrel-mini", input: "Hi", stream: true }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes('"delta":" answer"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const id = await savedId;
    const stored = await store.store.get("alice", id);
    expect(stored).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "client_disconnected" },
      output: [{ type: "message", status: "incomplete", content: [{ text: "Partial answer" }] }],
    });
    expect(gateway.contexts[0]?.signal.aborted).toBe(true);
    expect(await limiter.usage("alice")).toMatchObject({ requests: 1, completionTokens: 2 });
  });
});
