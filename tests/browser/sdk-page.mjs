// Runs inside Chromium, loaded by tests/browser/sdk-stream.test.ts: plain browser code using the
// built SDK through the page's import map, exactly as a site without a bundler would.
import { APIUserAbortError, AuthenticationError, NotFoundError, Petrel } from "@petrel/sdk";

window.streamCompletion = async ({ baseURL, key, request }) => {
  // Default retries: a failure before the stream's headers is retried, as in any real app.
  const client = new Petrel({ baseURL, apiKey: key });
  const stream = await client.chat.completions.stream(request);
  let text = "";
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta.content ?? "";
  }
  const final = await stream.finalChatCompletion();
  return {
    chunks,
    text,
    final: final.choices[0]?.message.content,
    usage: final.usage,
    requestId: stream.requestId,
    ua: navigator.userAgent,
  };
};

window.errorsAndAbort = async ({ baseURL, key }) => {
  const client = new Petrel({ baseURL, apiKey: key, maxRetries: 0 });
  const notFound = await client.models.retrieve("nope").catch((e) => e);
  const badKey = await new Petrel({ baseURL, apiKey: "wrong", maxRetries: 0 }).models.list().catch((e) => e);
  const stream = await client.chat.completions.create({
    model: "petrel-mini",
    messages: [{ role: "user", content: "Count birds." }],
    max_tokens: 200,
    stream: true,
  });
  let n = 0;
  for await (const _ of stream) if (++n === 2) break;
  const aborted = await stream.finalChatCompletion().catch((e) => e);
  return {
    notFound: [notFound instanceof NotFoundError, notFound.status, notFound.code, notFound.requestId],
    badKey: [badKey instanceof AuthenticationError, badKey.status],
    n,
    aborted: aborted instanceof APIUserAbortError,
    signalAborted: stream.controller.signal.aborted,
  };
};

window.sdkReady = true;
