// The Responses stream: `event: <type>` + `data: <event>` per event, no `[DONE]`. response.created and
// response.in_progress go out at once; chunks become events through the ResponseBuilder; the final
// event (completed, incomplete or failed) is sent after the response is stored, so a client that read
// it can retrieve the response. A client that goes away aborts generation and the response is stored
// as it got, `incomplete`.
import type { ResponseBuilder, StreamEvent } from "../responses/index.js";
import { Heartbeat, pullBody, type StartedStream } from "./sse.js";

export interface ResponseSseOptions {
  started: Promise<StartedStream>;
  builder: ResponseBuilder;
  heartbeatMs: number;
  abort: AbortController;
  /** Stores the response; called once, however the stream ends. */
  save: () => Promise<void>;
  /** Called once: the body ended (false) or the client cancelled it (true), after the response is stored. */
  onEnd?: (cancelled: boolean) => void;
  /** Called at once when the client cancels. */
  onCancel?: () => void;
}

const encoder = new TextEncoder();
const frame = (event: StreamEvent) =>
  encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);

export function responseSseBody(options: ResponseSseOptions): ReadableStream<Uint8Array> {
  return pullBody((beat) => responseFrames(options, beat), options.abort, false, {
    onEnd: options.onEnd,
    onCancel: options.onCancel,
  });
}

async function* responseFrames(
  options: ResponseSseOptions,
  beat: () => void,
): AsyncGenerator<Uint8Array, void> {
  const { abort, builder } = options;
  let saved: Promise<void> | undefined;
  const save = () => {
    saved ??= options.save();
    return saved;
  };
  let iterator: AsyncIterator<unknown> | undefined;
  const heart = new Heartbeat(options.heartbeatMs, () => {
    if (!abort.signal.aborted) beat();
  });
  let last: StreamEvent[] = [];
  try {
    for (const event of builder.start()) yield frame(event);
    const started = await heart.during(options.started);
    iterator = started.iterator;
    let result = started.first;
    while (!result.done) {
      const events = builder.add(result.value);
      if (!abort.signal.aborted) for (const event of events) yield frame(event);
      heart.waiting();
      result = await started.iterator.next();
      heart.idle();
    }
    if (!abort.signal.aborted) last = builder.finish();
  } catch (err) {
    heart.idle();
    if (!abort.signal.aborted) last = builder.fail(err);
  } finally {
    heart.stop();
    if (abort.signal.aborted) {
      await iterator?.return?.().catch(() => {});
      if (!builder.ended) builder.interrupt();
      await save();
    }
  }
  await save();
  for (const event of last) yield frame(event);
}
