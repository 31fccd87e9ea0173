// fast-check arbitraries for hostile HTTP requests: valid chat requests generated from the contract's
// ChatCompletionRequest schema (openapi/openapi.yaml, read from disk), then mutated — wrong types,
// huge/negative numbers, NaN-like strings, deep nesting, invalid UTF-8, truncation, unknown roles,
// duplicate keys, giant headers, wrong methods and paths.
import fc from "fast-check";
import { text, validRequest } from "./contract-arbitrary.js";

type Json = Record<string, unknown>;
export interface HostileRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const NASTY_VALUES: unknown[] = [
  "NaN",
  "Infinity",
  "-Infinity",
  "1e999",
  "0x10",
  "",
  "null",
  "undefined",
  "true",
  "__proto__",
  1e308,
  -1e308,
  2 ** 53 + 1,
  -1,
  0,
  -0,
  1e-320,
  4_294_967_297,
  -2_147_483_649,
  1.5,
  [],
  {},
  [[]],
  { a: { b: {} } },
];
const FIELDS = [
  "model",
  "messages",
  "temperature",
  "top_p",
  "n",
  "stop",
  "max_tokens",
  "max_completion_tokens",
  "presence_penalty",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "seed",
  "stream",
  "stream_options",
  "response_format",
  "tools",
  "top_k",
  "min_p",
  "repetition_penalty",
  "__proto__",
  "constructor",
];

const setField = (request: Json, field: string, value: unknown) => {
  const copy = { ...request };
  Object.defineProperty(copy, field, { value, enumerable: true, writable: true, configurable: true });
  return copy;
};

const jsonBody = (r: Json) => JSON.stringify(r);

/** Mutations of a valid request, each producing a body (and a label). */
const mutations: fc.Arbitrary<[string, (r: Json) => string | Uint8Array]>[] = [
  fc.constant(["valid", jsonBody]),
  fc
    .tuple(
      fc.constantFrom(...FIELDS),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...NASTY_VALUES)),
    )
    .map(([field, value]) => ["wrong type", (r) => jsonBody(setField(r, field, value))]),
  fc
    .tuple(
      fc.constantFrom("max_tokens", "n", "seed", "top_logprobs", "temperature", "top_k"),
      fc.constantFrom("1e999", "-1e999", "9".repeat(400), "-0", "1E+400", "123456789012345678901234567890"),
    )
    .map(([field, raw]) => ["huge number", (r) => jsonBody(r).replace(/^\{/, `{"${field}":${raw},`)]),
  fc
    .tuple(
      fc.constantFrom("messages", "model", "stream_options", "x", "logit_bias", "stop"),
      fc.integer({ min: 20, max: 100_000 }),
      fc.constantFrom("[", '{"a":'),
    )
    .map(([field, depth, open]) => [
      "deep nesting",
      (r) => {
        const close = open === "[" ? "]" : "}";
        const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
        return jsonBody(r).replace(/^\{/, `{"${field}":${nested},`);
      },
    ]),
  fc
    .tuple(
      fc.array(
        fc.constantFrom(
          [0xff],
          [0xc0, 0x80],
          [0x80],
          [0xe2, 0x82],
          [0xed, 0xa0, 0x80],
          [0xf8, 0x88, 0x80, 0x80, 0x80],
        ),
        { minLength: 1, maxLength: 4 },
      ),
      fc.nat(),
    )
    .map(([bad, at]) => [
      "invalid utf-8",
      (r) => {
        const bytes = new TextEncoder().encode(jsonBody(r));
        const cut = at % (bytes.length + 1);
        return Uint8Array.from([...bytes.slice(0, cut), ...bad.flat(), ...bytes.slice(cut)]);
      },
    ]),
  fc.nat().map((at) => [
    "truncated",
    (r) => {
      const s = jsonBody(r);
      return s.slice(0, at % s.length);
    },
  ]),
  fc
    .tuple(fc.oneof(text, fc.constantFrom("function", "root", "SYSTEM", "", "tool ", "__proto__")), fc.nat())
    .map(([role, at]) => [
      "unknown role",
      (r) => {
        const messages = Array.isArray(r.messages) ? [...r.messages] : [];
        const i = messages.length ? at % messages.length : 0;
        messages[i] = { ...(messages[i] as Json), role };
        return jsonBody({ ...r, messages });
      },
    ]),
  fc
    .tuple(fc.constantFrom("model", "messages", "stream", "max_tokens", "n"), fc.jsonValue({ maxDepth: 2 }))
    .map(([field, value]) => [
      "duplicate keys",
      (r) => jsonBody(r).replace(/\}$/, `,"${field}":${JSON.stringify(value) ?? "null"}}`),
    ]),
  fc
    .constantFrom(
      "",
      "null",
      "[]",
      "1",
      '"x"',
      "{",
      "}",
      "{}",
      "\u0000",
      '{"model":"petrel-mini"}',
      "\ufeff{}",
    )
    .map((body) => ["garbage", () => body]),
  fc
    .constantFrom(300, 5000)
    .map((count) => [
      "many messages",
      (r) => jsonBody({ ...r, messages: Array(count).fill({ role: "user", content: "hi" }) }),
    ]),
  fc.constant([
    "huge content",
    (r) => jsonBody({ ...r, messages: [{ role: "user", content: "x".repeat(300_000) }] }),
  ]),
  fc.constant<[string, (r: Json) => string]>([
    "oversize body",
    (r) => jsonBody({ ...r, pad: "p".repeat(1_000_001) }),
  ]),
];

