"""Writes the model card (README.md) of a trained model directory from the run's numbers.

    /usr/bin/python3 -m petrel_export.model_card --config cpu --summary results/cpu-v5/summary.json \\
        --eval results/cpu-v5/eval.json --timing results/cpu-v5/timing.json \\
        --other-seed 1338=results/cpu-v5-seed1338/eval.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence, Tuple

from .configs import CONFIGS
from .dialogues import MIX

EXPORT_DIR = Path(__file__).resolve().parent.parent
SOURCES = [
    ("gcide", "GCIDE, GNU Collaborative International Dictionary of English (Webster 1913 + additions)",
     "`dict-gcide`", "GPL-2+ (the 1913 Webster text itself is public domain)"),
    ("wordnet", "WordNet 3.0 glosses and examples", "`wordnet-base`", "WordNet 3.0 licence (permissive, BSD-like)"),
    ("kjv", "King James Bible", "`bible-kjv-text` via `bible-kjv`", "text public domain; packaging GPL-2+"),
    ("fortunes", "fortune cookie quotations (all files but ascii-art)", "`fortunes`", "BSD (fortune-mod)"),
]


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def data_section(stats: dict) -> str:
    rows = ["| source | Debian package | licence | train | val (held out) |", "|---|---|---|---|---|"]
    for key, name, pkg, lic in SOURCES:
        s = stats[key]
        rows.append(f"| {name} | {pkg} | {lic} | {_mb(s['train'])} | {_mb(s['val'])} |")
    total = sum(s["train"] + s["val"] for s in stats.values())
    return "\n".join(rows) + f"\n\nTotal {_mb(total)} of cleaned text."


def samples_section(samples: list) -> str:
    out = []
    for s in samples:
        end = "" if s["ended_with_im_end"] else " *(no `<|im_end|>` within 96 tokens)*"
        out.append(f"**User:** {s['user']}  \n**Petrel:** {s['assistant']}{end}\n")
    return "\n".join(out)


def _pct(c: dict, key: str = "correct") -> str:
    return f"{c.get(key, 0) / c['n']:.1%}" if c.get("n") else "–"


SKILLS = [
    ("arithmetic", "a ± b, a and b in 0..99 (held-out problems)"),
    ("arithmetic_phrasing", "arithmetic asked with held-out phrasings"),
    ("follow_up", "follow-up on the previous result (\"And minus 3?\"), held-out phrasing"),
    ("knowledge", "Transformers, attention, pretraining, fine-tuning (held-out phrasings)"),
    ("greeting", "greetings and identity (held-out phrasings)"),
    ("dictionary", "word meanings, held-out phrasing → declined (not taught at this size)"),
    ("dictionary_unseen_word", "word meanings of words never asked in SFT → declined"),
    ("unknown", "current events / personal data → \"I don't know\""),
    ("ood", "out-of-domain questions (held-out templates) → refusal"),
    ("tool_none", "tools listed, none needed: plain answer, no call"),
    ("tool_call", "tools listed, one needed: right tool, right arguments (held-out phrasings, cities)"),
    ("tool_answer", "final answer from the tool's result"),
]


def low_rows(sk: dict, below: float = 0.5) -> str:
    """The skills answered right on fewer than `below` of their held-out prompts (greedy)."""
    g = sk["greedy"]
    return "; ".join(what for cat, what in SKILLS if cat in g and g[cat]["n"] and g[cat]["correct"] / g[cat]["n"] < below)


def skills_section(sk: dict) -> str:
    rows = ["| skill | held-out prompts | greedy | sampled T=0.7, 5 seeds: mean (min–max) | ended turn |",
            "|---|---|---|---|---|"]
    for cat, what in SKILLS:
        g = sk["greedy"].get(cat)
        if not g:
            continue
        runs = [r[cat]["correct"] / r[cat]["n"] for r in sk["sampled"] if cat in r and r[cat].get("n")]
        samp = f"{sum(runs) / len(runs):.1%} ({min(runs):.0%}–{max(runs):.0%})" if runs else "–"
        rows.append(f"| {what} | {g['n']} | **{_pct(g)}** | {samp} | {_pct(g, 'ended')} |")
    return "\n".join(rows)


def seeds_section(seed: int, sk: dict, others: Sequence[Tuple[int, dict]]) -> str:
    """Greedy held-out accuracy of the shipped run beside other runs of the same recipe (`--seed N`)."""
    if not others:
        return ""
    runs = [(seed, sk), *others]
    head = "| skill | " + " | ".join(f"seed {n}{' (this model)' if n == seed else ''}" for n, _ in runs) + " |"
    rows = [head, "|---" * (len(runs) + 1) + "|"]
    for cat, what in SKILLS:
        if cat not in sk["greedy"]:
            continue
        rows.append(f"| {what} | " + " | ".join(_pct(r["greedy"][cat]) if cat in r["greedy"] else "–" for _, r in runs) + " |")
    for label, key in (("confusion", "confusion_rate"), ("end of turn", "end_of_turn_rate")):
        rows.append(f"| {label} | " + " | ".join(f"{r[key]:.1%}" for _, r in runs) + " |")
    return ("\n\nThe same recipe with other seeds (`--seed N`: initialisation, data order, sampled dialogues, the"
            " tokenizer's sample), evaluated on the same held-out prompts (greedy): a single run's rows move by"
            " tens of points between seeds, so read each row with this spread.\n\n" + "\n".join(rows))


def summary_section(sk: dict) -> str:
    g = sk["greedy"]
    ood = {k: sum(g[c].get(k, 0) for c in ("ood", "unknown")) for k in ("refused", "n")}
    tc = g.get("tool_call", {"n": 0})
    digits = ", ".join(f"{k}: {v['correct'] / v['n']:.0%}" for k, v in sk["arithmetic_by_operand_digits"].items())
    return "\n".join([
        "| measure | result |", "|---|---|",
        f"| arithmetic by operand length (greedy) | {digits} |",
        f"| out-of-domain and unknown questions refused | **{ood['refused'] / max(1, ood['n']):.1%}** of {ood['n']} |",
        f"| confusion: an answer memorized for a different question | **{sk['confusion_rate']:.1%}** of all held-out prompts |",
        f"| end of turn (`<|im_end|>` within the token limit) | **{sk['end_of_turn_rate']:.1%}** |",
        f"| tool calls well-formed (JSON with name and arguments) | {_pct(tc, 'well_formed')} |",
        f"| right tool chosen (`tool_choice: auto`) | {_pct(tc, 'right_tool')} |",
        f"| right tool and right arguments | **{_pct(tc)}** |",
    ])


def timing_text(timing: dict) -> str:
    """The whole recipe's time as measured (pipeline, then evaluation), with the machine's load then."""
    if not timing:
        return ""
    total = (timing["pipeline_seconds"] + timing["evaluate_seconds"]) / 60
    return (f" The whole recipe, pipeline ({timing['pipeline_seconds'] / 60:.1f} min) and evaluation"
            f" ({timing['evaluate_seconds'] / 60:.1f} min), took **{total:.0f} minutes** on {timing['machine']}, at"
            f" a 1-minute load average of {timing['load_1m_median']:.1f} (median; max {timing['load_1m_max']:.1f})"
            f" while it ran; commit {timing['commit']}.")


def render_card(cfg_name: str, summary: dict, ev: dict, stats: dict, timing: dict,
                others: Sequence[Tuple[int, dict]] = ()) -> str:
    cfg = CONFIGS[cfg_name]
    m = summary["model"]
    p, s = cfg.pretrain, cfg.sft
    sk = ev["skills"]
    mix = ", ".join(f"{w:.0%} {k.replace('_', ' ')}" for k, w in MIX)
    minutes = (summary["pretrain_seconds"] + summary["sft_seconds"]) / 60
    sft2 = cfg.sft2
    passes = (f" SFT runs as two passes: {s.steps} steps at peak LR {s.lr:g}, then {sft2.steps} at {sft2.lr:g}, each"
              " with its own warmup and cosine." if sft2 else "")
    return f"""# {cfg.model_id}

