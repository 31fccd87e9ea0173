"""Loads Petrel model directories with Hugging Face transformers (config.json + model.safetensors +
tokenizer.json, nothing of Petrel's) and checks golden.json: the tokenizer's ids, the greedy tokens and
the first-step logits. Prints JSON; exits 1 on a mismatch.

    python3 gpu/hf_parity.py ../models/petrel-mini ../models/petrel-small
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def check(model_dir: Path, device: str) -> dict:
    golden = json.loads((model_dir / "golden.json").read_text(encoding="utf-8"))
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32).to(device).eval()
    cases = []
    for case in golden["cases"]:
        ids = tok(case["prompt"], add_special_tokens=False)["input_ids"]
        x = torch.tensor([case["input_ids"]], device=device)
        with torch.no_grad():
            logits = model(x).logits[0, -1].float().cpu()
            out = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False,
                                 max_new_tokens=case["max_new_tokens"], eos_token_id=golden["eos_token_ids"],
                                 pad_token_id=golden["eos_token_ids"][-1])
        greedy = out[0, x.shape[1]:].tolist()
        top = case["top_logits"]
        cases.append({
            "name": case["name"], "tokenizer_ids_equal": ids == case["input_ids"],
            "greedy_equal": greedy == case["greedy_ids"],
            "top_logit_max_abs_diff": max(abs(float(logits[t["id"]]) - t["logit"]) for t in top),
        })
    ok = all(c["tokenizer_ids_equal"] and c["greedy_equal"] and c["top_logit_max_abs_diff"] < 1e-3 for c in cases)
    return {"model_dir": str(model_dir), "ok": ok, "cases": cases}


def main() -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    results = [check(Path(p).resolve(), device) for p in sys.argv[1:]]
    print(json.dumps({"device": device, "results": results}, indent=1))
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
