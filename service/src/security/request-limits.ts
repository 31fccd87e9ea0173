// Size limits on one chat (or Responses) request, checked on the parsed body before it reaches a backend, plus the
// token estimate the rate limiter reserves. The body is untrusted JSON of any shape: only fields of
// the right type are looked at (contract validation reports the wrong ones), nothing recurses.
import type { RequestLimits } from "./config.js";

export interface LimitViolation {
  message: string;
  param: string;
  code: string;
}

export interface RequestFacts {
  model: string | undefined;
  /** Upper bound on completion tokens per choice: the request's own, or the configured cap. */
  maxTokens: number;
  n: number;
  /** A rough prompt size in tokens, for the reservation only (settled later with real usage). */
  promptTokensEstimate: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

function textLength(content: unknown): number {
  if (typeof content === "string") return content.length;
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const part of content) if (isObject(part) && typeof part.text === "string") total += part.text.length;
  return total;
}

function tooLarge(param: string, value: number, max: number, code: string): LimitViolation {
  return { param, code, message: `Invalid '${param}': ${value} is larger than the limit of ${max}.` };
}

function checkMessages(messages: unknown[], limits: RequestLimits): LimitViolation | number {
  if (messages.length > limits.maxMessages) {
    return {
      param: "messages",
      code: "array_above_max_length",
      message: `Invalid 'messages': array too long. Expected at most ${limits.maxMessages} messages, got ${messages.length}.`,
    };
  }
  let chars = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const length = isObject(message) ? textLength(message.content) : 0;
    if (length > limits.maxContentChars)
      return tooLarge(`messages[${i}].content`, length, limits.maxContentChars, "string_above_max_length");
    chars += length;
  }
  return chars;
}

/** Deepest array/object nesting in JSON text, by one pass over the characters (no recursion). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}

export function checkDepth(text: string, limits: RequestLimits): LimitViolation | undefined {
  const depth = jsonDepth(text);
  if (depth <= limits.maxJsonDepth) return undefined;
  return {
    param: "",
    code: "json_too_deep",
    message: `The request body nests JSON ${depth} levels deep; the limit is ${limits.maxJsonDepth}.`,
  };
}

const positiveInt = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : undefined;

/** Either a violation (→ 400) or the facts the limiter needs. */
export function inspectRequest(body: unknown, limits: RequestLimits): LimitViolation | RequestFacts {
  const request = isObject(body) ? body : {};
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const chars = checkMessages(messages, limits);
  if (typeof chars !== "number") return chars;
  for (const param of ["max_completion_tokens", "max_tokens"] as const) {
    const value = positiveInt(request[param]);
    if (value !== undefined && value > limits.maxTokens)
      return tooLarge(param, value, limits.maxTokens, "integer_above_max_value");
  }
  const n = positiveInt(request.n) ?? 1;
  if (n > limits.maxN) return tooLarge("n", n, limits.maxN, "integer_above_max_value");
  const asked = positiveInt(request.max_completion_tokens) ?? positiveInt(request.max_tokens);
  return {
    model: typeof request.model === "string" ? request.model : undefined,
    maxTokens: asked ?? limits.maxTokens,
    n,
    // ~3 characters per token for English BPE vocabularies, plus the chat template's few per message.
    promptTokensEstimate: Math.ceil(chars / 3) + 4 * messages.length,
  };
}

export const isViolation = (v: LimitViolation | RequestFacts): v is LimitViolation => "code" in v;

function itemText(item: unknown): number {
  if (!isObject(item)) return 0;
  if (item.type === "function_call") return typeof item.arguments === "string" ? item.arguments.length : 0;
  if (item.type === "function_call_output") return textLength(item.output);
  return textLength(item.content);
}

/** The same limits for POST /v1/responses: `input` items count as messages, `max_output_tokens` as max_tokens. */
export function inspectResponsesRequest(body: unknown, limits: RequestLimits): LimitViolation | RequestFacts {
  const request = isObject(body) ? body : {};
  const input = typeof request.input === "string" ? [{ content: request.input }] : request.input;
  const items = Array.isArray(input) ? input : [];
  if (items.length > limits.maxMessages) {
    return {
      param: "input",
      code: "array_above_max_length",
      message: `Invalid 'input': array too long. Expected at most ${limits.maxMessages} items, got ${items.length}.`,
    };
  }
  let chars = typeof request.instructions === "string" ? request.instructions.length : 0;
  for (let i = 0; i < items.length; i++) {
    const length = itemText(items[i]);
    const param = typeof request.input === "string" ? "input" : `input[${i}]`;
    if (length > limits.maxContentChars)
      return tooLarge(param, length, limits.maxContentChars, "string_above_max_length");
    chars += length;
  }
  const asked = positiveInt(request.max_output_tokens);
  if (asked !== undefined && asked > limits.maxTokens)
    return tooLarge("max_output_tokens", asked, limits.maxTokens, "integer_above_max_value");
  return {
    model: typeof request.model === "string" ? request.model : undefined,
    maxTokens: asked ?? limits.maxTokens,
    n: 1,
    // Turns chained by previous_response_id are not counted here; settlement uses the real usage.
    promptTokensEstimate: Math.ceil(chars / 3) + 4 * (items.length + 1),
  };
}
