"""Shared tiny fixtures: a BPE tokenizer trained in ~1 s, a random tiny model, its exported directory."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from petrel_export.bpe import ByteLevelBPE, train_bpe
from petrel_export.chat import ADDED_TOKENS, render
from petrel_export.dialogues import generate
from petrel_export.model import LlamaForCausalLM, ModelConfig
from petrel_export.model_dir import write_model_dir

REPO = Path(__file__).resolve().parents[2]
FORTUNES = Path("/usr/share/games/fortunes/fortunes")


def tiny_config(vocab_size: int = 512) -> ModelConfig:
    return ModelConfig(n_layer=2, n_head=4, n_kv_head=2, n_embd=64, block_size=64, vocab_size=vocab_size)


@pytest.fixture(scope="session")
def tok() -> ByteLevelBPE:
    texts = [FORTUNES.read_text(encoding="utf-8", errors="replace")[:200_000]]
    texts += [render(d["messages"], False, d["tools"]) for d in generate(0, 300, 0, with_heldout=False).train]
    vocab, merges = train_bpe(texts, 512, ADDED_TOKENS)
    return ByteLevelBPE(vocab, merges, ADDED_TOKENS)


@pytest.fixture(scope="session")
def model(tok) -> LlamaForCausalLM:
    torch.manual_seed(0)
    return LlamaForCausalLM(tiny_config(tok.vocab_size)).eval()


@pytest.fixture(scope="session")
def exported(tmp_path_factory, model, tok) -> Path:
    out = tmp_path_factory.mktemp("model-dir")
    write_model_dir(model, tok, out)
    return out
