"""GGUF export of a model directory for llama.cpp and Ollama: `model.gguf` (F32), `model-q8_0.gguf` (Q8_0).

    /usr/bin/python3 -m petrel_export.gguf ../models/petrel-mini

Reads config.json, model.safetensors, tokenizer.json and tokenizer_config.json; writes the llama
architecture with llama.cpp's tensor names. HF Llama rotates the halves of each head (rotate_half);
llama.cpp's llama architecture rotates adjacent pairs, so the rows of q_proj and k_proj are permuted
per head the way llama.cpp's own HF converter does. The byte-level BPE tokenizer goes into metadata as
tokenizer.ggml.model "gpt2" with pre-tokenizer "smollm": each digit split off, then the GPT-2 regex,
and no clean-up of spaces on decoding (clean_up_tokenization_spaces is false), as tokenizer.json does.
In the Q8_0 file every matrix whose rows divide into 32-value blocks is Q8_0; norms stay F32.
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from . import safetensors
from .gguf_file import ARRAY, BOOL, F32, F32V, I32, Q8_0, QK8_0, STRING, U32, Value, write_gguf_file

log = logging.getLogger(__name__)

FILES = {"model.gguf": F32, "model-q8_0.gguf": Q8_0}
FILE_TYPE = {F32: 0, Q8_0: 7}  # llama_ftype: ALL_F32, MOSTLY_Q8_0
PRE_TOKENIZER = "smollm"
TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED = 1, 3, 4, 5

_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def permute_rope_rows(w: np.ndarray, n_head: int) -> np.ndarray:
    """Rows of one projection, head by head, from HF's (first half, second half) to interleaved pairs."""
    out_features = w.shape[0]
    half = out_features // n_head // 2
    return w.reshape(n_head, 2, half, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)  # (nh, hs/2, 2, C)


def gguf_tensors(state: Dict[str, np.ndarray], hf: dict) -> List[Tuple[str, np.ndarray]]:
    """llama.cpp names and float32 arrays, in llama.cpp's converter's order."""
    out = [("token_embd.weight", state["model.embed_tokens.weight"])]
    for i in range(hf["num_hidden_layers"]):
        for hf_name, name in _LAYER_NAMES.items():
            w = state[f"model.layers.{i}.{hf_name}"]
            if name == "attn_q.weight":
                w = permute_rope_rows(w, hf["num_attention_heads"])
            elif name == "attn_k.weight":
                w = permute_rope_rows(w, hf["num_key_value_heads"])
            out.append((f"blk.{i}.{name}", w))
    out.append(("output_norm.weight", state["model.norm.weight"]))
    if not hf.get("tie_word_embeddings", False):
        out.append(("output.weight", state["lm_head.weight"]))
    return [(name, np.ascontiguousarray(w, dtype=np.float32)) for name, w in out]


def llama_metadata(hf: dict, name: str) -> Dict[str, Value]:
    head_dim = hf.get("head_dim") or hf["hidden_size"] // hf["num_attention_heads"]
    return {
        "general.architecture": Value("llama", STRING),
        "general.name": Value(name, STRING),
        "llama.vocab_size": Value(hf["vocab_size"], U32),
        "llama.context_length": Value(hf["max_position_embeddings"], U32),
        "llama.embedding_length": Value(hf["hidden_size"], U32),
        "llama.block_count": Value(hf["num_hidden_layers"], U32),
        "llama.feed_forward_length": Value(hf["intermediate_size"], U32),
        "llama.attention.head_count": Value(hf["num_attention_heads"], U32),
        "llama.attention.head_count_kv": Value(hf["num_key_value_heads"], U32),
        "llama.attention.key_length": Value(head_dim, U32),
        "llama.attention.value_length": Value(head_dim, U32),
        "llama.rope.dimension_count": Value(head_dim, U32),
        "llama.rope.freq_base": Value(float(hf["rope_theta"]), F32V),
        "llama.attention.layer_norm_rms_epsilon": Value(float(hf["rms_norm_eps"]), F32V),
    }


def tokenizer_metadata(tok: dict, tok_cfg: dict, hf: dict) -> Dict[str, Value]:
    """tokenizer.ggml.* from an HF byte-level BPE tokenizer.json, padded to the model's vocab size."""
    vocab: Dict[str, int] = dict(tok["model"]["vocab"])
    added = {a["content"]: a for a in tok.get("added_tokens", [])}
    for content, a in added.items():
        vocab[content] = a["id"]
    by_id = {i: t for t, i in vocab.items()}
    n = max(hf["vocab_size"], max(by_id) + 1)
    tokens, types = [], []
    for i in range(n):
        t = by_id.get(i)
        tokens.append(t if t is not None else f"[PAD{i}]")
        if t is None:
            types.append(TOKEN_UNUSED)
        elif t in added:
            types.append(TOKEN_CONTROL if added[t].get("special", False) else TOKEN_USER_DEFINED)
        else:
            types.append(TOKEN_NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
    meta = {
        "tokenizer.ggml.model": Value("gpt2", STRING),
        "tokenizer.ggml.pre": Value(PRE_TOKENIZER, STRING),
        "tokenizer.ggml.tokens": Value(tokens, ARRAY, STRING),
        "tokenizer.ggml.token_type": Value(types, ARRAY, I32),
        "tokenizer.ggml.merges": Value(merges, ARRAY, STRING),
        "tokenizer.ggml.bos_token_id": Value(hf["bos_token_id"], U32),
        "tokenizer.ggml.eos_token_id": Value(hf["eos_token_id"], U32),
        "tokenizer.ggml.padding_token_id": Value(hf.get("pad_token_id", hf["bos_token_id"]), U32),
        "tokenizer.ggml.add_bos_token": Value(bool(tok_cfg.get("add_bos_token", False)), BOOL),
        "tokenizer.ggml.add_eos_token": Value(bool(tok_cfg.get("add_eos_token", False)), BOOL),
    }
    if tok_cfg.get("chat_template"):
        meta["tokenizer.chat_template"] = Value(tok_cfg["chat_template"], STRING)
    return meta


def _file_type(x: np.ndarray, want: int) -> int:
    """Q8_0 for matrices whose rows split into whole blocks; F32 for norms and anything else."""
    return want if x.ndim == 2 and x.shape[-1] % QK8_0 == 0 else F32


def write_gguf(model_dir: Path) -> List[Path]:
    """Writes model.gguf and model-q8_0.gguf into `model_dir`; returns their paths."""
    model_dir = Path(model_dir)
    hf = json.loads((model_dir / "config.json").read_text())
    tok = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tok_cfg = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert hf["model_type"] == "llama" and tok["model"]["type"] == "BPE", "a Llama with a BPE tokenizer"
    state = {k: v.numpy() for k, v in safetensors.load_file(model_dir / "model.safetensors").items()}
    tensors = gguf_tensors(state, hf)
    meta = {**llama_metadata(hf, model_dir.name), **tokenizer_metadata(tok, tok_cfg, hf)}
    written = []
    for file_name, want in FILES.items():
        file_meta = {**meta, "general.file_type": Value(FILE_TYPE[want], U32)}
        if want != F32:
            file_meta["general.quantization_version"] = Value(2, U32)
        path = model_dir / file_name
        write_gguf_file(path, file_meta, [(n, x, _file_type(x, want)) for n, x in tensors])
        log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
        written.append(path)
    return written


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", type=Path, nargs="+", help="model directories (config.json, model.safetensors, ...)")
    for d in ap.parse_args().model_dir:
        write_gguf(d)


if __name__ == "__main__":
    main()
