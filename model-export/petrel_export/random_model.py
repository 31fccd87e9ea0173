"""Random-weight model directories: the tiny one others build against before the trained model
exists, and bench-size ones for measuring the server where weight reads, not per-row work, dominate.

    /usr/bin/python3 -m petrel_export.random_model --out ../models/tiny-random
    /usr/bin/python3 -m petrel_export.random_model --preset bench-24m --out ../bench/models/bench-24m

Same tokenizer (a 1024-token BPE trained on fortunes) and seed for every preset; only the shape changes.
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

# bench-24m: 8 layers x 512, 24M parameters, 97 MB of fp32 weights -- far more than the L2/L3 caches,
# so a decode step streams the weights from memory and B rows cost little more than one (what batching
# is for); petrel-mini's 5 MB sit in cache. Heads of 64 like Llama; GQA 2:1 like petrel-mini.
PRESETS = {
    "tiny": TINY,
    "bench-24m": ModelConfig(n_layer=8, n_head=8, n_kv_head=4, n_embd=512, block_size=512, vocab_size=1024),
}


def tiny_texts() -> list:
    texts = []
    for name in ("fortunes", "wisdom", "science", "computers"):
        texts.append((FORTUNES / name).read_text(encoding="utf-8", errors="replace"))
    dialogues = [[{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "Hi, I am Petrel."}]]
    return texts + EXTRA + [render(d, False) for d in dialogues]


def build(out: Path, model_id: str, vocab_size: int = TINY.vocab_size, shape: ModelConfig = TINY) -> None:
    torch.manual_seed(1234)
    vocab, merges = train_bpe(tiny_texts(), vocab_size, SPECIAL_TOKENS)
    tok = ByteLevelBPE(vocab, merges, SPECIAL_TOKENS)
    cfg = ModelConfig(**{**shape.to_dict(), "vocab_size": tok.vocab_size})
    model = LlamaForCausalLM(cfg).eval()
    write_model_dir(model, tok, out)
    write_golden(model, tok, model_id, out / "golden.json", [tok.token_id(IM_END), tok.token_id(BOS)], max_new_tokens=16)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--model-id", help="default: tiny-random for the tiny preset, else the preset's name")
    args = ap.parse_args()
    model_id = args.model_id or ("tiny-random" if args.preset == "tiny" else args.preset)
    shape = PRESETS[args.preset]
    build(args.out, model_id, shape.vocab_size, shape)


if __name__ == "__main__":
    main()
