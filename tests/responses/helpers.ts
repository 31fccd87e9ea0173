// Fixtures for the Responses suites in-process: createApp with a fake gateway, the real SQLite store
// (node:sqlite, in memory) and the security guard with two keys, plus request helpers that validate
// every answer against the contract.
import { createApp } from "../../service/src/http/index.js";
import type { ResponseStore } from "../../service/src/responses/index.js";
import { createGuard, memoryLimiter } from "../../service/src/security/index.js";
import { openSqliteResponseStore } from "../../service/src/server/sqlite-response-store.js";
import { assertResponseMatchesContract, sseEvents } from "../helpers/contract.js";
import { type FakeGatewayOptions, fakeGateway } from "../helpers/fake-gateway.js";
import { bearer, KEYS, securityConfig } from "../security/helpers.js";

export { bearer, KEYS };

export interface ResponsesAppOptions {
  gateway?: FakeGatewayOptions;
  now?: () => number;
  /** Wraps the store the app sees (to observe a save). */
  wrapStore?: (store: ResponseStore) => ResponseStore;
}

export function responsesApp(options: ResponsesAppOptions = {}) {
  const logs: string[] = [];
  const limiter = memoryLimiter();
  const guard = createGuard({ config: securityConfig(), limiter, warn: (m) => logs.push(m) });
  const gateway = fakeGateway(options.gateway);
  const store = openSqliteResponseStore({ path: ":memory:", now: options.now });
  const app = createApp({
    gateway,
    guard,
    responses: options.wrapStore ? options.wrapStore(store.store) : store.store,
    logError: (err) => logs.push(String((err as Error)?.stack ?? err)),
  });
  return { app, gateway, limiter, store, logs };
}

type App = ReturnType<typeof responsesApp>["app"];
type Json = Record<string, unknown>;

/** POST /v1/responses as alice (or `key`); the answer is checked against the contract. */
export async function create(app: App, body: Json, key: string = KEYS.alice) {
  const response = await app.request("/v1/responses", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(key) },
    body: JSON.stringify({ model: "petrel-mini", ...body }),
  });
  await assertResponseMatchesContract("POST", "/v1/responses", response);
  return response;
}

/** A streamed create: the events, parsed. */
export async function createStream(app: App, body: Json, key: string = KEYS.alice) {
  const response = await create(app, { ...body, stream: true }, key);
  const events = sseEvents(await response.text()).map((e) => JSON.parse(e.data) as Json & { type: string });
  return { response, events };
}

export async function call(app: App, method: "GET" | "DELETE", path: string, key: string = KEYS.alice) {
  const response = await app.request(path, { method, headers: bearer(key) });
  await assertResponseMatchesContract(method, path.split("?")[0] ?? path, response);
  return response;
}
