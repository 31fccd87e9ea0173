"""GGUF export: the container read back (header, metadata, tensor shapes and types, values), Q8_0
rounding, and the Q/K row permutation turning HF's half rotation into llama.cpp's pair rotation.
llama.cpp itself loading the files and reproducing golden.json is tests/engine/golden-llama-cpp.test.ts."""
import json

import numpy as np
import pytest
import torch

from petrel_export import safetensors
from petrel_export.gguf import FILES, permute_rope_rows, write_gguf
from petrel_export.gguf_file import F32, Q8_0, dequantize_q8_0, quantize_q8_0, read_gguf_file
from petrel_export.model import apply_rope, rope_cos_sin


@pytest.fixture(scope="module")
def gguf(exported):
    write_gguf(exported)
    return {name: read_gguf_file(exported / name) for name in FILES}


def test_metadata_describes_the_llama_and_its_tokenizer(gguf, exported, model):
    cfg = model.config
    tok = json.loads((exported / "tokenizer.json").read_text(encoding="utf-8"))
    tok_cfg = json.loads((exported / "tokenizer_config.json").read_text(encoding="utf-8"))
    for name, file_type in (("model.gguf", 0), ("model-q8_0.gguf", 7)):
        meta, _, _ = gguf[name]
        assert meta["general.architecture"] == "llama" and meta["general.file_type"] == file_type
        assert (meta["llama.block_count"], meta["llama.embedding_length"]) == (cfg.n_layer, cfg.n_embd)
        assert (meta["llama.attention.head_count"], meta["llama.attention.head_count_kv"]) == (cfg.n_head, cfg.n_kv_head)
        assert meta["llama.feed_forward_length"] == cfg.intermediate_size
        assert meta["llama.context_length"] == cfg.block_size and meta["llama.rope.dimension_count"] == cfg.head_dim
        assert meta["llama.rope.freq_base"] == cfg.rope_theta
        assert meta["llama.attention.layer_norm_rms_epsilon"] == pytest.approx(cfg.rms_norm_eps)
        assert meta["tokenizer.ggml.model"] == "gpt2" and meta["tokenizer.ggml.pre"] == "smollm"
        tokens = meta["tokenizer.ggml.tokens"]
        assert len(tokens) == cfg.vocab_size == len(meta["tokenizer.ggml.token_type"])
        assert all(tokens[i] == t for t, i in tok["model"]["vocab"].items())
        assert tokens[:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        assert tokens[3:5] == ["<tool_call>", "</tool_call>"]
        # control x3, then the tool-call markers as user-defined tokens (they decode as text), then normal
        assert meta["tokenizer.ggml.token_type"][:6] == [3, 3, 3, 4, 4, 1]
        assert meta["tokenizer.ggml.merges"] == [" ".join(m) for m in tok["model"]["merges"]]
        assert (meta["tokenizer.ggml.bos_token_id"], meta["tokenizer.ggml.eos_token_id"]) == (0, 2)
        assert meta["tokenizer.ggml.add_bos_token"] is False
        assert meta["tokenizer.chat_template"] == tok_cfg["chat_template"]


def test_tensors_read_back_with_llama_cpp_names_shapes_and_values(gguf, exported, model):
    cfg = model.config
    state = {k: v.numpy() for k, v in safetensors.load_file(exported / "model.safetensors").items()}
    _, infos, f32 = gguf["model.gguf"]
    assert len(infos) == 2 + 9 * cfg.n_layer  # tied embeddings: no output.weight
    assert infos["token_embd.weight"].shape == (cfg.vocab_size, cfg.n_embd)
    assert infos["blk.1.attn_k.weight"].shape == (cfg.n_kv_head * cfg.head_dim, cfg.n_embd)
    assert infos["blk.1.ffn_down.weight"].shape == (cfg.n_embd, cfg.intermediate_size)
    assert all(i.type == F32 and i.offset % 32 == 0 for i in infos.values())
    np.testing.assert_array_equal(f32["blk.0.ffn_gate.weight"], state["model.layers.0.mlp.gate_proj.weight"])
    np.testing.assert_array_equal(f32["blk.1.attn_q.weight"],
                                  permute_rope_rows(state["model.layers.1.self_attn.q_proj.weight"], cfg.n_head))

    _, q_infos, q8 = gguf["model-q8_0.gguf"]
    assert q_infos["blk.0.attn_norm.weight"].type == F32 and q_infos["blk.0.ffn_up.weight"].type == Q8_0
    for name, x in f32.items():
        d = np.abs(x).max() / 127  # the coarsest block scale; half a step, plus the fp16 scale's rounding
        assert np.abs(q8[name] - x).max() <= d * (0.5 + 127 * 2.0**-11) + 1e-7, name


def test_q8_0_blocks_round_half_away_from_zero():
    x = np.zeros((2, 64), dtype=np.float32)
    x[0, :32] = np.linspace(-1, 1, 32)
    x[0, 0], x[0, 1], x[0, 2] = -1.27, 0.005, -0.005  # scale 0.01: ±0.5 steps round away from zero
    raw = quantize_q8_0(x)
    assert raw.shape == (2, 2 * 34)
    qs = raw[0, 2:34].view(np.int8)
    assert (qs[0], qs[1], qs[2]) == (-127, 1, -1)
    back = dequantize_q8_0(raw, x.shape)
    assert np.abs(back - x).max() <= 0.01 / 2 + 1e-3 and not back[1].any()  # an all-zero block stays zero


def _rope_pairs(x: torch.Tensor, pos: int, theta: float) -> torch.Tensor:
    """llama.cpp's llama rotation (GPT-J style): adjacent pairs (2i, 2i+1) turn by pos * theta^(-2i/d)."""
    d = x.shape[-1]
    ang = pos / theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d)  # (d/2,)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * ang.cos() - b * ang.sin(), a * ang.sin() + b * ang.cos()), dim=-1).flatten(-2)


def test_permuted_rows_under_pair_rotation_equal_hf_half_rotation(model):
    """Rotating the permuted projection pairwise gives HF's rotated heads in the same permuted order,
    so every query-key dot product, hence attention, is unchanged."""
    cfg = model.config
    torch.manual_seed(1)
    w = model.model.layers[0].self_attn.k_proj.weight.detach()  # (nkv*hs, C)
    x = torch.randn(cfg.n_embd)
    pos = 7
    cos, sin = rope_cos_sin(torch.tensor([[pos]]), cfg.head_dim, cfg.rope_theta)  # (1, 1, hs)
    hf = apply_rope((w @ x).view(1, cfg.n_kv_head, 1, cfg.head_dim), cos, sin).reshape(-1)  # (nkv*hs,)
    permuted = torch.from_numpy(permute_rope_rows(w.numpy(), cfg.n_kv_head))
    pairs = _rope_pairs((permuted @ x).view(cfg.n_kv_head, cfg.head_dim), pos, cfg.rope_theta).reshape(-1)
    expected = torch.from_numpy(permute_rope_rows(hf[:, None].numpy(), cfg.n_kv_head))[:, 0]
    torch.testing.assert_close(pairs, expected, rtol=1e-5, atol=1e-5)
