// The response store over SQLite, written once for both runtimes: a Durable Object's SQL storage on
// Workers (store-do.ts) and node:sqlite on Node (server/). Synchronous, because both are. Responses
// older than the retention limit are invisible at once and deleted on the next write.
import type {
  ItemPage,
  ItemPageQuery,
  ResponseObject,
  ResponseStore,
  StoredItem,
  StoredResponse,
} from "./types.js";

export type SqlValue = string | number | null;
type Row = Record<string, SqlValue | bigint | Uint8Array>;

/** The three things the store needs from a SQLite binding. */
export interface Sql {
  all(query: string, ...params: SqlValue[]): Row[];
  run(query: string, ...params: SqlValue[]): void;
  transaction<T>(fn: () => T): T;
}

export interface SqlStoreOptions {
  /** How long a stored response stays retrievable. */
  retentionMs: number;
  now?: () => number;
}

// A chain longer than this is cut at its oldest end (a guard; truncation works on what remains).
const MAX_CHAIN = 1_000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS responses (owner TEXT NOT NULL, id TEXT NOT NULL, previous_id TEXT,
     stored_at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (owner, id))`,
  "CREATE INDEX IF NOT EXISTS responses_stored_at ON responses (stored_at)",
  `CREATE TABLE IF NOT EXISTS response_items (owner TEXT NOT NULL, response_id TEXT NOT NULL,
     kind TEXT NOT NULL, position INTEGER NOT NULL, item_id TEXT NOT NULL, body TEXT NOT NULL,
     PRIMARY KEY (owner, response_id, kind, position))`,
  "CREATE INDEX IF NOT EXISTS response_items_by_id ON response_items (owner, item_id)",
];

const parse = <T>(row: Row | undefined): T => JSON.parse(String(row?.body)) as T;

export class SqlResponseStore {
  readonly #now: () => number;

  constructor(
    private readonly sql: Sql,
    private readonly options: SqlStoreOptions,
  ) {
    this.#now = options.now ?? Date.now;
    for (const statement of SCHEMA) sql.run(statement);
  }

  #cutoff(): number {
    return this.#now() - this.options.retentionMs;
  }

  save(owner: string, { response, inputItems }: StoredResponse): void {
    this.sql.transaction(() => {
      this.purge();
      this.#remove(owner, response.id);
      const previous = response.previous_response_id ?? null;
      this.sql.run(
        "INSERT INTO responses (owner, id, previous_id, stored_at, body) VALUES (?, ?, ?, ?, ?)",
        owner,
        response.id,
        previous,
        this.#now(),
        JSON.stringify(response),
      );
      const insert = (kind: string, items: readonly StoredItem[]) => {
        for (const [position, item] of items.entries())
          this.sql.run(
            "INSERT INTO response_items (owner, response_id, kind, position, item_id, body) VALUES (?, ?, ?, ?, ?, ?)",
            owner,
            response.id,
            kind,
            position,
            item.id,
            JSON.stringify(item),
          );
      };
      insert("input", inputItems);
      insert("output", response.output);
    });
  }

  #row(owner: string, id: string): Row | undefined {
    return this.sql.all(
      "SELECT previous_id, body FROM responses WHERE owner = ? AND id = ? AND stored_at >= ?",
      owner,
      id,
      this.#cutoff(),
    )[0];
  }

  get(owner: string, id: string): ResponseObject | undefined {
    const row = this.#row(owner, id);
    return row ? parse<ResponseObject>(row) : undefined;
  }

  #inputs(owner: string, id: string): StoredItem[] {
    return this.sql
      .all(
        "SELECT body FROM response_items WHERE owner = ? AND response_id = ? AND kind = 'input' ORDER BY position",
        owner,
        id,
      )
      .map((row) => parse<StoredItem>(row));
  }

  chain(owner: string, id: string): StoredResponse[] | undefined {
    const chain: StoredResponse[] = [];
    let next: string | null = id;
    while (next !== null && chain.length < MAX_CHAIN) {
      const row = this.#row(owner, next);
      if (!row) break; // deleted or expired: the chain starts after it
      chain.push({ response: parse<ResponseObject>(row), inputItems: this.#inputs(owner, next) });
      next = typeof row.previous_id === "string" ? row.previous_id : null;
    }
    return chain.length === 0 ? undefined : chain.reverse();
  }

  items(owner: string, ids: string[]): Map<string, StoredItem> {
    const found = new Map<string, StoredItem>();
    for (const id of new Set(ids)) {
      const row = this.sql.all(
        `SELECT i.body FROM response_items i JOIN responses r ON r.owner = i.owner AND r.id = i.response_id
         WHERE i.owner = ? AND i.item_id = ? AND r.stored_at >= ? LIMIT 1`,
        owner,
        id,
        this.#cutoff(),
      )[0];
      if (row) found.set(id, parse<StoredItem>(row));
    }
    return found;
  }

  inputItems(owner: string, id: string, { after, limit, order }: ItemPageQuery): ItemPage | undefined {
    if (!this.#row(owner, id)) return undefined;
    const items = this.#inputs(owner, id);
    if (order === "desc") items.reverse();
    const start = after === undefined ? 0 : items.findIndex((item) => item.id === after) + 1;
    const page = start === 0 && after !== undefined ? [] : items.slice(start, start + limit);
    return { data: page, hasMore: start + limit < items.length && page.length > 0 };
  }

  delete(owner: string, id: string): boolean {
    return this.sql.transaction(() => {
      const found = this.#row(owner, id) !== undefined;
      this.#remove(owner, id);
      return found;
    });
  }

  #remove(owner: string, id: string) {
    this.sql.run("DELETE FROM response_items WHERE owner = ? AND response_id = ?", owner, id);
    this.sql.run("DELETE FROM responses WHERE owner = ? AND id = ?", owner, id);
  }

  /** Deletes every response past the retention limit, with its items. */
  purge(): void {
    const cutoff = this.#cutoff();
    this.sql.run(
      `DELETE FROM response_items WHERE EXISTS (SELECT 1 FROM responses r WHERE r.owner = response_items.owner
         AND r.id = response_items.response_id AND r.stored_at < ?)`,
      cutoff,
    );
    this.sql.run("DELETE FROM responses WHERE stored_at < ?", cutoff);
  }
}

/** The asynchronous ResponseStore face of a SqlResponseStore in this process (Node). */
export function localResponseStore(store: SqlResponseStore): ResponseStore {
  return {
    save: async (owner, record) => store.save(owner, record),
    get: async (owner, id) => store.get(owner, id),
    chain: async (owner, id) => store.chain(owner, id),
    items: async (owner, ids) => store.items(owner, ids),
    inputItems: async (owner, id, query) => store.inputItems(owner, id, query),
    delete: async (owner, id) => store.delete(owner, id),
  };
}
