// FAKE backends for faults a real engine can't be made to show on cue: one that streams a role
// chunk and three content chunks and then garbage (whatever max_tokens says), and one that sends
// response headers and then nothing. Both answer their readiness endpoints with 200, as the
// half-broken servers in issue 17 did, and record the x-request-id of every chat request, so a test
// can tell the gateway's synthetic trials (`trial_…`) from clients' requests.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "garbage-after-first-token" | "hang-after-headers";

export interface FakeBackend {
  url: string;
  /** x-request-id of every chat request received, in order. */
  requestIds: string[];
  clientRequests(): number;
  trials(): number;
  close(): Promise<void>;
}

const chunk = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1,
    model: "fake",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
  })}\n\n`;

function serve(fault: Fault, res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
  if (fault === "hang-after-headers") return; // never a byte of body
  res.write(chunk({ role: "assistant", content: "" }));
  for (const text of ["Hel", "lo", "!"]) res.write(chunk({ content: text }));
  res.end("data: {this is not json\n\n");
}

export async function startFakeBackend(fault: Fault): Promise<FakeBackend> {
  const requestIds: string[] = [];
  const server = createServer((req, res) => {
    if (req.method === "GET") {
      // Petrel's load report and the other kinds' readiness endpoints: all fine, says the fake.
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ queued: 0, active: 0, capacity: 8 }));
    }
    requestIds.push(String(req.headers["x-request-id"] ?? ""));
    req.resume();
    req.on("end", () => serve(fault, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const trials = () => requestIds.filter((id) => id.startsWith("trial_")).length;
  return {
    url: `http://127.0.0.1:${port}`,
    requestIds,
    trials,
    clientRequests: () => requestIds.length - trials(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
