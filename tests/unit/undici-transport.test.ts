// The Node gateway's upstream body reader over a Node stream: chunks in order, then the end; an
// error or a close before the end rejects the pending read instead of leaving it waiting.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { readableSource } from "../../service/src/server/undici-transport.js";

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe("readableSource", () => {
  it("reads what is buffered, waits for more, and ends", async () => {
    const body = new PassThrough();
    const source = readableSource(body);
    body.write("a");
    const first = await source.read();
    expect(first.done).toBe(false);
    expect(text(first.value)).toBe("a");
    const pending = source.read();
    body.write("b");
    expect(text((await pending).value)).toBe("b");
    body.end();
    expect((await source.read()).done).toBe(true);
  });

  it("rejects a pending read when the stream fails or is cancelled", async () => {
    const failing = new PassThrough();
    const a = readableSource(failing).read();
    failing.destroy(new Error("socket hang up"));
    await expect(a).rejects.toThrow("socket hang up");

    const cancelled = new PassThrough();
    const source = readableSource(cancelled);
    const b = source.read();
    source.cancel();
    await expect(b).rejects.toThrow("upstream body closed");
  });
});

describe("readableSource.release", () => {
  it("drains the rest of the body to its end instead of destroying it", async () => {
    const body = new PassThrough();
    const source = readableSource(body);
    body.write("data: [DONE]\n\n");
    await source.read();
    body.write("trailing bytes");
    source.release();
    body.end();
    await new Promise((resolve) => body.once("end", resolve));
    source.cancel(); // after release: nothing left to abort
    expect(body.readableEnded).toBe(true);
    expect(body.readableAborted).toBe(false);
  });
});
