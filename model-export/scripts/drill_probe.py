"""How fast does a model shape learn a ± b (0..99) from drill lines alone, bare or worked?

    cd model-export && /usr/bin/python3 scripts/drill_probe.py --init runs/cpu/pretrain/ckpt.pt \
        --tokenizer runs/cpu/tokenizer.json --format worked --steps 600

Trains on 32 × 128-token rows of training problems (cosine LR) and prints, every --every steps, greedy
exact-match accuracy of the result on 300 held-out problems, as JSON lines. It measures the answer
format the cpu recipe uses (skills.worked) against bare sums ("37 + 45 = 82.").
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from petrel_export import skills as S  # noqa: E402
from petrel_export.bpe import ByteLevelBPE  # noqa: E402
from petrel_export.configs import CONFIGS  # noqa: E402
from petrel_export.model import LlamaForCausalLM, ModelConfig  # noqa: E402


def line(p: tuple, fmt: str) -> str:
    a, op, b = p
    return (S.arithmetic_answer(a, op, b) if fmt == "worked" else f"{a} {op} {b} = {S.arithmetic_result(a, op, b)}.") + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--init", type=Path, help="a pipeline checkpoint (runs/<config>/pretrain/ckpt.pt); omit for random init")
    ap.add_argument("--tokenizer", type=Path, required=True)
    ap.add_argument("--format", choices=("worked", "bare"), default="worked")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    tok = ByteLevelBPE.load(args.tokenizer)
    model = LlamaForCausalLM(ModelConfig(**{**CONFIGS["cpu"].model.to_dict(), "vocab_size": tok.vocab_size}))
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu")["model"])
    train, held = S.arithmetic_problems()
    rng = random.Random(0)
    evalset = random.Random(1).sample(held, 300)

    def batch():
        rows = []
        for _ in range(args.rows):
            ids: list = []
            while len(ids) < args.tokens + 1:
                ids += tok.encode(line(rng.choice(train), args.format))
            rows.append(ids[: args.tokens + 1])
        t = torch.tensor(rows)
        return t[:, :-1], t[:, 1:]

    @torch.no_grad()
    def accuracy() -> float:
        model.eval()
        ok = 0
        for a, op, b in evalset:
            prompt = tok.encode(line(rng.choice(train), args.format) + f"{a} {op} {b} =")
            text = tok.decode(model.generate_greedy(prompt, 40))
            ok += text.split(".")[0].split("=")[-1].strip() == str(S.arithmetic_result(a, op, b))
        model.train()
        return ok / len(evalset)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    t0 = time.time()
    for step in range(args.steps + 1):
        if step % args.every == 0:
            print(json.dumps({"step": step, "seconds": round(time.time() - t0), "heldout_accuracy": accuracy()}), flush=True)
        if step == args.steps:
            break
        lr = args.lr * min(1, (step + 1) / 30) * (0.1 + 0.45 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch()
        loss = model.loss(x, y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()


if __name__ == "__main__":
    main()
