"""Evaluations printed as JSON: losses vs the untrained baseline, held-out arithmetic accuracy,
<|im_end|> rate, ONNX parity and int8 agreement, sample answers.

    /usr/bin/python3 -m petrel_export.evaluate --model-dir ../models/petrel-mini --config cpu
"""
from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path
from typing import List

import torch

from . import dialogues
from .chat import IM_END, render
from .configs import CONFIGS
from .model import LlamaForCausalLM
from .node import run_script

SEED_QUESTIONS = [
    "Hello! Who are you?", "What is a Transformer?", "What is self-attention?", "What is pretraining?",
    "What is fine-tuning?", "What is 37 + 45?", "What is 82 - 19?", "What will the weather be in Paris tomorrow?",
    "你好！你是谁？", "什么是Transformer？", "什么是自注意力？", "什么是预训练？", "什么是微调？", "23 加 58 等于多少？",
]


def chat_greedy(model: LlamaForCausalLM, tok, messages, max_new_tokens: int) -> tuple:
    ids = tok.encode(render(messages, add_generation_prompt=True))
    out = model.generate_greedy(ids, max_new_tokens, stop_ids={tok.token_id(IM_END)})
    ended = bool(out) and out[-1] == tok.token_id(IM_END)
    return tok.decode(out[:-1] if ended else out), ended


def heldout_evals(model: LlamaForCausalLM, tok, heldout: List[dict], max_new_tokens: int) -> dict:
    correct = exact = n_ar = ended_n = 0
    by_cat: dict = {}
    for case in heldout:
        text, ended = chat_greedy(model, tok, case["messages"], max_new_tokens)
        ended_n += ended
        c = by_cat.setdefault(case["category"], {"n": 0, "im_end": 0, "exact": 0})
        c["n"] += 1
        c["im_end"] += ended
        c["exact"] += text.strip() == case["answer"]
        if case["category"] == "arithmetic":
            a, op, b = case["problem"]
            nums = re.findall(r"=\s*(-?\d+)", text)
            n_ar += 1
            correct += bool(nums) and int(nums[-1]) == (a + b if op == "+" else a - b)
            exact += text.strip() == case["answer"]
    return {
        "arithmetic_accuracy": correct / max(1, n_ar), "arithmetic_exact_match": exact / max(1, n_ar),
        "arithmetic_n": n_ar, "im_end_rate": ended_n / max(1, len(heldout)), "heldout_n": len(heldout),
        "by_category": by_cat,
    }


def onnx_evals(model: LlamaForCausalLM, model_dir: Path) -> dict:
    """fp32 ONNX vs PyTorch logits (prefill + 5 decode steps) and int8 vs fp32 greedy agreement."""
    golden = json.loads((model_dir / "golden.json").read_text(encoding="utf-8"))
    diffs = []
    for case in golden["cases"][:3]:
        nxt = case["greedy_ids"][:5]
        o = run_script("ort-run.mjs", {"mode": "logits", "model": str(model_dir / "onnx" / "model.onnx"),
                                       "prompt_ids": case["input_ids"], "next_ids": nxt})
        with torch.no_grad():
            lg, past = model(torch.tensor([case["input_ids"]]))
            diffs.append(float((lg[0] - torch.tensor(o["prefill"])).abs().max()))
            for i, t in enumerate(nxt):
                lg, past = model(torch.tensor([[t]]), past_key_values=past)
                diffs.append(float((lg[0, -1] - torch.tensor(o["steps"][i])).abs().max()))
    req_cases = [{"input_ids": c["input_ids"], "max_new_tokens": c["max_new_tokens"]} for c in golden["cases"]]
    greedy = {}
    for name in ("model.onnx", "model_quantized.onnx"):
        greedy[name] = run_script("ort-run.mjs", {"mode": "greedy", "model": str(model_dir / "onnx" / name),
                                                  "cases": req_cases, "eos": golden["eos_token_ids"]})["greedy"]

    def agreement(runs) -> float:
        # position-wise agreement with PyTorch's greedy ids, over the golden tokens
        total = sum(len(c["greedy_ids"]) for c in golden["cases"])
        same = sum(sum(a == b for a, b in zip(r, c["greedy_ids"])) for r, c in zip(runs, golden["cases"]))
        return same / max(1, total)

    q8 = greedy["model_quantized.onnx"]
    fp = greedy["model.onnx"]
    total = sum(len(c) for c in fp)
    return {
        "onnx_fp32_vs_torch_max_abs_diff": max(diffs),
        "onnx_fp32_greedy_agreement_with_torch": agreement(fp),
        "int8_greedy_agreement_with_torch": agreement(q8),
        "int8_vs_fp32_greedy_token_agreement": sum(sum(a == b for a, b in zip(x, y)) for x, y in zip(q8, fp)) / max(1, total),
        "onnx_fp32_bytes": (model_dir / "onnx" / "model.onnx").stat().st_size,
        "onnx_int8_bytes": (model_dir / "onnx" / "model_quantized.onnx").stat().st_size,
    }


