"""The committed model directories agree with themselves: PyTorch from model.safetensors reproduces
golden.json, the fp32 ONNX matches PyTorch, and the int8 ONNX agrees with the golden greedy tokens."""
import json

import pytest
import torch

from petrel_export.model_dir import load_model_dir
from petrel_export.node import run_script

from .conftest import REPO

MODELS = ["tiny-random", "petrel-mini"]


@pytest.fixture(scope="module", params=MODELS)
def shipped(request):
    path = REPO / "models" / request.param
    model, tok = load_model_dir(path)
    return path, model, tok, json.loads((path / "golden.json").read_text(encoding="utf-8"))


def test_golden_is_reproduced_by_pytorch(shipped):
    path, model, tok, golden = shipped
    assert len(golden["cases"]) >= 6
    for case in golden["cases"]:
        assert tok.encode(case["prompt"]) == case["input_ids"]
        with torch.no_grad():
            logits, _ = model(torch.tensor([case["input_ids"]]))
        top = [t["logit"] for t in case["top_logits"]]
        assert torch.allclose(logits[0, -1][[t["id"] for t in case["top_logits"]]], torch.tensor(top), atol=1e-4)
    for case in golden["cases"][:3]:
        assert model.generate_greedy(case["input_ids"], case["max_new_tokens"], set(golden["eos_token_ids"])) == case["greedy_ids"]


@pytest.mark.parametrize("name", ["model.onnx", "model_new_kv.onnx"])
def test_onnx_fp32_matches_pytorch(shipped, name):
    path, model, _, golden = shipped
    case = golden["cases"][0]
    nxt = (case["greedy_ids"] + [5] * 5)[:5]
    out = run_script("ort-run.mjs", {"mode": "logits", "model": str(path / "onnx" / name),
                                     "prompt_ids": case["input_ids"], "next_ids": nxt})
    with torch.no_grad():
        logits, past = model(torch.tensor([case["input_ids"]]))
        diffs = [float((logits[0] - torch.tensor(out["prefill"])).abs().max())]
        for i, t in enumerate(nxt):
            logits, past = model(torch.tensor([[t]]), past_key_values=past)
            diffs.append(float((logits[0, -1] - torch.tensor(out["steps"][i])).abs().max()))
    assert max(diffs) <= 1e-4, diffs


@pytest.mark.parametrize("name", ["model_quantized.onnx", "model_new_kv_quantized.onnx"])
def test_int8_greedy_agrees_with_golden_on_95_percent_of_tokens(shipped, name):
    path, _, _, golden = shipped
    assert (path / "onnx" / name).stat().st_size <= 25 * 1024 * 1024
    cases = [{"input_ids": c["input_ids"], "max_new_tokens": c["max_new_tokens"]} for c in golden["cases"]]
    got = run_script("ort-run.mjs", {"mode": "greedy", "model": str(path / "onnx" / name),
                                     "cases": cases, "eos": golden["eos_token_ids"]})["greedy"]
    total = sum(len(c["greedy_ids"]) for c in golden["cases"])
    same = sum(sum(a == b for a, b in zip(g, c["greedy_ids"])) for g, c in zip(got, golden["cases"]))
    assert same / total >= 0.95, (same, total)


def test_transformers_js_loads_the_directory_and_reproduces_golden(shipped):
    path, _, _, golden = shipped
    out = run_script("transformers-js-check.mjs", {"model_dir": str(path), "dtype": "fp32"})
    assert out["chat_prompt"] == golden["cases"][0]["prompt"]
    total = sum(len(c["greedy_ids"]) for c in golden["cases"])
    same = sum(sum(a == b for a, b in zip(g, c["greedy_ids"])) for g, c in zip(out["greedy"], golden["cases"]))
    assert same / total >= 0.99, (same, total)
