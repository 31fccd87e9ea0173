// Property-based fuzzing of hostile requests (tests/security/arbitraries.ts) in-process through
// app.request() with a fast fake gateway and the real guard: no response ≥500, every error in
// OpenAI's shape, no secret (API keys, admin key) in any response or log line.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UNLIMITED } from "../../service/src/security/index.js";
import { hostileRequest } from "./arbitraries.js";
import { checkResponse, type FuzzTally, tally } from "./fuzz-checks.js";
import { KEYS, keyRecord, SECRETS, securedApp } from "./helpers.js";

const TIGHT = "sk-petrel-tight-3c5e7a9b1d3f5a7c9e1b3d5f7a9c1e3b";
const RUNS = 10_000;

describe("hostile input with a fake gateway", () => {
  afterEach(() => vi.restoreAllMocks());

  it(`${RUNS} fuzzed requests: no 5xx, errors in OpenAI's shape, no secrets in responses or logs`, async () => {
    const printed: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args) => void printed.push(args.map(String).join(" ")));
    }
    const keys = [
      keyRecord("alice", KEYS.alice),
      keyRecord("bob", KEYS.bob, UNLIMITED, ["petrel-mini"]),
      keyRecord("tight", TIGHT, { requestsPerMinute: 30, tokensPerMinute: 2_000, concurrent: 2 }),
    ];
    const { app, logs } = securedApp({ config: { keys } });
    const tokens = { alice: KEYS.alice, bob: KEYS.bob, tight: TIGHT, admin: KEYS.admin };
    const counts: FuzzTally = { total: 0, byStatus: {}, byKind: {} };
    await fc.assert(
      fc.asyncProperty(hostileRequest(tokens), async (request) => {
        const { method, headers, body } = request;
        const response = await app.request(request.path, {
          method,
          headers,
          body: body as BodyInit | undefined,
        });
        tally(counts, request, await checkResponse(response, request, [...SECRETS, TIGHT]));
      }),
      { numRuns: RUNS },
    );
    vi.restoreAllMocks();
    console.log(JSON.stringify({ fuzz_fake_gateway: counts }));
    expect(counts.total).toBeGreaterThanOrEqual(RUNS);
    // Every kind of mutation and the interesting statuses were actually exercised.
    expect(Object.keys(counts.byKind).length).toBeGreaterThanOrEqual(11);
    for (const status of [200, 400, 401, 403, 404, 413, 429])
      expect(counts.byStatus[status] ?? 0).toBeGreaterThan(0);
    const allLogs = [...logs, ...printed].join("\n");
    for (const secret of [...SECRETS, TIGHT]) expect(allLogs).not.toContain(secret);
  }, 600_000);
});
