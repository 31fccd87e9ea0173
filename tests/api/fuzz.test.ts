// Property tests: whatever JSON a client sends, the app answers 200, 400 or 404 in the contract's
// shape — never a 500, never a request reaching the gateway that the contract rejects.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApp } from "../../service/src/http/index.js";
import { assertResponseMatchesContract } from "../helpers/contract.js";
import { fakeGateway } from "../helpers/fake-gateway.js";

const gateway = fakeGateway();
const app = createApp({ gateway, logError: () => {} });

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -300, max: 300 }),
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 6 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);
const message = fc.record(
  {
    role: fc.constantFrom("system", "developer", "user", "assistant", "tool", "function", ""),
    content: fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constant(null),
      fc.array(fc.record({ type: fc.constantFrom("text", "image_url"), text: fc.string({ maxLength: 5 }) }), {
        maxLength: 3,
      }),
      anyValue,
    ),
    tool_call_id: fc.string({ maxLength: 5 }),
  },
  { requiredKeys: ["role"] },
);
const FIELDS = [
  "temperature",
  "top_p",
  "n",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "seed",
  "user",
  "stream_options",
  "response_format",
  "top_k",
  "min_p",
  "repetition_penalty",
  "store",
  "metadata",
] as const;
const validMessages = fc.array(
  fc.record({ role: fc.constantFrom("system", "user", "assistant"), content: fc.string({ maxLength: 10 }) }),
  { minLength: 1, maxLength: 3 },
);
// Mostly well-formed requests with up to three fields of any value, so both 200s and 400s occur.
const body = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant("petrel-mini") },
      { weight: 1, arbitrary: fc.constant("other") },
      { weight: 1, arbitrary: anyValue },
    ),
    fc.oneof(
      { weight: 3, arbitrary: validMessages },
      { weight: 2, arbitrary: fc.array(message, { maxLength: 3 }) },
      { weight: 1, arbitrary: anyValue },
    ),
    fc.dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 3 }),
  )
  .map(([model, messages, extra]) => ({ model, messages, ...extra }));

describe("any JSON body (property-based)", () => {
  it("gets 200, 400 or 404 in the contract's shape, and 400s never reach the gateway", async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const before = gateway.requests.length;
        const response = await app.request("/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload),
        });
        statuses.add(response.status);
        expect([200, 400, 404]).toContain(response.status);
        await assertResponseMatchesContract("POST", "/v1/chat/completions", response);
        if (response.status !== 200) expect(gateway.requests.length).toBe(before);
      }),
      { numRuns: 300 },
    );
    // The generator must exercise both sides, or the property proves little.
    expect(statuses).toContain(200);
    expect(statuses).toContain(400);
  });

  it("names a param for every 400 caused by a field value", async () => {
    const valid = { model: "petrel-mini", messages: [{ role: "user", content: "hi" }] };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), anyValue, async (field, value) => {
        const response = await app.request("/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...valid, [field]: value }),
        });
        if (response.status === 400) {
          const { error } = await response.json();
          expect(error.param?.startsWith(field)).toBe(true);
        } else {
          expect(response.status).toBe(200);
        }
      }),
      { numRuns: 300 },
    );
  });
});
