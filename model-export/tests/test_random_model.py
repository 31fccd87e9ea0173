"""random_model: the presets build loadable, deterministic model directories of the stated shapes."""
from __future__ import annotations

import json
import sys

import pytest

from petrel_export import random_model
from petrel_export.model import LlamaForCausalLM, ModelConfig
from petrel_export.model_dir import load_model_dir


def test_tiny_preset_builds_a_loadable_deterministic_directory(tmp_path) -> None:
    random_model.build(tmp_path / "a", "tiny-random")
    random_model.build(tmp_path / "b", "tiny-random")
    model, tok = load_model_dir(tmp_path / "a")
    cfg = json.loads((tmp_path / "a" / "config.json").read_text())
    assert (cfg["num_hidden_layers"], cfg["hidden_size"]) == (model.config.n_layer, model.config.n_embd)
    assert cfg["vocab_size"] == tok.vocab_size
    golden = json.loads((tmp_path / "a" / "golden.json").read_text())
    assert golden["model"] == "tiny-random" and golden["cases"]
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()


def test_bench_24m_has_the_size_the_bench_quotes() -> None:
    model = LlamaForCausalLM(ModelConfig(**random_model.PRESETS["bench-24m"].to_dict()))
    # ~24M parameters, ~95 MB of fp32 weights: more than any CPU cache, which is what the bench needs
    assert 23e6 < model.num_params() < 25e6


def test_cli_passes_the_preset_and_its_default_id(monkeypatch, tmp_path) -> None:
    calls = []
    monkeypatch.setattr(random_model, "build", lambda *a: calls.append(a))
    for argv in (["--out", str(tmp_path)], ["--preset", "bench-24m", "--out", str(tmp_path)]):
        monkeypatch.setattr(sys, "argv", ["random_model", *argv])
        random_model.main()
    assert [(c[1], c[3]) for c in calls] == [("tiny-random", random_model.TINY),
                                              ("bench-24m", random_model.PRESETS["bench-24m"])]
    monkeypatch.setattr(sys, "argv", ["random_model", "--preset", "huge", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        random_model.main()
