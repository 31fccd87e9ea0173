// The Node gateway's response store: the shared SQLite store (responses/sql-store.ts) on node:sqlite
// (built into Node 22; it prints an ExperimentalWarning once). A file path keeps responses across
// restarts; ":memory:" keeps them for the life of the process.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import {
  localResponseStore,
  type ResponseStore,
  retentionMs,
  type Sql,
  SqlResponseStore,
} from "../responses/index.js";

export interface SqliteResponseStoreOptions {
  /** A database file, or ":memory:". */
  path: string;
  /** PETREL_RESPONSES_RETENTION_DAYS; unset = 30 days. */
  retentionDays?: string;
  now?: () => number;
}

export interface SqliteResponseStore {
  store: ResponseStore;
  /** The synchronous store underneath (tests drive retention through it). */
  sql: SqlResponseStore;
  close(): void;
}

export function openSqliteResponseStore(options: SqliteResponseStoreOptions): SqliteResponseStore {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  // Concurrent readers while one request writes; the file survives a crash mid-write; a second
  // process on the same file waits for a write lock instead of failing.
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA busy_timeout = 5000");
  const binding: Sql = {
    all: (query, ...params) =>
      db.prepare(query).all(...(params as SQLInputValue[])) as ReturnType<Sql["all"]>,
    run: (query, ...params) => {
      db.prepare(query).run(...(params as SQLInputValue[]));
    },
    transaction: (fn) => {
      db.exec("BEGIN");
      try {
        const result = fn();
        db.exec("COMMIT");
        return result;
      } catch (err) {
        db.exec("ROLLBACK");
        throw err;
      }
    },
  };
  const sql = new SqlResponseStore(binding, {
    retentionMs: retentionMs(options.retentionDays),
    now: options.now,
  });
  return { store: localResponseStore(sql), sql, close: () => db.close() };
}
