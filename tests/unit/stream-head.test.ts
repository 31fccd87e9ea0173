// withStreamHeadCoalesced on a real @hono/node-server: an event stream whose first chunk is in hand
// leaves with its headers in the same socket write (node-server alone writes the header block first,
// on its own); one whose first chunk is not here yet still sends its headers at once.
import type { AddressInfo, Socket } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withStreamHeadCoalesced } from "../../service/src/server/execution-context.js";

const SSE = { "content-type": "text/event-stream" };
const encode = (s: string) => new TextEncoder().encode(s);

let respond: () => Response = () => new Response("unset");
/** What each write to the server's sockets carried (one entry per write, its buffers joined). */
const writes: string[] = [];

function countWrites(socket: Socket) {
  const s = socket as Socket & {
    _write: (chunk: Buffer, enc: BufferEncoding, cb: () => void) => void;
    _writev: (chunks: { chunk: Buffer | string }[], cb: () => void) => void;
  };
  const write = s._write.bind(s);
  const writev = s._writev.bind(s);
  s._write = (chunk, enc, cb) => {
    writes.push(String(chunk));
    write(chunk, enc, cb);
  };
  s._writev = (chunks, cb) => {
    writes.push(chunks.map((c) => String(c.chunk)).join(""));
    writev(chunks, cb);
  };
}

const server = serve({ fetch: withStreamHeadCoalesced(() => respond()), port: 0, hostname: "127.0.0.1" });
server.on("connection", countWrites);
let url = "";
beforeAll(async () => {
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("withStreamHeadCoalesced", () => {
  it("an event stream's headers and its first chunk leave in one write", async () => {
    writes.length = 0;
    respond = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encode("data: first\n\n"));
          },
          pull(controller) {
            controller.enqueue(encode("data: [DONE]\n\n"));
            controller.close();
          },
        }),
        { headers: SSE },
      );
    const res = await fetch(url);
    expect(await res.text()).toBe("data: first\n\ndata: [DONE]\n\n");
    expect(writes[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(writes[0]).toContain("data: first\n\n");
  });

  it("a stream whose first chunk is not here yet still sends its headers at once", async () => {
    let push: (s: string) => void = () => {};
    respond = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            push = (s) => {
              controller.enqueue(encode(s));
              controller.close();
            };
          },
        }),
        { headers: SSE },
      );
    const res = await fetch(url); // the headers, with no chunk sent yet
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    push("data: late\n\n");
    expect(await res.text()).toBe("data: late\n\n");
  });

  it("other responses pass through untouched", async () => {
    respond = () => Response.json({ ok: true });
    const res = await fetch(url);
    expect(await res.json()).toEqual({ ok: true });
  });
});
