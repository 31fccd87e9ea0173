// Contract checks for tests: every response a suite sees is validated against openapi/openapi.yaml,
// read from disk here (not the generated copy), so a stale `npm run gen` cannot hide a mismatch.
import { readFileSync } from "node:fs";
import { type Schema, Validator } from "@cfworker/json-schema";
import { parse } from "yaml";
import { describeFailure, expandDiscriminators } from "../../service/src/http/validation.js";

type Json = Record<string, unknown>;

const specUrl = new URL("../../openapi/openapi.yaml", import.meta.url);
export const openapi = parse(readFileSync(specUrl, "utf8")) as Json & { paths: Json; components: Json };
const components = expandDiscriminators(openapi.components) as Json;

function resolve(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== "string") return node;
  const target = ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((acc, key) => (acc as Json)[key], openapi);
  return resolve(target as Json);
}

/** Throws with a readable reason when `value` does not match `schema` (a fragment of the document). */
export function assertMatches(schema: unknown, value: unknown, what: string): void {
  const validator = new Validator({ ...(schema as Json), components } as Schema, "2020-12", false);
  const result = validator.validate(value);
  if (!result.valid) {
    const failure = describeFailure(result.errors);
    throw new Error(
      `${what} does not match the contract at '${failure.param}': ${failure.message}\n${JSON.stringify(value)}`,
    );
  }
}

export const assertSchema = (name: string, value: unknown) =>
  assertMatches({ $ref: `#/components/schemas/${name}` }, value, name);

function findOperation(method: string, pathname: string): Json {
  // A parameter is one path segment first (…/{id} vs …/{id}/input_items); model ids may hold slashes.
  for (const parameter of ["([^/]+)", "(.+)"]) {
    for (const [template, item] of Object.entries(openapi.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, parameter)}$`);
      if (!pattern.test(pathname)) continue;
      const operation = (item as Json)[method.toLowerCase()];
      if (operation) return operation as Json;
    }
  }
  throw new Error(`${method} ${pathname} is not in openapi.yaml`);
}

/** The schema the contract declares for this method, path, status and media type. */
export function responseSchema(method: string, pathname: string, status: number, mediaType: string): unknown {
  const responses = findOperation(method, pathname).responses as Json;
  const declared = responses[String(status)] ?? responses.default;
  if (!declared) throw new Error(`${method} ${pathname} does not declare status ${status}`);
  const content = resolve(declared as Json).content as Json | undefined;
  const media = content?.[mediaType] as Json | undefined;
  if (!media) throw new Error(`${method} ${pathname} ${status} does not declare ${mediaType}`);
  return media.schema;
}

/** Parses an SSE body into its data payloads (comments and blank lines dropped). */
export function sseData(text: string): string[] {
  return text.split(/\r\n\r\n|\n\n|\r\r/).flatMap((event) => {
    const lines = event.split(/\r\n|\n|\r/).filter((l) => l.startsWith("data:"));
    return lines.length ? [lines.map((l) => l.slice(5).replace(/^ /, "")).join("\n")] : [];
  });
}

/**
 * Validates a whole response (consumes a clone's body): status declared, media type declared, body
 * matching its schema; for SSE every event is a chunk, an `{error}` event, or the final `[DONE]`.
 */
export async function assertResponseMatchesContract(method: string, url: string, response: Response) {
  const pathname = new URL(url, "http://x").pathname;
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const text = await response.clone().text();
  if (!response.headers.get("x-request-id")) throw new Error(`${method} ${pathname}: no x-request-id header`);
  const schema = responseSchema(method, pathname, response.status, mediaType);
  if (mediaType !== "text/event-stream") {
    assertMatches(schema, JSON.parse(text), `${method} ${pathname} ${response.status}`);
    return;
  }
  if (pathname === "/v1/responses") {
    assertResponsesStream(text, schema);
    return;
  }
  const events = sseData(text);
  if (events.at(-1) !== "[DONE]") throw new Error(`stream did not end with [DONE]: ${text.slice(-200)}`);
  for (const data of events.slice(0, -1)) {
    const event = JSON.parse(data);
    if ("error" in event) assertSchema("ErrorResponse", event);
    else assertMatches(schema, event, `${method} ${pathname} stream event`);
  }
}

/** The named events of an SSE body: `event:` and the joined `data:` of each (comments dropped). */
export function sseEvents(text: string): { event: string | undefined; data: string }[] {
  return text.split(/\r\n\r\n|\n\n|\r\r/).flatMap((block) => {
    const lines = block.split(/\r\n|\n|\r/);
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, ""));
    if (data.length === 0) return [];
    const event = lines
      .find((l) => l.startsWith("event:"))
      ?.slice(6)
      .trim();
    return [{ event, data: data.join("\n") }];
  });
}

/**
 * A Responses stream: every event named by `event:` as its `type`, matching the contract, numbered
 * 0, 1, 2… by sequence_number, no `[DONE]`, and ending in a final lifecycle event (or `error`).
 */
export function assertResponsesStream(
  text: string,
  schema: unknown = { $ref: "#/components/schemas/ResponseStreamEvent" },
) {
  const events = sseEvents(text);
  if (events.length === 0) throw new Error("a Responses stream with no events");
  events.forEach(({ event, data }, i) => {
    const parsed = JSON.parse(data) as Json;
    assertMatches(schema, parsed, `POST /v1/responses stream event ${i}`);
    if (event !== parsed.type)
      throw new Error(`event ${i}: 'event: ${event}' but type ${String(parsed.type)}`);
    if (parsed.sequence_number !== i)
      throw new Error(`event ${i} has sequence_number ${String(parsed.sequence_number)}`);
  });
  const last = JSON.parse(events.at(-1)?.data ?? "{}").type;
  const finals = ["response.completed", "response.incomplete", "response.failed", "error"];
  if (!finals.includes(last)) throw new Error(`a Responses stream that ended with ${last}`);
}
