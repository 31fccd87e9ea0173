// The Worker's response store: one Durable Object per API key (named by the key's id), holding that
// key's responses in its SQLite storage (wrangler.toml: new_sqlite_classes). One key's data never
// shares an object with another's. Plain fetch-style object, no `cloudflare:workers` import, like the
// rate limiter, so the protocol also runs under Node in tests.
import { retentionMs } from "./config.js";
import { type Sql, SqlResponseStore, type SqlValue } from "./sql-store.js";
import type { ItemPageQuery, ResponseStore, StoredItem, StoredResponse } from "./types.js";

/** The parts of DurableObjectState this class uses. */
export interface ResponseStoreStateLike {
  storage: {
    sql: { exec(query: string, ...bindings: SqlValue[]): { toArray(): Record<string, SqlValue>[] } };
    transactionSync<T>(fn: () => T): T;
  };
}

/** The parts of DurableObjectNamespace the client uses. */
export interface ResponseStoreNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

type Call =
  | { op: "save"; owner: string; record: StoredResponse }
  | { op: "get" | "chain" | "delete"; owner: string; id: string }
  | { op: "items"; owner: string; ids: string[] }
  | { op: "inputItems"; owner: string; id: string; query: ItemPageQuery };

export class ResponseStoreDO {
  readonly #store: SqlResponseStore;

  constructor(state: ResponseStoreStateLike, env: Record<string, unknown>) {
    const { sql } = state.storage;
    const binding: Sql = {
      all: (query, ...params) => sql.exec(query, ...params).toArray(),
      run: (query, ...params) => {
        sql.exec(query, ...params).toArray();
      },
      transaction: (fn) => state.storage.transactionSync(fn),
    };
    const days = env.PETREL_RESPONSES_RETENTION_DAYS;
    this.#store = new SqlResponseStore(binding, {
      retentionMs: retentionMs(typeof days === "string" ? days : undefined),
    });
  }

  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    const call = (await request.json()) as Call;
    const store = this.#store;
    switch (call.op) {
      case "save":
        store.save(call.owner, call.record);
        return Response.json({ ok: true });
      case "get":
        return Response.json({ value: store.get(call.owner, call.id) ?? null });
      case "chain":
        return Response.json({ value: store.chain(call.owner, call.id) ?? null });
      case "delete":
        return Response.json({ value: store.delete(call.owner, call.id) });
      case "items":
        return Response.json({ value: [...store.items(call.owner, call.ids)] });
      case "inputItems":
        return Response.json({ value: store.inputItems(call.owner, call.id, call.query) ?? null });
      default:
        return new Response("not found", { status: 404 });
    }
  }
}

/** The Worker side: every call goes to the owner's own object. */
export function durableObjectResponseStore(namespace: ResponseStoreNamespaceLike): ResponseStore {
  const call = async <T>(body: Call): Promise<T> => {
    const stub = namespace.get(namespace.idFromName(body.owner));
    const response = await stub.fetch(`https://responses/${body.op}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`response store ${body.op} failed with ${response.status}`);
    return ((await response.json()) as { value: T }).value;
  };
  return {
    save: async (owner, record) => {
      await call({ op: "save", owner, record });
    },
    get: async (owner, id) =>
      (await call<StoredResponse["response"] | null>({ op: "get", owner, id })) ?? undefined,
    chain: async (owner, id) =>
      (await call<StoredResponse[] | null>({ op: "chain", owner, id })) ?? undefined,
    delete: (owner, id) => call<boolean>({ op: "delete", owner, id }),
    items: async (owner, ids) => new Map(await call<[string, StoredItem][]>({ op: "items", owner, ids })),
    inputItems: async (owner, id, query) =>
      (await call<Awaited<ReturnType<ResponseStore["inputItems"]>> | null>({
        op: "inputItems",
        owner,
        id,
        query,
      })) ?? undefined,
  };
}

const isNamespace = (value: unknown): value is ResponseStoreNamespaceLike =>
  typeof (value as ResponseStoreNamespaceLike | undefined)?.idFromName === "function";

/** The store behind the RESPONSES binding (wrangler.toml); without it the Worker serves no /v1/responses. */
export function workerResponseStore(env: Record<string, unknown>): ResponseStore | undefined {
  const namespace = env.RESPONSES;
  if (isNamespace(namespace)) return durableObjectResponseStore(namespace);
  console.warn("petrel: no RESPONSES Durable Object binding; /v1/responses is not served.");
  return undefined;
}
