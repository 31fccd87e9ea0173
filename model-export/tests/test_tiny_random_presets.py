"""tiny_random's presets: the default stays the tiny test model, bench-24m has the size the bench quotes."""
from __future__ import annotations

import sys

import pytest

from petrel_export import tiny_random
from petrel_export.model import LlamaForCausalLM, ModelConfig


def test_default_preset_is_the_tiny_model() -> None:
    assert tiny_random.PRESETS["tiny"] is tiny_random.TINY
    assert (tiny_random.TINY.n_layer, tiny_random.TINY.n_embd) == (2, 64)


def test_bench_24m_shape_and_size() -> None:
    shape = tiny_random.PRESETS["bench-24m"]
    model = LlamaForCausalLM(ModelConfig(**shape.to_dict()))
    params = sum(p.numel() for p in model.parameters())
    # 8 layers x 512, embeddings tied: ~24M parameters, ~95 MB of fp32 weights (more than any CPU cache)
    assert (shape.n_layer, shape.n_embd, shape.head_dim) == (8, 512, 64)
    assert 23e6 < params < 25e6


def test_cli_passes_the_preset_and_its_default_id(monkeypatch, tmp_path) -> None:
    calls = []
    monkeypatch.setattr(tiny_random, "build", lambda *a: calls.append(a))
    for argv in (["--out", str(tmp_path)], ["--preset", "bench-24m", "--out", str(tmp_path)]):
        monkeypatch.setattr(sys, "argv", ["tiny_random", *argv])
        tiny_random.main()
    assert [(c[1], c[3]) for c in calls] == [("tiny-random", tiny_random.TINY),
                                              ("bench-24m", tiny_random.PRESETS["bench-24m"])]
    monkeypatch.setattr(sys, "argv", ["tiny_random", "--preset", "huge", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        tiny_random.main()