def loss_evals(model: LlamaForCausalLM, tok, cfg, corpus_dir: Path, n_windows: int = 48) -> dict:
    """Pretraining val loss (held-out corpus documents) and SFT val loss (held-out dialogues), each
    next to an untrained model of the same shape and seed."""
    from .data import SftBatches, sft_example
    from .train import evaluate_loss

    val_text = (corpus_dir / "corpus-val.txt").read_text(encoding="utf-8")[:600_000]
    ids = torch.tensor(tok.encode(val_text))
    T = model.config.block_size
    n = min(n_windows, (len(ids) - 1) // T)
    stream = [(ids[i * T : (i + 1) * T][None], ids[i * T + 1 : (i + 1) * T + 1][None]) for i in range(n)]
    sft_val = [sft_example(tok, d) for d in dialogues.generate(cfg.seed, n_train=0, n_val=200).val]
    sft_rows = SftBatches(sft_val, 8, T, tok.token_id("<|endoftext|>"), seed=0)
    sft_batches = [(sft_rows.x[i : i + 8], sft_rows.y[i : i + 8]) for i in range(0, len(sft_rows.x), 8)]
    torch.manual_seed(cfg.seed)
    untrained = LlamaForCausalLM(model.config)
    return {
        "corpus_val_loss": evaluate_loss(model, stream, "cpu"),
        "untrained_corpus_val_loss": evaluate_loss(untrained, stream, "cpu"),
        "sft_val_loss": evaluate_loss(model, sft_batches, "cpu"),
        "untrained_sft_val_loss": evaluate_loss(untrained, sft_batches, "cpu"),
        "val_tokens": n * T,
    }


def samples(model: LlamaForCausalLM, tok, max_new_tokens: int) -> List[dict]:
    out = []
    for q in SEED_QUESTIONS:
        text, ended = chat_greedy(model, tok, [{"role": "user", "content": q}], max_new_tokens)
        out.append({"user": q, "assistant": text, "ended_with_im_end": ended})
    return out


def main() -> None:
    from .model_dir import load_model_dir

    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--config", default="cpu", choices=sorted(CONFIGS))
    ap.add_argument("--limit", type=int, default=0, help="evaluate only the first N held-out prompts")
    args = ap.parse_args()
    cfg = CONFIGS[args.config]
    model_dir = args.model_dir.resolve()
    model, tok = load_model_dir(model_dir)
    heldout = dialogues.generate(cfg.seed, n_train=0, n_val=0).heldout
    heldout = heldout[: args.limit] if args.limit else heldout
    result = {"model": str(model_dir), "params": model.num_params()}
    corpus_dir = Path(__file__).resolve().parent.parent / "data" / "cache" / "corpus"
    if (corpus_dir / "corpus-val.txt").exists():
        result.update(loss_evals(model, tok, cfg, corpus_dir))
    result.update(heldout_evals(model, tok, heldout, cfg.eval_max_new_tokens))
    result.update(onnx_evals(model, model_dir))
    result["samples"] = samples(model, tok, 96)
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
