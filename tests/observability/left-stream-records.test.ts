// A client that leaves a stream while the next chunk is already on its way (fake gateway: the test
// holds that chunk until the client has cancelled, a race a real backend only loses sometimes). The
// request's record is written once that chunk has settled, so it counts the tokens the meter bills to
// the key; before, the record was written at the cancel and counted one token fewer (chat, once in
// CI: 88 billed, 87 logged). Chat completions and Responses streams, in-process with the security
// guard's meter.
import { describe, expect, it } from "vitest";
import { createApp, type RequestRecord } from "../../service/src/http/index.js";
import { createGuard, memoryLimiter } from "../../service/src/security/index.js";
import { openSqliteResponseStore } from "../../service/src/server/sqlite-response-store.js";
import { fakeGateway } from "../helpers/fake-gateway.js";
import { KEYS, securityConfig } from "../security/helpers.js";
import { until } from "./helpers/turns.js";

const routes = {
  "/v1/chat/completions": {
    body: { model: "petrel-mini", messages: [{ role: "user", content: "hi" }], stream: true },
    firstContent: '"content":"a"',
  },
  "/v1/responses": {
    body: { model: "petrel-mini", input: "hi", stream: true },
    firstContent: '"delta":"a"',
  },
};

describe.each(Object.keys(routes) as (keyof typeof routes)[])(
  "a client that leaves %s while a chunk is on its way (fake gateway)",
  (path) => {
    it("the record is written once the chunk settled, and counts what the meter bills", async () => {
      let release = () => {};
      const onItsWay = new Promise<void>((resolve) => {
        release = resolve;
      });
      const records: RequestRecord[] = [];
      const limiter = memoryLimiter();
      const store = openSqliteResponseStore({ path: ":memory:" });
      const app = createApp({
        gateway: fakeGateway({
          script: () => [{ text: "a" }, { text: "b", after: onItsWay }, { text: "c" }],
        }),
        guard: createGuard({ config: securityConfig(), limiter, warn: () => {} }),
        responses: store.store,
        observability: { onRecord: (r) => records.push(r) },
      });
      const response = await app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.alice}` },
        body: JSON.stringify(routes[path].body),
      });
      expect(response.status).toBe(200);
      const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      let seen = "";
      while (!seen.includes(routes[path].firstContent))
        seen += new TextDecoder().decode((await reader.read()).value);
      const pending = reader.read(); // the body now waits on "b"
      await new Promise((r) => setImmediate(r));
      const cancelled = reader.cancel();
      await pending;
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(records).toHaveLength(0); // "b" has not settled: no record yet
      release();
      await cancelled;
      await until(() => records.length === 1);
      expect(records[0]).toMatchObject({ outcome: "cancelled", completion_tokens: 2, stream: true });
      await until(() => limiter.inFlight("alice") === 0);
      expect(await limiter.usage("alice")).toMatchObject({ requests: 1, completionTokens: 2 });
    });
  },
);
