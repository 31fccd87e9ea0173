// Loads a Petrel model directory with transformers.js (@huggingface/transformers), the way any
// transformers.js app would, and greedy-decodes the golden prompts: proof that the directory
// follows the Optimum / transformers.js layout, not just Petrel's own loader.
// stdin: {"model_dir": path, "dtype": "fp32"|"q8"} → stdout: {"greedy": [[ids] per golden case], "chat_prompt": str}
import { readFileSync } from "node:fs";
import path from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, env } from "@huggingface/transformers";

const req = JSON.parse(readFileSync(0, "utf8"));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(req.model_dir);
const name = path.basename(req.model_dir);
const tokenizer = await AutoTokenizer.from_pretrained(name);
const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: req.dtype ?? "fp32", device: "cpu" });
const golden = JSON.parse(readFileSync(path.join(req.model_dir, "golden.json"), "utf8"));
const greedy = [];
for (const c of golden.cases) {
  const ids = tokenizer(c.prompt, { add_special_tokens: false }).input_ids;
  const out = await model.generate({ inputs: ids, max_new_tokens: c.max_new_tokens, do_sample: false,
                                     eos_token_id: golden.eos_token_ids });
  greedy.push(Array.from(out.tolist()[0].slice(c.input_ids.length), Number));
}
const first = golden.cases.find((c) => c.messages);
const chatPrompt = tokenizer.apply_chat_template(first.messages, { tokenize: false, add_generation_prompt: true });
process.stdout.write(JSON.stringify({ greedy, chat_prompt: chatPrompt }));
