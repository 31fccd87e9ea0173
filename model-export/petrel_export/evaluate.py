"""Evaluations printed as JSON: losses vs the untrained baseline; per-skill accuracy on held-out prompts
(greedy, and sampled at temperature 0.7 with 5 seeds), out-of-domain refusal, end-of-turn rate and
confusion (a memorized answer to a different question); tool-call accuracy; ONNX parity and int8
agreement; sample answers.

    /usr/bin/python3 -m petrel_export.evaluate --model-dir ../models/petrel-mini --config cpu
"""
from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Dict, List

import torch

from . import dialogues
from .chat import IM_END, render
from .configs import CONFIGS
from .model import LlamaForCausalLM
from .node import run_script
from .scoring import score

SEED_QUESTIONS = [
    "Hello! Who are you?", "What is a Transformer?", "What is self-attention?", "What is pretraining?",
    "What is fine-tuning?", "What is 37 + 45?", "What is 5 + 7?", "What is 12 - 30?", "Tell me about the sea.",
    "What does 'petrel' mean?", "What will the weather be in Paris tomorrow?", "Write a poem about cats.",
    "你好！你是谁？", "什么是Transformer？", "什么是自注意力？", "23 加 58 等于多少？",
]
SAMPLED_PER_CATEGORY = 40
SEEDS = (0, 1, 2, 3, 4)


@torch.no_grad()
def generate_batch(model: LlamaForCausalLM, prompts: List[List[int]], max_new_tokens: int, stop_id: int,
                   temperature: float = 0.0, seed: int = 0) -> List[List[int]]:
    """Left-padded batch decode with the KV cache: greedy, or sampled at a temperature with a seeded
    generator. Each row stops after stop_id (kept) or max_new_tokens."""
    B, L = len(prompts), max(len(p) for p in prompts)
    x = torch.zeros(B, L, dtype=torch.long)
    mask = torch.zeros(B, L, dtype=torch.long)
    for i, p in enumerate(prompts):
        x[i, L - len(p):], mask[i, L - len(p):] = torch.tensor(p), 1
    pos = (mask.cumsum(1) - 1).clamp(min=0)  # (B, L)
    gen = torch.Generator().manual_seed(seed)
    logits, past = model(x, attention_mask=mask, position_ids=pos)
    out: List[List[int]] = [[] for _ in prompts]
    done = torch.zeros(B, dtype=torch.bool)
    steps = min(max_new_tokens, model.config.block_size - L)
    for _ in range(steps):
        last = logits[:, -1].float()  # (B, vocab)
        if temperature > 0:
            nxt = torch.multinomial(torch.softmax(last / temperature, -1), 1, generator=gen)[:, 0]
        else:
            nxt = last.argmax(-1)
        for i in range(B):
            if not done[i]:
                out[i].append(int(nxt[i]))
        done |= nxt == stop_id
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones(B, 1, dtype=torch.long)], 1)
        pos = pos[:, -1:] + 1
        logits, past = model(nxt[:, None], attention_mask=mask, position_ids=pos, past_key_values=past)
    return out


def answer_all(model, tok, cases: List[dict], max_new_tokens: int, temperature: float = 0.0, seed: int = 0,
               batch: int = 32) -> List[tuple]:
    """(text, ended_with_im_end) per case, batched by prompt length."""
    stop = tok.token_id(IM_END)
    prompts = [tok.encode(render(c["messages"], True, c.get("tools"))) for c in cases]
    order = sorted(range(len(cases)), key=lambda i: len(prompts[i]))
    results: List[tuple] = [("", False)] * len(cases)
    for k in range(0, len(order), batch):
        idx = order[k : k + batch]
        outs = generate_batch(model, [prompts[i] for i in idx], max_new_tokens, stop, temperature, seed + k)
        for i, o in zip(idx, outs):
            ended = bool(o) and o[-1] == stop
            results[i] = (tok.decode(o[:-1] if ended else o), ended)
    return results


def memorized_answers(pools: dialogues.Pools) -> set:
    """Fixed answers the model was trained on (refusals excluded): a different question answered with
    one of these is a confusion."""
    return {a for _, a in pools.knowledge[0] + pools.greeting[0]}


def tally(cases: List[dict], answers: List[tuple], memorized: set) -> dict:
    by: Dict[str, Counter] = {}
    for case, (text, ended) in zip(cases, answers):
        s = score(case, text, memorized)
        c = by.setdefault(case["category"], Counter())
        c["n"] += 1
        c["ended"] += ended
        for k, v in s.items():
            c[k] += bool(v)
    return {k: dict(v) for k, v in by.items()}


def skill_evals(model, tok, cases: List[dict], max_new_tokens: int) -> dict:
    """Greedy on every held-out prompt; sampled (T=0.7, 5 seeds) on up to 40 prompts per category."""
    memorized = memorized_answers(dialogues.Pools())
    greedy_answers = answer_all(model, tok, cases, max_new_tokens)
    greedy = tally(cases, greedy_answers, memorized)
    picked, seen = [], Counter()
    for c in cases:
        if seen[c["category"]] < SAMPLED_PER_CATEGORY:
            picked.append(c)
            seen[c["category"]] += 1
    sampled = [tally(picked, answer_all(model, tok, picked, max_new_tokens, 0.7, seed * 100_003), memorized)
               for seed in SEEDS]
    n_all = len(cases)
    by_digits: Dict[str, Counter] = {}
    for case, (text, _) in zip(cases, greedy_answers):
        if case["category"] == "arithmetic":
            a, _, b = case["problem"]
            c = by_digits.setdefault(f"{len(str(a))}-digit and {len(str(b))}-digit", Counter())
            c["n"] += 1
            c["correct"] += score(case, text, memorized)["correct"]
    return {
        "arithmetic_by_operand_digits": {k: dict(v) for k, v in sorted(by_digits.items())},
        "greedy": greedy, "sampled": sampled, "sampled_temperature": 0.7, "sampled_seeds": list(SEEDS),
        "end_of_turn_rate": sum(e for _, e in greedy_answers) / n_all,
        "confusion_rate": sum(v.get("confused", 0) for v in greedy.values()) / n_all,
        "examples": [{"category": c["category"], "prompt": c["messages"][-1]["content"], "answer": t}
                     for c, (t, _) in list(zip(cases, greedy_answers))[::25]],
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
    sft_val = [sft_example(tok, d) for d in dialogues.generate(cfg.seed, n_train=0, n_val=200, with_heldout=False).val]
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
    cases = [{"messages": [{"role": "user", "content": q}]} for q in SEED_QUESTIONS]
    return [{"user": q, "assistant": t, "ended_with_im_end": e}
            for q, (t, e) in zip(SEED_QUESTIONS, answer_all(model, tok, cases, max_new_tokens))]


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
    result["skills"] = skill_evals(model, tok, heldout, cfg.eval_max_new_tokens)
    result.update(onnx_evals(model, model_dir))
    result["samples"] = samples(model, tok, 96)
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
