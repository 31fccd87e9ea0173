"""golden.json: prompts, their ids, PyTorch greedy continuations and first-step top logits.

Format (stable; documented in model-export/README.md):
{"model": id, "eos_token_ids": [...], "cases": [{"name", "messages": [...] | null, "prompt": str,
  "input_ids": [...], "greedy_ids": [...], "max_new_tokens": N, "top_logits": [{"id", "logit"} x10]}]}
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import torch

from .bpe import ByteLevelBPE
from .chat import render
from .model import LlamaForCausalLM

GOLDEN_PROMPTS = [
    ("chat-greeting", [{"role": "user", "content": "Hello! Who are you?"}], None),
    ("chat-addition", [{"role": "user", "content": "What is 37 + 45?"}], None),
    ("chat-subtraction", [{"role": "user", "content": "What is 82 - 19?"}], None),
    ("chat-system-multiturn", [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello! How can I help you today?"},
        {"role": "user", "content": "What is a Transformer?"},
    ], None),
    ("chat-chinese", [{"role": "user", "content": "什么是自注意力？"}], None),
    ("chat-emoji", [{"role": "user", "content": "Tell me about fine-tuning 🤖✨"}], None),
    ("chat-unknown", [{"role": "user", "content": "What will the weather be in Paris tomorrow?"}], None),
    ("raw-english", None, "In the beginning God created the heaven and the earth."),
    ("raw-mixed", None, "Petrels 🐦 fly over the sea 🌊; 海燕在海上飞翔。 1234 + 5678"),
]


def make_case(model: LlamaForCausalLM, tok: ByteLevelBPE, name: str, messages: Optional[list], prompt: Optional[str],
              max_new_tokens: int, eos_ids: List[int]) -> dict:
    if messages is not None:
        prompt = render(messages, add_generation_prompt=True)
    ids = tok.encode(prompt)
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    top = torch.topk(logits[0, -1].float(), 10)
    greedy = model.generate_greedy(ids, max_new_tokens, stop_ids=set(eos_ids))
    return {
        "name": name, "messages": messages, "prompt": prompt, "input_ids": ids,
        "greedy_ids": greedy, "max_new_tokens": max_new_tokens,
        "top_logits": [{"id": int(i), "logit": float(v)} for v, i in zip(top.values, top.indices)],
        "greedy_text": tok.decode(greedy),
    }


def write_golden(model: LlamaForCausalLM, tok: ByteLevelBPE, model_id: str, path: Path,
                 eos_ids: List[int], max_new_tokens: int = 32) -> dict:
    model = model.float().cpu().eval()
    cases = [make_case(model, tok, n, m, p, max_new_tokens, eos_ids) for n, m, p in GOLDEN_PROMPTS]
    golden = {"model": model_id, "eos_token_ids": eos_ids, "cases": cases}
    path.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return golden
