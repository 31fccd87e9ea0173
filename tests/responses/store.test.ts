// The response store itself: SQLite on Node (retention driven by a clock, a restart with a file
// database) and the Durable Object's protocol from Node, its SQL storage stood in for by node:sqlite
// (workerd runs the real object in the conformance suite).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { describe, expect, it } from "vitest";
import {
  durableObjectResponseStore,
  ResponseStoreDO,
  type ResponseStoreNamespaceLike,
  retentionMs,
  type StoredResponse,
} from "../../service/src/responses/index.js";
import { openSqliteResponseStore } from "../../service/src/server/sqlite-response-store.js";

const DAY = 86_400_000;

function record(id: string, previous: string | null = null, text = `answer of ${id}`): StoredResponse {
  return {
    response: {
      id,
      object: "response",
      created_at: 1_800_000_000,
      status: "completed",
      error: null,
      incomplete_details: null,
      instructions: null,
      model: "petrel-mini",
      output: [
        {
          type: "message",
          id: `msg_out_${id}`,
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text, annotations: [] }],
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: previous,
      temperature: 1,
      top_p: 1,
      tool_choice: "auto",
      tools: [],
      metadata: {},
    },
    inputItems: [
      {
        type: "message",
        id: `msg_in_${id}`,
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: `question of ${id}` }],
      },
    ],
  };
}

describe("SQLite response store (node:sqlite)", () => {
  it("keeps responses for the retention limit, then they are gone, and the next write deletes them", async () => {
    let now = 1_000 * DAY;
    const { store } = openSqliteResponseStore({ path: ":memory:", retentionDays: "2", now: () => now });
    await store.save("alice", record("resp_old"));
    now += 2 * DAY - 1;
    expect((await store.get("alice", "resp_old"))?.id).toBe("resp_old");
    now += 2;
    expect(await store.get("alice", "resp_old")).toBeUndefined();
    expect(await store.chain("alice", "resp_old")).toBeUndefined();
    expect((await store.items("alice", ["msg_out_resp_old"])).size).toBe(0);
    await store.save("alice", record("resp_new"));
    now -= 2 * DAY; // back inside the window: a real delete leaves nothing to see
    expect(await store.get("alice", "resp_old")).toBeUndefined();
    expect(await store.inputItems("alice", "resp_old", { limit: 20, order: "asc" })).toBeUndefined();
  });

  it("survives closing and reopening its database file (a gateway restart)", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "petrel-responses-")), "db", "responses.sqlite");
    const first = openSqliteResponseStore({ path });
    await first.store.save("alice", record("resp_1"));
    await first.store.save("alice", record("resp_2", "resp_1"));
    first.close();
    const second = openSqliteResponseStore({ path });
    const chain = await second.store.chain("alice", "resp_2");
    expect(chain?.map((r) => r.response.id)).toEqual(["resp_1", "resp_2"]);
    expect(chain?.[0]?.inputItems[0]?.id).toBe("msg_in_resp_1");
    expect(await second.store.get("bob", "resp_1")).toBeUndefined();
    second.close();
  });

  it("a chain whose older link was deleted starts after the gap", async () => {
    const { store } = openSqliteResponseStore({ path: ":memory:" });
    for (const [id, previous] of [
      ["r1", null],
      ["r2", "r1"],
      ["r3", "r2"],
    ] as const)
      await store.save("alice", record(id, previous));
    expect(await store.delete("alice", "r2")).toBe(true);
    expect(await store.delete("alice", "r2")).toBe(false);
    expect((await store.chain("alice", "r3"))?.map((r) => r.response.id)).toEqual(["r3"]);
  });

  it("reads PETREL_RESPONSES_RETENTION_DAYS (default 30) and refuses nonsense", () => {
    expect(retentionMs(undefined)).toBe(30 * DAY);
    expect(retentionMs("0.5")).toBe(DAY / 2);
    expect(() => retentionMs("0")).toThrow(/positive number of days/);
    expect(() => retentionMs("forever")).toThrow(/positive number of days/);
  });
});

/** Durable Objects by name over node:sqlite databases that outlive the objects (eviction = forget the object). */
function fakeNamespace() {
  const databases = new Map<string, DatabaseSync>();
  const live = new Map<string, ResponseStoreDO>();
  const instance = (name: string) => {
    let object = live.get(name);
    if (!object) {
      const db = databases.get(name) ?? new DatabaseSync(":memory:");
      databases.set(name, db);
      const exec = (query: string, ...params: SQLInputValue[]) => {
        const statement = db.prepare(query);
        if (statement.columns().length === 0) {
          statement.run(...params);
          return { toArray: () => [] };
        }
        const rows = statement.all(...params);
        return { toArray: () => rows as Record<string, string | number | null>[] };
      };
      const transactionSync = <T>(fn: () => T): T => {
        db.exec("BEGIN");
        try {
          const result = fn();
          db.exec("COMMIT");
          return result;
        } catch (err) {
          db.exec("ROLLBACK");
          throw err;
        }
      };
      object = new ResponseStoreDO(
        { storage: { sql: { exec }, transactionSync } },
        { PETREL_RESPONSES_RETENTION_DAYS: "7" },
      );
      live.set(name, object);
    }
    return object;
  };
  const namespace: ResponseStoreNamespaceLike = {
    idFromName: (name) => name,
    get: (id) => ({ fetch: (input, init) => instance(id as string).fetch(new Request(input, init)) }),
  };
  return { namespace, databases, evict: () => live.clear() };
}

describe("response store Durable Object protocol (fake namespace, node:sqlite storage)", () => {
  it("one object per key; every operation round-trips; data outlives the object", async () => {
    const { namespace, databases, evict } = fakeNamespace();
    const store = durableObjectResponseStore(namespace);
    await store.save("alice", record("r1"));
    await store.save("alice", record("r2", "r1"));
    expect([...databases.keys()]).toEqual(["alice"]);
    evict();
    expect((await store.get("alice", "r2"))?.previous_response_id).toBe("r1");
    expect((await store.chain("alice", "r2"))?.map((r) => r.response.id)).toEqual(["r1", "r2"]);
    expect([...(await store.items("alice", ["msg_out_r1", "nope"])).keys()]).toEqual(["msg_out_r1"]);
    expect(await store.inputItems("alice", "r1", { limit: 20, order: "desc" })).toEqual({
      data: [record("r1").inputItems[0]],
      hasMore: false,
    });
    expect(await store.get("bob", "r1")).toBeUndefined();
    expect(await store.chain("bob", "r2")).toBeUndefined();
    expect(await store.delete("bob", "r1")).toBe(false);
    expect(await store.delete("alice", "r1")).toBe(true);
    expect(await store.get("alice", "r1")).toBeUndefined();
  });
});
