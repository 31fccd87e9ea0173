// Ids in OpenAI's shapes: a prefix and random hex (resp_…, msg_…, fc_…, call_…).
export type IdPrefix = "resp" | "msg" | "fc" | "fco" | "call";

export type NewId = (prefix: IdPrefix) => string;

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

export const randomId: NewId = (prefix) => `${prefix}_${hex(prefix === "resp" ? 24 : 16)}`;
