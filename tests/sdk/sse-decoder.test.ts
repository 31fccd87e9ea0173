// The decoder must not care how the network cut the bytes: every fixture is fed whole, split at
// every byte boundary, one byte at a time, at every pair of boundaries, and at random cuts, and
// must yield the same events each time — and the Stream on top must yield the same chunks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { APIError, decodeSSE, Stream } from "../../sdk/src/index.js";
import { CHAT_DATA, CONTENT, chatStream, FIXTURES } from "./sse-fixtures.js";

const encoder = new TextEncoder();

function body(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const next = chunks[i++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [0, ...at, bytes.length];
  return points.slice(1).map((end, i) => bytes.slice(points[i], end));
}

async function events(chunks: Uint8Array[]) {
  const out = [];
  for await (const event of decodeSSE(body(chunks))) out.push(event);
  return out;
}

/** Items and the error (if any) the Stream layer produces, as a comparable value. */
async function items(chunks: Uint8Array[]) {
  const stream = Stream.fromSSEResponse<unknown>(new Response(body(chunks)), new AbortController());
  const out: unknown[] = [];
  try {
    for await (const item of stream) out.push(item);
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    out.push({ thrown: error.name, code: error.code, type: error.type, message: error.message });
  }
  return out;
}

describe("decodeSSE", () => {
  for (const fixture of FIXTURES) {
    const bytes = encoder.encode(fixture.text);

    it(`${fixture.name}: whole stream gives the expected events`, async () => {
      expect(await events([bytes])).toEqual(fixture.events);
    });

    it(`${fixture.name}: same events when split at every byte boundary (${bytes.length} bytes)`, async () => {
      for (let i = 1; i < bytes.length; i++) {
        expect(await events(cut(bytes, [i])), `split at ${i}`).toEqual(fixture.events);
      }
      const single = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
      expect(await events(cut(bytes, single)), "one byte per chunk").toEqual(fixture.events);
    });

    it(`${fixture.name}: same Stream items (and error) at every byte boundary`, async () => {
      const whole = await items([bytes]);
      for (let i = 1; i < bytes.length; i++) {
        expect(await items(cut(bytes, [i])), `split at ${i}`).toEqual(whole);
      }
    });
  }

  it("every pair of cuts in a CRLF stream gives the same events", async () => {
    const text = `: c\r\ndata: ${JSON.stringify({ t: "é🐦" })}\r\n\r\ndata: a\r\ndata: b\r\n\r\n`;
    const bytes = encoder.encode(text);
    const expected = await events([bytes]);
    expect(expected.map((e) => e.data)).toEqual(['{"t":"é🐦"}', "a\nb"]);
    for (let i = 1; i < bytes.length; i++) {
      for (let j = i + 1; j < bytes.length; j++) {
        expect(await events(cut(bytes, [i, j])), `cuts ${i},${j}`).toEqual(expected);
      }
    }
  });

  it("random cuts of the chat stream with every line ending (fast-check)", async () => {
    const streams = ["\n", "\r\n", "\r"].map((eol) => encoder.encode(chatStream(eol)));
    const expected = await events([streams[0] as Uint8Array]);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...streams),
        fc.uniqueArray(fc.integer({ min: 1, max: 2000 }), { maxLength: 40 }),
        async (bytes, raw) => {
          const at = raw.filter((n) => n < bytes.length).sort((a, b) => a - b);
          expect(await events(cut(bytes, at))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("Stream over SSE", () => {
  it("yields parsed chunks, skips comments, stops at [DONE] and cancels the rest of the body", async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(chatStream("\n")));
        // Anything after [DONE] would fail to parse: reaching it means the stream read too far.
        controller.enqueue(encoder.encode("data: {not json\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const stream = Stream.fromSSEResponse<{ choices: { delta: { content?: string } }[] }>(
      new Response(source),
      new AbortController(),
    );
    const got = [];
    for await (const item of stream) got.push(item);
    expect(got).toEqual(CHAT_DATA.map((d) => JSON.parse(d)));
    expect(got.slice(0, 4).map((c) => c.choices[0]?.delta.content)).toEqual(CONTENT);
    expect(cancelled).toBe(true);
  });

  it("throws APIError with code, type and param from a data error event", async () => {
    const fixture = FIXTURES.find((f) => f.name.startsWith("error as data"));
    const stream = Stream.fromSSEResponse<unknown>(
      new Response(fixture?.text, { headers: { "x-request-id": "req_abc" } }),
      new AbortController(),
    );
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const item of stream) seen.push(item);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBeUndefined();
    expect(apiError.code).toBe("overloaded");
    expect(apiError.type).toBe("server_error");
    expect(apiError.param).toBeNull();
    expect(apiError.requestId).toBe("req_abc");
    expect(apiError.message).toBe("upstream overloaded");
  });

  it("a second iteration of a stream throws", async () => {
    const stream = Stream.fromSSEResponse<unknown>(new Response(chatStream("\n")), new AbortController());
    for await (const _ of stream) break;
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/twice/);
  });
});
