// A fetch for client packages (openai, the AI SDK, LangChain) that hands them the real response and
// keeps a copy of every one for the contract check, so a suite validates everything its clients saw.
import { assertResponseMatchesContract } from "./contract.js";

export interface RecordingFetch {
  fetch: typeof fetch;
  /** Validates every response recorded since the last call; returns how many it validated. */
  check(): Promise<number>;
}

export function recordingFetch(): RecordingFetch {
  let seen: { method: string; url: string; response: Promise<Response> }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    // Read the copy at once: an unread clone of a streamed body stalls the original in undici.
    const copy = response
      .clone()
      .text()
      .then((text) => new Response(text, { status: response.status, headers: response.headers }));
    seen.push({ method, url, response: copy });
    return response;
  };
  return {
    fetch: recording,
    async check() {
      const responses = seen;
      seen = [];
      for (const { method, url, response } of responses)
        await assertResponseMatchesContract(method, url, await response);
      return responses.length;
    },
  };
}
