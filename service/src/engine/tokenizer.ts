// Tokenizer and chat template of a model directory, with Hugging Face semantics: the template is
// rendered with `messages`, `add_generation_prompt` and the special tokens, then encoded without
// adding special tokens again (as transformers' apply_chat_template does).
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import type { ModelFiles } from "./model-files.js";
import { readJson, requireJson } from "./model-files.js";
import type { ChatMessage } from "./types.js";

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

export class ModelTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly template: Template;
  private readonly specialTokens: Record<string, string> = {};

  constructor(files: ModelFiles) {
    const tokenizerJson = requireJson<Json>(files, "tokenizer.json");
    const config = readJson<Json>(files, "tokenizer_config.json") ?? {};
    this.tokenizer = new Tokenizer(tokenizerJson, config);
    for (const key of specialTokenKeys) {
      const content = tokenContent(config[key]);
      if (content !== undefined) this.specialTokens[key] = content;
    }
    this.template = new Template(pickTemplate(config));
  }

  /** The rendered prompt text of a conversation, ending with the assistant turn's header. */
  renderChat(messages: ChatMessage[]): string {
    return this.template.render({
      messages,
      add_generation_prompt: true,
      ...this.specialTokens,
    });
  }

  encodeChat(messages: ChatMessage[]): number[] {
    return this.encode(this.renderChat(messages));
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
