// The Node gateway's upstream client (undici's dispatcher) against a real node:http server on
// loopback: chunks in order, then the end; a failure or a cancel rejects the pending read instead of
// leaving it waiting; an abort before the headers rejects the response; a released body is drained
// and its connection serves the next request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Transport } from "../../service/src/gateway/index.js";
import { undiciTransport } from "../../service/src/server/undici-transport.js";

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** Each request is handed to the test, which answers it step by step. */
let next: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
const arrived = () =>
  new Promise<{ req: IncomingMessage; res: ServerResponse }>((resolve) => {
    next = (req, res) => resolve({ req, res });
  });
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => next?.(req, res));
});
let connections = 0;
server.on("connection", () => {
  connections += 1;
});
let url = "";
const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
let transport: Transport;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  transport = undiciTransport(agent);
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const call = (signal = new AbortController().signal) =>
  transport(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}", signal });

describe("undiciTransport", () => {
  it("hands over status and headers, reads what arrives in order, waits for more, and ends", async () => {
    const exchange = arrived();
    const pending = call();
    const { res } = await exchange;
    res.writeHead(200, { "content-type": "text/event-stream", "x-many": ["a", "b"] });
    res.write("a");
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-many")).toBe("a, b");
    expect(response.headers.get("x-absent")).toBeNull();
    expect(text((await response.body.read()).value)).toBe("a");
    const later = response.body.read();
    res.write("b");
    expect(text((await later).value)).toBe("b");
    res.end();
    expect((await response.body.read()).done).toBe(true);
  });

  it("reads a whole error body as text", async () => {
    const exchange = arrived();
    const pending = call();
    (await exchange).res.writeHead(429, { "retry-after": "3" }).end('{"error":{"message":"slow down"}}');
    const response = await pending;
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(JSON.parse(await response.text())).toEqual({ error: { message: "slow down" } });
  });

  it("relays a body larger than its buffer intact (reading resumes a paused socket)", async () => {
    const exchange = arrived();
    const pending = call();
    const big = Buffer.alloc(1024 * 1024, "x");
    (await exchange).res.writeHead(200).end(big);
    const response = await pending;
    let bytes = 0;
    for (let r = await response.body.read(); !r.done; r = await response.body.read()) bytes += r.value.length;
    expect(bytes).toBe(big.length);
  });

  it("rejects the pending read when the upstream fails mid-body or the body is cancelled", async () => {
    let exchange = arrived();
    let pending = call();
    let { res } = await exchange;
    res.writeHead(200).write("a");
    const failing = await pending;
    await failing.body.read();
    const read = failing.body.read();
    res.socket?.destroy();
    await expect(read).rejects.toThrow();

    exchange = arrived();
    pending = call();
    ({ res } = await exchange);
    res.writeHead(200).write("a");
    const cancelled = await pending;
    const closed = new Promise((resolve) => res.on("close", resolve));
    const waiting = cancelled.body.read();
    await waiting; // "a"
    const more = cancelled.body.read();
    cancelled.body.cancel();
    await expect(more).rejects.toThrow("upstream body closed");
    await closed; // the upstream saw the request go away
  });

  it("aborts through the signal: before the headers the call rejects with the reason, after them the read does", async () => {
    let exchange = arrived();
    let abort = new AbortController();
    const early = call(abort.signal);
    await exchange;
    abort.abort(new Error("client left"));
    await expect(early).rejects.toThrow("client left");

    exchange = arrived();
    abort = new AbortController();
    const pending = call(abort.signal);
    (await exchange).res.writeHead(200).write("a");
    const response = await pending;
    await response.body.read();
    const read = response.body.read();
    abort.abort(new Error("deadline"));
    await expect(read).rejects.toThrow("deadline");

    const gone = new AbortController();
    gone.abort(new Error("already gone"));
    await expect(call(gone.signal)).rejects.toThrow("already gone");
  });

  it("after release, drains the rest of the body and keeps the connection for the next request", async () => {
    // one socket per origin: a request waits for it rather than opening another
    const single = new Agent({ headersTimeout: 0, bodyTimeout: 0, connections: 1 });
    const transport = undiciTransport(single);
    const call = () =>
      transport(url, { method: "POST", headers: {}, body: "{}", signal: new AbortController().signal });
    let exchange = arrived();
    let pending = call();
    let { res } = await exchange;
    res.writeHead(200).end("warm-up");
    await (await pending).text();
    const before = connections;

    exchange = arrived();
    pending = call();
    ({ res } = await exchange);
    res.writeHead(200).write("data: [DONE]\n\n");
    const response = await pending;
    await response.body.read();
    response.body.release();
    res.end("trailing bytes");
    // the rest is dropped: a read after release just waits for the end
    expect((await response.body.read()).done).toBe(true);
    response.body.cancel(); // after release: nothing left to abort

    exchange = arrived();
    pending = call();
    (await exchange).res.writeHead(200).end("again");
    expect(await (await pending).text()).toBe("again");
    expect(connections).toBe(before);
    await single.close();
  });
});
