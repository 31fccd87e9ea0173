// Encodes text with @huggingface/tokenizers (the serving library) for the identity test.
// stdin: {"tokenizer": path, "texts": [...]} → stdout: {"ids": [[...] per text]}
// With "render": {"config": tokenizer_config path, "conversations": [...]}, also renders each
// conversation with the chat template through @huggingface/jinja → {"rendered": [...]}.
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";

const req = JSON.parse(readFileSync(0, "utf8"));
const result = {};
if (req.tokenizer) {
  const tokenizerJson = JSON.parse(readFileSync(req.tokenizer, "utf8"));
  const configPath = req.tokenizer.replace(/tokenizer\.json$/, "tokenizer_config.json");
  let config = {};
  try {
    config = JSON.parse(readFileSync(configPath, "utf8"));
  } catch {}
  const tokenizer = new Tokenizer(tokenizerJson, config);
  result.ids = (req.texts ?? []).map((t) => tokenizer.encode(t).ids);
}
if (req.render) {
  const config = JSON.parse(readFileSync(req.render.config, "utf8"));
  const template = new Template(config.chat_template);
  result.rendered = req.render.conversations.map((c) =>
    template.render({ messages: c.messages, tools: c.tools, add_generation_prompt: c.add_generation_prompt, bos_token: config.bos_token, eos_token: config.eos_token }),
  );
}
process.stdout.write(JSON.stringify(result));
