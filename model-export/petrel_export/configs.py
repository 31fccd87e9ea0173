"""Run configurations: `cpu` (ships as petrel-mini), `gpu` (bigger, autocast), `tiny` (tests)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .model import ModelConfig


@dataclass
class StageConfig:
    steps: int
    batch_size: int
    lr: float
    min_lr: float
    warmup: int
    eval_interval: int
    eval_batches: int
    ckpt_interval: int
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    max_minutes: float = 0.0  # wall-clock budget; 0 = none. Stops a run early, never reshapes its schedule
    seq_len: int = 0  # tokens per row; 0 = the model's block_size
    corpus_rows: int = 0  # rows of every batch that are pretraining text (SFT keeps what pretraining taught)
    drill_rows: int = 0  # rows of every batch that are worked arithmetic (skills.drill_text), training problems only


@dataclass
class RunConfig:
    name: str
    model: ModelConfig
    pretrain: StageConfig
    sft: StageConfig
    tokenizer_bytes: int  # corpus bytes the BPE trainer sees (documents sampled across sources)
    pretrain_bytes: int  # corpus bytes encoded for pretraining (0 = all)
    sft_dialogues: int
    device: str = "cpu"
    threads: int = 1
    seed: int = 1337
    model_id: str = "petrel-mini"
    eval_max_new_tokens: int = 160
    extra: dict = field(default_factory=dict)
    # an optional second SFT pass with its own warmup and cosine, continuing from the first
    sft2: Optional[StageConfig] = None


CONFIGS = {
    # Sized for a 2-core machine, scheduled in steps: the same seed gives the same model anywhere.
    # Token budget: pretraining 1600 steps x 16 rows x 256 = 6.6 M tokens, of which 7 rows in 16 (2.9 M) are
    # worked arithmetic (skills.drill_text) and the rest corpus text; SFT 1200 steps x 16 rows x 320 = 6.1 M
    # tokens, of which 2 rows in 16 (0.77 M) are corpus text again. torch on one thread, so two seeds of the
    # recipe train side by side on the two cores (~1.0 s a pretraining step and ~1.3 s an SFT step each;
    # Debian's OpenBLAS still runs the matmuls on two threads of its own: model-export/README.md).
    "cpu": RunConfig(
        name="cpu",
        model=ModelConfig(n_layer=4, n_head=4, n_kv_head=2, n_embd=128, block_size=512, vocab_size=4096),
        pretrain=StageConfig(steps=1600, batch_size=16, lr=3e-3, min_lr=3e-4, warmup=40, seq_len=256, drill_rows=7,
                             eval_interval=100, eval_batches=6, ckpt_interval=25),
        sft=StageConfig(steps=1200, batch_size=16, lr=1.5e-3, min_lr=5e-5, warmup=30, seq_len=320, eval_interval=100,
                        eval_batches=4, ckpt_interval=25, weight_decay=0.0, corpus_rows=2),
        tokenizer_bytes=8_000_000, pretrain_bytes=24_000_000, sft_dialogues=100_000, eval_max_new_tokens=160,
        threads=1,
    ),
    # A bigger model for a GPU host (bf16 autocast); same code path.
    "gpu": RunConfig(
        name="gpu",
        model=ModelConfig(n_layer=8, n_head=8, n_kv_head=4, n_embd=512, block_size=512, vocab_size=8192),
        pretrain=StageConfig(steps=4000, batch_size=64, lr=1e-3, min_lr=1e-4, warmup=200, drill_rows=16,
                             eval_interval=250, eval_batches=20, ckpt_interval=500),
        sft=StageConfig(steps=1500, batch_size=64, lr=5e-4, min_lr=5e-5, warmup=50,
                        eval_interval=250, eval_batches=10, ckpt_interval=500, weight_decay=0.0, corpus_rows=8),
        tokenizer_bytes=20_000_000, pretrain_bytes=0, sft_dialogues=200_000, device="cuda", threads=8,
        model_id="petrel-small",
    ),
    # Seconds-sized end-to-end run for the test suite.
    "tiny": RunConfig(
        name="tiny",
        model=ModelConfig(n_layer=2, n_head=4, n_kv_head=2, n_embd=64, block_size=64, vocab_size=512),
        pretrain=StageConfig(steps=6, batch_size=4, lr=1e-3, min_lr=1e-4, warmup=2, drill_rows=1,
                             eval_interval=3, eval_batches=1, ckpt_interval=3),
        sft=StageConfig(steps=6, batch_size=4, lr=1e-3, min_lr=1e-4, warmup=2,
                        eval_interval=3, eval_batches=1, ckpt_interval=3, corpus_rows=1),
        sft2=StageConfig(steps=3, batch_size=4, lr=5e-4, min_lr=1e-4, warmup=1,
                         eval_interval=3, eval_batches=1, ckpt_interval=3, corpus_rows=1),
        tokenizer_bytes=200_000, pretrain_bytes=300_000, sft_dialogues=300, model_id="petrel-tiny",
        eval_max_new_tokens=8,
    ),
}
