"""End to end on the `tiny` config: corpus → tokenizer → pretrain → SFT → export, then resume."""
import json

import torch

from petrel_export.configs import CONFIGS
from petrel_export.golden import GOLDEN_PROMPTS
from petrel_export.pipeline import run

EXPECTED_FILES = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                  "special_tokens_map.json", "model.safetensors", "onnx/model.onnx", "onnx/model_quantized.onnx", "model.gguf", "model-q8_0.gguf",
                  "golden.json", "loss.png"]


def test_tiny_pipeline_end_to_end_and_resume(tmp_path):
    cfg = CONFIGS["tiny"]
    out, runs = tmp_path / "model", tmp_path / "runs"
    summary = run(cfg, out, runs)
    for f in EXPECTED_FILES:
        assert (out / f).exists(), f
    assert summary["pretrain_final_val_loss"] < summary["untrained_val_loss"]
    golden = json.loads((out / "golden.json").read_text())
    assert golden["model"] == cfg.model_id and len(golden["cases"]) == len(GOLDEN_PROMPTS) >= 6
    for case in golden["cases"]:
        assert set(case) >= {"name", "messages", "prompt", "input_ids", "greedy_ids", "max_new_tokens", "top_logits"}
        assert len(case["top_logits"]) == 10
        assert case["top_logits"] == sorted(case["top_logits"], key=lambda t: -t["logit"])
        assert len(case["greedy_ids"]) <= case["max_new_tokens"]
    assert any(c["messages"] is None for c in golden["cases"])
    assert any("自" in c["prompt"] for c in golden["cases"]) and any("🐦" in c["prompt"] for c in golden["cases"])
    ckpt = torch.load(runs / "tiny" / "sft" / "ckpt.pt")
    assert ckpt["history"]["done"] and ckpt["step"] == cfg.sft.steps
    assert summary["sft_steps"] == cfg.sft.steps + cfg.sft2.steps  # the second SFT pass continues the first
    assert summary["corpus_val_loss_after_sft"] > 0
    # a second run resumes from the finished checkpoints instead of training again
    again = run(cfg, tmp_path / "model2", runs)
    assert again["sft_final_val_loss"] == summary["sft_final_val_loss"]
    assert (tmp_path / "model2" / "model.safetensors").read_bytes() == (out / "model.safetensors").read_bytes()


def test_evaluate_reports_skills_and_onnx_parity(exported, model, tok):
    from petrel_export.dialogues import generate
    from petrel_export.evaluate import onnx_evals, samples, skill_evals
    from petrel_export.golden import write_golden

    heldout = generate(1337, 0, 0).heldout
    picked = {c["category"]: c for c in heldout}  # one prompt per category
    ev = skill_evals(model, tok, list(picked.values()), 6)
    assert set(ev["greedy"]) == set(picked) >= {"arithmetic", "follow_up", "ood", "tool_call", "dictionary"}
    assert all(v["n"] == 1 for v in ev["greedy"].values()) and len(ev["sampled"]) == 5
    assert 0.0 <= ev["end_of_turn_rate"] <= 1.0 and 0.0 <= ev["confusion_rate"] <= 1.0
    write_golden(model, tok, "tiny", exported / "golden.json", [2, 0], max_new_tokens=6)
    onnx = onnx_evals(model, exported)
    assert onnx["onnx_fp32_vs_torch_max_abs_diff"] <= 1e-4
    assert onnx["onnx_fp32_greedy_agreement_with_torch"] == 1.0
    assert len(samples(model, tok, 4)) >= 10


def test_batched_decode_equals_one_prompt_at_a_time(model, tok):
    from petrel_export.evaluate import generate_batch

    prompts = [tok.encode(t) for t in ("Hello there", "What is 37 + 45? Tell me", "a", "The sea and the sky were grey")]
    batched = generate_batch(model, prompts, 8, stop_id=2)
    assert batched == [model.generate_greedy(p, 8, stop_ids={2}) for p in prompts]
