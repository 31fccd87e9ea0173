// The validator compiled at `npm run gen` (Ajv, standalone) must accept exactly what the reference
// validator (@cfworker/json-schema over the same contract) accepts: the chat route trusts the compiled
// one's "valid" and asks the reference only why a body is invalid.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isChatCompletionRequest } from "../../service/src/generated/chat-request-validator.js";
import { openapiDocument } from "../../service/src/generated/openapi-document.js";
import { createSchemaValidator } from "../../service/src/http/validation.js";

const reference = createSchemaValidator(openapiDocument, "ChatCompletionRequest");
const agree = (body: unknown) => expect(isChatCompletionRequest(body)).toBe(reference(body) === null);

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -300, max: 300 }),
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.string({ maxLength: 8 }),
  fc.constantFrom("", "a\u{1F600}", "\u{1F600}".repeat(3), "required", "json_schema", "function", "auto"),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), {
    maxKeys: 3,
  }),
);
const toolCall = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 4 }), anyValue),
    type: fc.constantFrom("function", "other"),
    function: fc.record({ name: fc.string({ maxLength: 6 }), arguments: fc.oneof(fc.string(), anyValue) }),
  },
  { requiredKeys: [] },
);
const message = fc.record(
  {
    role: fc.constantFrom("system", "developer", "user", "assistant", "tool", "function", ""),
    content: fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constant(null),
      fc.array(
        fc.record(
          {
            type: fc.constantFrom("text", "image_url", "refusal"),
            text: fc.oneof(fc.string({ maxLength: 5 }), anyValue),
          },
          { requiredKeys: ["type"] },
        ),
        { maxLength: 3 },
      ),
      anyValue,
    ),
    name: fc.oneof(fc.string({ maxLength: 5 }), anyValue),
    tool_call_id: fc.oneof(fc.string({ maxLength: 5 }), anyValue),
    tool_calls: fc.oneof(fc.array(toolCall, { maxLength: 2 }), anyValue),
  },
  { requiredKeys: ["role"] },
);
const tool = fc.record(
  {
    type: fc.constantFrom("function", "web"),
    function: fc.record(
      {
        name: fc.constantFrom("get_weather", "bad name", "", "x".repeat(65)),
        description: fc.oneof(fc.string({ maxLength: 5 }), anyValue),
        parameters: fc.oneof(fc.constant({ type: "object", properties: {} }), anyValue),
        strict: fc.oneof(fc.boolean(), anyValue),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const FIELDS = {
  temperature: anyValue,
  top_p: anyValue,
  n: anyValue,
  stop: anyValue,
  max_tokens: anyValue,
  max_completion_tokens: anyValue,
  presence_penalty: anyValue,
  frequency_penalty: anyValue,
  logit_bias: anyValue,
  logprobs: anyValue,
  top_logprobs: anyValue,
  seed: anyValue,
  user: anyValue,
  stream: anyValue,
  stream_options: fc.oneof(fc.record({ include_usage: anyValue }), anyValue),
  response_format: fc.oneof(
    fc.record(
      {
        type: fc.constantFrom("text", "json_object", "json_schema", "xml"),
        json_schema: fc.oneof(
          fc.record({ name: fc.string({ maxLength: 5 }), schema: fc.constant({ type: "object" }) }),
          anyValue,
        ),
      },
      { requiredKeys: ["type"] },
    ),
    anyValue,
  ),
  tools: fc.oneof(fc.array(tool, { maxLength: 2 }), anyValue),
  tool_choice: fc.oneof(
    fc.constantFrom("none", "auto", "required", "sometimes"),
    fc.record({ type: fc.constant("function"), function: fc.record({ name: fc.string({ maxLength: 4 }) }) }),
    anyValue,
  ),
  parallel_tool_calls: anyValue,
  top_k: anyValue,
  min_p: anyValue,
  repetition_penalty: anyValue,
  metadata: anyValue,
  an_extension: anyValue,
};
const validMessages = fc.array(
  fc.record({ role: fc.constantFrom("system", "user", "assistant"), content: fc.string({ maxLength: 10 }) }),
  { minLength: 1, maxLength: 3 },
);
const body = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constant("petrel-mini") }, { weight: 1, arbitrary: anyValue }),
    fc.oneof(
      { weight: 3, arbitrary: validMessages },
      { weight: 3, arbitrary: fc.array(message, { maxLength: 3 }) },
      { weight: 1, arbitrary: anyValue },
    ),
    fc
      .record(FIELDS, { requiredKeys: [] })
      .chain((all) =>
        fc
          .subarray(Object.keys(all), { maxLength: 3 })
          .map((keys) => Object.fromEntries(keys.map((k) => [k, all[k as keyof typeof all]]))),
      ),
  )
  .map(([model, messages, extra]) => ({ model, messages, ...extra }));

describe("the compiled chat request validator", () => {
  it("accepts a body exactly when the reference validator does (property-based)", () => {
    let valid = 0;
    fc.assert(
      fc.property(body, (b) => {
        agree(b);
        if (isChatCompletionRequest(b)) valid++;
      }),
      { numRuns: 3000 },
    );
    // both verdicts occur, so the property compares something on each side
    expect(valid).toBeGreaterThan(100);
    expect(valid).toBeLessThan(2900);
  });

  it("agrees on bodies that are not objects, and on a tool-call conversation", () => {
    for (const b of [null, 1, "x", [], {}, { model: "m" }, { model: "m", messages: [] }]) agree(b);
    const conversation = {
      model: "m",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "sunny" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    };
    expect(isChatCompletionRequest(conversation)).toBe(true);
    agree(conversation);
  });
});
