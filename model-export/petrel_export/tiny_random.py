"""The random-weight model directory others build against before the trained model exists.

    /usr/bin/python3 -m petrel_export.tiny_random --out ../models/tiny-random
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

from .bpe import ByteLevelBPE, train_bpe
from .chat import IM_END, BOS, SPECIAL_TOKENS, render
from .golden import write_golden
from .model import LlamaForCausalLM, ModelConfig
from .model_dir import write_model_dir

FORTUNES = Path("/usr/share/games/fortunes")
EXTRA = [
    "什么是Transformer？Transformer是一种基于自注意力的神经网络。预训练和微调。你好！我是Petrel。",
    "Petrels 🐦 fly over the sea 🌊 ✨🤖 😀",
]

TINY = ModelConfig(n_layer=2, n_head=4, n_kv_head=2, n_embd=64, block_size=256, vocab_size=1024)


def tiny_texts() -> list:
    texts = []
    for name in ("fortunes", "wisdom", "science", "computers"):
        texts.append((FORTUNES / name).read_text(encoding="utf-8", errors="replace"))
    dialogues = [[{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "Hi, I am Petrel."}]]
    return texts + EXTRA + [render(d, False) for d in dialogues]


def build(out: Path, model_id: str, vocab_size: int = TINY.vocab_size) -> None:
    torch.manual_seed(1234)
    vocab, merges = train_bpe(tiny_texts(), vocab_size, SPECIAL_TOKENS)
    tok = ByteLevelBPE(vocab, merges, SPECIAL_TOKENS)
    cfg = ModelConfig(**{**TINY.to_dict(), "vocab_size": tok.vocab_size})
    model = LlamaForCausalLM(cfg).eval()
    write_model_dir(model, tok, out)
    write_golden(model, tok, model_id, out / "golden.json", [tok.token_id(IM_END), tok.token_id(BOS)], max_new_tokens=16)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--model-id", default="tiny-random")
    args = ap.parse_args()
    build(args.out, args.model_id)


if __name__ == "__main__":
    main()