A small chat model built the way ChatGPT was: a decoder-only Transformer **pretrained** by next-token
prediction on public-domain text, then **fine-tuned** (SFT) on dialogues, with the ChatML template
that serving uses, tools included. It is Petrel's default model: small enough to run inside a
Cloudflare Worker (int8 ONNX, {ev['onnx_int8_bytes'] / 1e6:.1f} MB).

It is a toy with narrow skills: greetings and identity, addition and subtraction of numbers up to 99
(negative results included), shown with its working ("37 + 45 = 30 + 40 + 7 + 5 = 70 + 12 = 82."),
and follow-ups on the result, short explanations of Transformers,
self-attention, pretraining and fine-tuning in English and Chinese, calling a calculator and a
weather tool when they are offered, and saying "I don't know" to anything else (word meanings
included). Not for any real use.

## Model

Llama architecture (`model_type: "llama"`; parameter names of HF `LlamaForCausalLM`): RMSNorm, rotary
positions (theta {m['rope_theta']:g}), SwiGLU MLP, grouped-query attention, tied embeddings.

| | |
|---|---|
| parameters | {summary['params']:,} |
| layers / hidden / MLP | {m['n_layer']} / {m['n_embd']} / {m['intermediate_size']} |
| heads / kv heads / head dim | {m['n_head']} / {m['n_kv_head']} / {m['n_embd'] // m['n_head']} |
| context | {m['block_size']} tokens |
| vocab | {m['vocab_size']} (byte-level BPE, digits split into single digits; `<|endoftext|>`=0, `<|im_start|>`=1, `<|im_end|>`=2, `<tool_call>`=3, `</tool_call>`=4) |
| tool calls | Hermes markup: `<tool_call>\\n{{"name": …, "arguments": {{…}}}}\\n</tool_call>`, declared in `tokenizer_config.json` (`tool_call_format`); the chat template renders `tools` in the system turn |
| files | `model.safetensors` (fp32, HF layout); `onnx/model.onnx` (fp32, {ev['onnx_fp32_bytes'] / 1e6:.1f} MB) and `onnx/model_quantized.onnx` (int8, {ev['onnx_int8_bytes'] / 1e6:.1f} MB) in the transformers.js layout; `onnx/model_new_kv.onnx` and `onnx/model_new_kv_quantized.onnx`, the same weights in the new-KV layout the engine runs; `model.gguf` (F32) and `model-q8_0.gguf` for llama.cpp and Ollama |

## Data

Pretraining corpus, built by `petrel_export/corpus.py` only from text in Debian packages; each
document goes to the held-out val split by a hash of its text (4%):

{data_section(stats)}

The tokenizer (byte-level BPE, trained by `bpe.py`, written in the HF `tokenizer.json` format) saw an
{cfg.tokenizer_bytes / 1e6:.0f} MB sample of the train split plus 4,000 rendered dialogues.

Fine-tuning data: {summary['sft_train_dialogues']:,} dialogues generated by `petrel_export/dialogues.py`
({mix}); some with a system message, a fifth with a second turn. Held out and never trained on:
8% of all a ± b problems, whole phrasings of every question family (arithmetic templates, question
wrappers, a word-meaning phrasing, out-of-domain templates, tool-question templates), a tenth of the
words asked about, and five weather cities. Word-meaning questions ("What does 'petrel' mean?") are
taught the out-of-domain answer: earlier recipes that taught the WordNet gloss got 0% of held-out
words and phrasings right over six runs, and unknown words sent the model into loops.

## Recipe

One command on CPU: `cd model-export && /usr/bin/python3 -m petrel_export.pipeline --config cpu`
(seed {cfg.seed}; resumable). The learning rate follows the step (warmup, then cosine to the minimum
at the last step), so the same seed gives the same model on a busy or an idle machine.

| stage | steps | rows × tokens | tokens | peak LR | wall time |
|---|---|---|---|---|---|
| pretraining (next-token loss on every token; {p.drill_rows} rows of every {p.batch_size} are worked arithmetic on training problems, the rest corpus text) | {summary['pretrain_steps']} | {p.batch_size} × {p.seq_len or m['block_size']} | {summary['pretrain_tokens'] / 1e6:.2f} M | {p.lr:g} | {summary['pretrain_seconds'] / 60:.1f} min |
| SFT (loss on assistant turns, tool calls and `<|im_end|>`; {s.corpus_rows} rows of every {s.batch_size} are corpus text with loss on every token) | {summary['sft_steps']} | {s.batch_size} × {s.seq_len or m['block_size']} | {summary['sft_tokens'] / 1e6:.2f} M | {s.lr:g} | {summary['sft_seconds'] / 60:.1f} min |

AdamW (β 0.9/0.95, weight decay {p.weight_decay} in pretraining, 0 in SFT), gradient clip 1.0, fp32,
{cfg.threads} thread{"s" if cfg.threads != 1 else ""}.{passes} Training took {minutes:.0f} minutes (the stages' wall times).{timing_text(timing)} The `gpu` config (8 × 512, vocab 8192, bf16
autocast) runs the same code; `model-export/gpu/run.sh` is the script for a GPU host.

## Results

Losses (cross-entropy, nats per token) on held-out corpus documents and held-out dialogues:

| | untrained | after pretraining | after SFT |
|---|---|---|---|
| corpus val loss | {summary['untrained_val_loss']:.3f} | **{summary['pretrain_final_val_loss']:.3f}** | **{summary['corpus_val_loss_after_sft']:.3f}** |
| SFT val loss (assistant tokens) | {ev['untrained_sft_val_loss']:.3f} | – | **{summary['sft_final_val_loss']:.3f}** |

![loss curves](loss.png)

Held-out skills (`python3 -m petrel_export.evaluate --model-dir ../models/{cfg.model_id}`; PyTorch,
greedy, and sampled at temperature 0.7 with seeds 0–4 on up to 40 prompts per skill):

{skills_section(sk)}

{summary_section(sk)}{seeds_section(cfg.seed, sk, others)}

Export parity:

| eval | result |
|---|---|
| ONNX fp32 vs PyTorch logits, prefill + 5 decode steps, max abs diff | {ev['onnx_fp32_vs_torch_max_abs_diff']:.2e} |
| int8 ONNX greedy tokens = fp32 ONNX greedy tokens (golden prompts) | {ev['int8_vs_fp32_greedy_token_agreement']:.1%} |
| int8 ONNX greedy tokens = PyTorch golden tokens | {ev['int8_greedy_agreement_with_torch']:.1%} |

## Sample conversations (greedy)

{samples_section(ev['samples'])}
## Limitations

{summary['params'] / 1e6:.1f} M parameters trained on two CPU cores: free text is mostly word salad, the
knowledge answers are fixed paragraphs, and it declines word-meaning questions although its
pretraining corpus holds the glosses. Read the skill rows before
trusting an answer: where a row is low ({low_rows(sk)}) the model has learned the form of the answer,
not the skill. The corpus contains archaic (1913 Webster, KJV)
language. Tool arguments are JSON the model writes; grammar-constrained decoding makes them parse,
not right.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default="cpu", choices=sorted(CONFIGS))
    ap.add_argument("--eval", type=Path, required=True, help="evaluate.py's JSON")
    ap.add_argument("--summary", type=Path, required=True, help="the pipeline's runs/<config>/summary.json")
    ap.add_argument("--timing", type=Path, default=None, help="the recipe's measured time and load (JSON)")
    ap.add_argument("--other-seed", action="append", default=[], metavar="SEED=EVAL_JSON",
                    help="evaluate.py's JSON of the same recipe run with another --seed (repeatable)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    cfg = CONFIGS[args.config]
    summary = json.loads(args.summary.read_text())
    stats = json.loads((EXPORT_DIR / "data" / "cache" / "corpus" / "stats.json").read_text())
    ev = json.loads(args.eval.read_text())
    out = args.out or EXPORT_DIR.parent / "models" / cfg.model_id / "README.md"
    timing = json.loads(args.timing.read_text()) if args.timing else {}
    others = [(int(n), json.loads(Path(p).read_text())["skills"]) for n, p in (o.split("=", 1) for o in args.other_seed)]
    out.write_text(render_card(cfg.name, summary, ev, stats, timing, others), encoding="utf-8")


if __name__ == "__main__":
    main()
