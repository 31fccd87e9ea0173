// SSE byte streams for the decoder tests, each with the events a correct parser must produce.
// Built as strings with explicit line endings so CRLF / bare-CR variants are the same stream.

const chunk = (delta: object, finish: string | null = null, usage: object | null = null) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1694268190,
    model: "petrel-mini",
    choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage,
  });

const usage = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 };

/** Content with 2-, 3- and 4-byte UTF-8 characters, so some byte split lands inside each. */
export const CONTENT = ["", "Héllo", " 日本", " 🐦!"];

export const CHAT_DATA = [
  chunk({ role: "assistant", content: CONTENT[0], refusal: null }),
  chunk({ content: CONTENT[1] }),
  chunk({ content: CONTENT[2] }),
  chunk({ content: CONTENT[3] }),
  chunk({}, "stop"),
  chunk({}, null, usage),
];

/** The chat stream with a keep-alive comment, a BOM-free start and `[DONE]`; `eol` is the line end. */
export function chatStream(eol: string): string {
  const events = CHAT_DATA.map((data) => `data: ${data}${eol}${eol}`);
  events.splice(1, 0, `: keep-alive${eol}${eol}`);
  return `${events.join("")}data: [DONE]${eol}${eol}`;
}

export interface Fixture {
  name: string;
  text: string;
  /** The events decodeSSE must yield, whole-stream and at every split. */
  events: { event: string | undefined; data: string; id: string | undefined }[];
}

const plain = (data: string) => ({ event: undefined, data, id: undefined });
const chatEvents = [...CHAT_DATA.map(plain), plain("[DONE]")];
const errorJSON =
  '{"error":{"message":"upstream overloaded","type":"server_error","param":null,"code":"overloaded"}}';

export const FIXTURES: Fixture[] = [
  { name: "LF", text: chatStream("\n"), events: chatEvents },
  { name: "CRLF", text: chatStream("\r\n"), events: chatEvents },
  { name: "bare CR", text: chatStream("\r"), events: chatEvents },
  { name: "BOM then LF", text: `\uFEFF${chatStream("\n")}`, events: chatEvents },
  {
    name: "multi-line data, comments, no space after colon, unknown field, empty data",
    text: ': hello\n\ndata: {"a":\ndata:1}\nfoo: bar\n\ndata:\n\n:x\ndata: "second"\r\n\r\n',
    // "data:" with nothing after it is an event whose data is "" (WHATWG); the Stream skips it.
    events: [plain('{"a":\n1}'), plain(""), plain('"second"')],
  },
  {
    name: "error as data after a chunk",
    text: `data: ${CHAT_DATA[0]}\n\ndata: ${errorJSON}\n\ndata: [DONE]\n\n`,
    events: [plain(CHAT_DATA[0] as string), plain(errorJSON), plain("[DONE]")],
  },
  {
    name: "error as an event type, with an id",
    text: `data: ${CHAT_DATA[0]}\r\n\r\nevent: error\r\nid: 7\r\ndata: ${errorJSON}\r\n\r\n`,
    events: [plain(CHAT_DATA[0] as string), { event: "error", data: errorJSON, id: "7" }],
  },
  {
    name: "unterminated last event is dropped",
    text: `data: ${CHAT_DATA[1]}\n\ndata: ${CHAT_DATA[2]}\n`,
    events: [plain(CHAT_DATA[1] as string)],
  },
];
