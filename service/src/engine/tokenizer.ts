// Tokenizer and chat template of a model directory, with Hugging Face semantics: the template is
// rendered with `messages`, `add_generation_prompt` and the special tokens, then encoded without
// adding special tokens again (as transformers' apply_chat_template does).
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { bytePieces, type Piece } from "./byte-pieces.js";
import type { ModelFiles } from "./model-files.js";
import { readJson, requireJson } from "./model-files.js";
import type { ChatMessage, ToolDefinition } from "./types.js";

type Json = Record<string, unknown>;

// Used only when tokenizer_config.json has no chat_template: ChatML, transformers' old default.
const chatmlTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const specialTokenKeys = ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token"];

function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as Json).content === "string") {
    return (value as Json).content as string;
  }
  return undefined;
}

function pickTemplate(config: Json): string {
  const raw = config.chat_template;
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw)) {
    const named = raw as { name?: string; template?: string }[];
    const found = named.find((t) => t.name === "default") ?? named[0];
    if (found?.template) return found.template;
  }
  return chatmlTemplate;
}

/**
 * A message as Hugging Face chat templates read it. Call arguments are handed over parsed where they
 * are JSON (transformers' templates expect a mapping and write it with `tojson`), else as the text.
 */
function templateMessage(message: ChatMessage): Json {
  const { toolCalls, toolCallId, ...rest } = message;
  const out: Json = { ...rest };
  if (toolCallId !== undefined) out.tool_call_id = toolCallId;
  if (toolCalls && toolCalls.length > 0) {
    out.tool_calls = toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: parsedOrText(call.arguments) },
    }));
  }
  return out;
}

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class ModelTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template;
  private readonly specialTokens: Record<string, string> = {};
  /** Each id's share of decoded text, for byte-level BPE tokenizers only (byte-pieces.ts). */
  readonly pieces: ((id: number) => Piece) | undefined;

  constructor(files: ModelFiles) {
    const tokenizerJson = requireJson<Json>(files, "tokenizer.json");
    const config = readJson<Json>(files, "tokenizer_config.json") ?? {};
    this.tokenizer = new Tokenizer(tokenizerJson, config);
    for (const key of specialTokenKeys) {
      const content = tokenContent(config[key]);
      if (content !== undefined) this.specialTokens[key] = content;
    }
    this.template = new Template(pickTemplate(config));
    this.pieces = bytePieces(tokenizerJson, config, (id) => this.idToToken(id));
  }

  /**
   * The rendered prompt text of a conversation, ending with the assistant turn's header. Messages and
   * tools reach the template in the shapes transformers passes (`tool_calls`, `tool_call_id`, `tools`
   * as OpenAI function tools); a template that ignores `tools` renders none.
   */
  renderChat(messages: ChatMessage[], tools?: ToolDefinition[]): string {
    return this.template.render({
      messages: messages.map(templateMessage),
      ...(tools && tools.length > 0 ? { tools: tools.map((t) => ({ type: "function", function: t })) } : {}),
      add_generation_prompt: true,
      ...this.specialTokens,
    });
  }

  encodeChat(messages: ChatMessage[], tools?: ToolDefinition[]): number[] {
    return this.encode(this.renderChat(messages, tools));
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Decodes ids with special tokens dropped; incomplete UTF-8 byte sequences decode as U+FFFD. */
  decode(ids: number[]): string {
    if (ids.length === 0) return "";
    return this.tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** The raw vocabulary string of a token (e.g. byte-level "Ġthe"), for logprobs. */
  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  /** Ids of special tokens named as end of turn by tokenizer_config.json (eos_token). */
  eosTokenId(): number | undefined {
    const eos = this.specialTokens.eos_token;
    return eos === undefined ? undefined : this.tokenToId(eos);
  }
}
