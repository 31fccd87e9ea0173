// The fetch transport's body reader (Workers): after `[DONE]`, release() reads the rest of the body to
// its end instead of cancelling it, so the connection stays usable; a body that goes on past the
// drain limit is cancelled; cancel() after release() changes nothing.
import { describe, expect, it } from "vitest";
import { streamSource } from "../../service/src/gateway/transport.js";

/** A body that hands out `chunks`, then ends (or stays open), and records a cancel. */
function body(chunks: Uint8Array[], end = true) {
  const state = { cancelled: false, pulled: 0, closed: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks.shift();
        if (next) {
          state.pulled += 1;
          controller.enqueue(next);
        } else if (end) {
          state.closed = true;
          controller.close();
        }
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** Turns of the microtask queue, enough for every read the reader can make without new input. */
const settle = async () => {
  for (let i = 0; i < 2_000; i++) await Promise.resolve();
};

describe("streamSource.release", () => {
  it("reads the rest of the body to its end and does not cancel it", async () => {
    const enc = new TextEncoder();
    const { stream, state } = body([enc.encode("data: [DONE]\n\n"), enc.encode(": trailing\n\n")]);
    const source = streamSource(stream);
    expect((await source.read()).done).toBe(false);
    source.release();
    await settle();
    source.cancel(); // after release: nothing to abort
    await settle();
    expect(state.pulled).toBe(2);
    expect(state.closed).toBe(true);
    expect(state.cancelled).toBe(false);
  });

  it("cancels a body that goes on past the drain limit", async () => {
    const chunks = Array.from({ length: 80 }, () => new Uint8Array(1024));
    const { stream, state } = body(chunks, false);
    const source = streamSource(stream);
    await source.read();
    source.release();
    await settle();
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(80);
  });

  it("cancel() without release() cancels at once", async () => {
    const { stream, state } = body([new Uint8Array(1)], false);
    const source = streamSource(stream);
    source.cancel();
    await settle();
    expect(state.cancelled).toBe(true);
  });
});
