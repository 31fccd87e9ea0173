// The synthetic request a half-open circuit is tried with: a one-token completion, read to its end,
// so a backend must finish a whole stream (not just send a first token) to be let back in. Never a
// client's request: a client is not made to wait on, or lose its answer to, a backend under suspicion.

import type { ChatBackend, ChatCompletionRequest } from "./types.js";

let trials = 0;

export function trialRequest(model: string): ChatCompletionRequest {
  return { model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1, stream: true };
}

/** True when the backend answered the trial with a complete stream within its own timeouts. */
export async function runTrial(backend: ChatBackend, model: string): Promise<boolean> {
  // Backends log this id; the prefix tells operators (and tests) a trial from a client's request.
  trials += 1;
  const requestId = `trial_${trials}`;
  const abort = new AbortController();
  try {
    const stream = await backend.start(trialRequest(model), { requestId, signal: abort.signal });
    for await (const _chunk of stream.chunks) {
      // drained: the verdict is whether the stream ends cleanly
    }
    return true;
  } catch {
    return false;
  } finally {
    abort.abort();
  }
}