const AUTH = fc.constantFrom<[string, string | undefined]>(
  ...Array<[string, string]>(8).fill(["alice", "alice"]),
  ["bob", "bob"],
  ["tight", "tight"],
  ["admin", "admin"],
  ["none", undefined],
  ["wrong", "sk-wrong"],
  ["basic", "Basic x"],
  ["empty", "Bearer "],
);

const giantHeaders = fc.constantFrom<Record<string, string>>(
  {},
  { "x-request-id": "r".repeat(70_000) },
  { "x-request-id": "../../etc/passwd\r\n".trim() },
  { "x-stainless-lang": "x".repeat(16_000), "openai-organization": "o".repeat(16_000) },
  Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-pad-${i}`, "p".repeat(300)])),
  { "content-type": "text/plain" },
  { "content-type": "application/json; charset=utf-16" },
);

const ROUTES = fc.constantFrom<[string, string]>(
  ["POST", "/v1/chat/completions"],
  ["POST", "/v1/chat/completions"],
  ["POST", "/v1/chat/completions"],
  ["POST", "/v1/chat/completions"],
  ["POST", "/v1/chat/completions"],
  ["POST", "/v1/chat/completions"],
  ["GET", "/v1/chat/completions"],
  ["PUT", "/v1/chat/completions"],
  ["POST", "/v1/models"],
  ["GET", "/v1/models/%00"],
  ["GET", "/admin/usage"],
  ["POST", "/admin/usage"],
  ["GET", "/admin/usage/..%2f..%2f"],
  ["POST", "/v1/chat/completions/"],
  ["POST", "//v1//chat/completions"],
  ["DELETE", "/v1/models/petrel-mini"],
);

/** One hostile request; `keys` maps the auth labels above to the bearer tokens of this suite. */
export function hostileRequest(keys: Record<string, string>): fc.Arbitrary<HostileRequest> {
  return fc
    .tuple(validRequest, fc.oneof(...mutations), AUTH, giantHeaders, ROUTES)
    .map(([request, [kind, mutate], [auth, token], extra, [method, path]]) => {
      const headers: Record<string, string> = { "content-type": "application/json", ...extra };
      if (token !== undefined)
        headers.authorization = token.includes(" ") ? token : `Bearer ${keys[token] ?? token}`;
      const body = method === "GET" || method === "DELETE" ? undefined : mutate(request);
      return { kind: `${kind} (${auth})`, method, path, headers, body };
    });
}
