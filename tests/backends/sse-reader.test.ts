// SseChunkReader on byte streams cut at arbitrary points (property test): whatever the network does
// to the bytes, the same chunks come out; and the failure cases each raise the right error.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DONE,
  endsMidCharacter,
  isCommitChunk,
  SseChunkReader,
} from "../../service/src/gateway/sse-chunks.js";
import { type ByteSource, streamSource } from "../../service/src/gateway/transport.js";
import { ApiError } from "../../service/src/protocol/errors.js";

const chunk = (content: string) =>
  JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "up",
    choices: [{ index: 0, delta: { content } }],
  });

const texts = ["Grüße ", "🐦 ", "日本語", '\\n"quoted"', "end"];
const body = [
  ": keep-alive\r\n\r\n",
  ...texts.map((t) => `data: ${chunk(t)}\r\n\r\n`),
  ": ping\n",
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "up", choices: [], usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 } })}\n\n`,
  "data: [DONE]",
].join("");
const bytes = new TextEncoder().encode(body);

function streamOf(parts: Uint8Array[]): ByteSource {
  return streamSource(
    new ReadableStream({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    }),
  );
}

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % data.length))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(data.subarray(at, p));
    at = p;
  }
  parts.push(data.subarray(at));
  return parts;
}

async function readAll(reader: SseChunkReader) {
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const next = await reader.next(1_000, () => new ApiError(504, "timeout", "server_error"));
    if (next === DONE) return out;
    out.push(next);
  }
}

const timeout = () => new ApiError(504, "timeout", "server_error", "t");

describe("SseChunkReader", () => {
  it("yields the same chunks however the bytes are split", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
        const chunks = await readAll(new SseChunkReader(streamOf(split(bytes, cuts)), "b", "public"));
        const content = chunks.flatMap((c) =>
          (c.choices as { delta: { content: string } }[]).map((x) => x.delta.content),
        );
        expect(content).toEqual(texts);
        expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 });
        expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(["public"]));
      }),
      { numRuns: 200 },
    );
  });

  it("strips the stream's leading byte-order mark only: one at a later read's start is content", async () => {
    const enc = new TextEncoder();
    const [head, tail] = `data: ${chunk("\uFEFFafter")}\n\ndata: [DONE]\n\n`.split("\uFEFF");
    const parts = [enc.encode(`\uFEFF${head ?? ""}`), enc.encode(`\uFEFF${tail ?? ""}`)];
    const chunks = await readAll(new SseChunkReader(streamOf(parts), "b", "m"));
    const contents = chunks.map((c) => (c.choices as { delta: { content: string } }[])[0]?.delta.content);
    expect(contents).toEqual(["\uFEFFafter"]);
  });

  it("decodes a character split across reads", async () => {
    const bytes = new TextEncoder().encode(`data: ${chunk("a🐦b")}\n\ndata: [DONE]\n\n`);
    const at = bytes.indexOf(0xf0) + 2; // inside the bird's four bytes
    const chunks = await readAll(
      new SseChunkReader(streamOf([bytes.subarray(0, at), bytes.subarray(at)]), "b", "m"),
    );
    expect(chunks.map((c) => (c.choices as { delta: { content: string } }[])[0]?.delta.content)).toEqual([
      "a🐦b",
    ]);
    expect(endsMidCharacter(new Uint8Array([0x61, 0xe6, 0x97]))).toBe(true);
    expect(endsMidCharacter(new TextEncoder().encode("a日🐦"))).toBe(false);
    expect(endsMidCharacter(new Uint8Array([0xf0, 0x9f, 0x90]))).toBe(true);
  });

  it("a stream that ends without [DONE] is an error, not a clean end", async () => {
    const reader = new SseChunkReader(
      streamOf([new TextEncoder().encode(`data: ${chunk("hi")}\n\n`)]),
      "b",
      "m",
    );
    await reader.next(1_000, timeout);
    await expect(reader.next(1_000, timeout)).rejects.toMatchObject({
      status: 502,
      code: "upstream_stream_truncated",
    });
  });

  it("a runaway line beyond the buffer cap is garbage", async () => {
    const huge = new TextEncoder().encode(`data: ${"x".repeat(5 * 1024 * 1024)}`);
    const reader = new SseChunkReader(streamOf([huge]), "b", "m");
    await expect(reader.next(1_000, timeout)).rejects.toMatchObject({
      status: 502,
      code: "upstream_bad_response",
    });
  });

  it("silence past the deadline raises the given timeout error", async () => {
    const silent = streamSource(new ReadableStream<Uint8Array>({ start() {} }));
    const reader = new SseChunkReader(silent, "b", "m");
    await expect(reader.next(30, timeout)).rejects.toMatchObject({ status: 504, code: "t" });
  });

  it("treats role-only chunks as not yet committed, content/finish/usage as committed", () => {
    const base = { id: "c", object: "chat.completion.chunk" as const, created: 1, model: "m" };
    expect(
      isCommitChunk({
        ...base,
        choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      }),
    ).toBe(false);
    expect(
      isCommitChunk({ ...base, choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] }),
    ).toBe(true);
    expect(
      isCommitChunk({
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0 }] }, finish_reason: null }],
      }),
    ).toBe(true);
    expect(isCommitChunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })).toBe(true);
    expect(isCommitChunk({ ...base, choices: [] })).toBe(true);
  });
});
