"""Writes a model directory in the Hugging Face / Optimum / transformers.js layout (DESIGN.md)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from . import safetensors
from .bpe import ByteLevelBPE
from .chat import ADDED_TOKENS, BOS, CHAT_TEMPLATE, IM_END, IM_START, MARKUP_TOKENS, TOOL_CALL_END, TOOL_CALL_START
from .model import LlamaForCausalLM, ModelConfig
from .onnx_export import export_all

log = logging.getLogger(__name__)


def _write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def hf_config(cfg: ModelConfig, tok: ByteLevelBPE) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg.n_embd,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.n_layer,
        "num_attention_heads": cfg.n_head,
        "num_key_value_heads": cfg.n_kv_head,
        "head_dim": cfg.head_dim,
        "max_position_embeddings": cfg.block_size,
        "vocab_size": cfg.vocab_size,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "rms_norm_eps": cfg.rms_norm_eps,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "initializer_range": 0.02,
        "bos_token_id": tok.token_id(BOS),
        "eos_token_id": tok.token_id(IM_END),
        "pad_token_id": tok.token_id(BOS),
        "torch_dtype": "float32",
        "use_cache": True,
    }


def generation_config(tok: ByteLevelBPE) -> dict:
    # <|im_end|> ends a chat turn; <|endoftext|> ends a raw document
    return {
        "bos_token_id": tok.token_id(BOS),
        "eos_token_id": [tok.token_id(IM_END), tok.token_id(BOS)],
        "pad_token_id": tok.token_id(BOS),
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.9,
        "max_new_tokens": 128,
    }


def tokenizer_config(cfg: ModelConfig, tok: ByteLevelBPE) -> dict:
    added = {
        str(tok.token_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                               "single_word": False, "special": t not in MARKUP_TOKENS}
        for t in ADDED_TOKENS if t in tok.vocab
    }
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": [IM_START, IM_END],
        "bos_token": BOS,
        "eos_token": IM_END,
        "pad_token": BOS,
        "unk_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg.block_size,
        # how this model writes a tool call (the Hermes convention; vLLM's `hermes` parser reads it too):
        # the server parses calls out of the text between these markers, never a hard-coded format
        "tool_call_format": {"parser": "hermes", "start": TOOL_CALL_START, "end": TOOL_CALL_END},
    }


def hf_state_dict(model: LlamaForCausalLM) -> dict:
    sd = {k: v.float() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        sd.pop("lm_head.weight")  # HF re-ties it from model.embed_tokens.weight
    return sd


def write_checkpoint(model: LlamaForCausalLM, path: Path) -> None:
    sd = hf_state_dict(model)
    safetensors.save_file(sd, path)
    back = safetensors.load_file(path)
    assert back.keys() == sd.keys() and all(torch.equal(back[k], sd[k]) for k in sd), "safetensors read-back mismatch"


def write_model_dir(model: LlamaForCausalLM, tok: ByteLevelBPE, out: Path, onnx: bool = True) -> None:
    """Everything but golden.json, the GGUF files and README.md. onnx=False writes only the HF files
    (for a GPU host without onnx; export the ONNX files where the repo's tools are)."""
    cfg = model.config
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / "config.json", hf_config(cfg, tok))
    _write_json(out / "generation_config.json", generation_config(tok))
    _write_json(out / "tokenizer_config.json", tokenizer_config(cfg, tok))
    _write_json(out / "special_tokens_map.json", {"bos_token": BOS, "eos_token": IM_END, "pad_token": BOS,
                                                  "additional_special_tokens": [IM_START, IM_END]})
    tok.save(out / "tokenizer.json")
    write_checkpoint(model, out / "model.safetensors")
    if onnx:
        export_all(model, out / "onnx")


def load_model_dir(path: Path) -> tuple:
    """Reads back our own directory: (LlamaForCausalLM, ByteLevelBPE)."""
    hf = json.loads((path / "config.json").read_text())
    cfg = ModelConfig(n_layer=hf["num_hidden_layers"], n_head=hf["num_attention_heads"],
                      n_kv_head=hf["num_key_value_heads"], n_embd=hf["hidden_size"],
                      block_size=hf["max_position_embeddings"], vocab_size=hf["vocab_size"],
                      rope_theta=hf["rope_theta"], intermediate_size=hf["intermediate_size"],
                      rms_norm_eps=hf["rms_norm_eps"], tie_word_embeddings=hf["tie_word_embeddings"])
    model = LlamaForCausalLM(cfg)
    missing, unexpected = model.load_state_dict(safetensors.load_file(path / "model.safetensors"), strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    return model.eval(), ByteLevelBPE.load(path / "tokenizer.json")
