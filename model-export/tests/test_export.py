import json

import numpy as np
import onnx
import pytest
import torch

from petrel_export import safetensors
from petrel_export.model_dir import hf_state_dict, load_model_dir
from petrel_export.node import run_script
from petrel_export.onnx_export import OPSET
from petrel_export.quantize import edge_layers, quantize_weight


def _dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value_info.type.tensor_type.shape.dim]


def test_onnx_io_names_and_static_heads(exported, model):
    cfg = model.config
    m = onnx.load(str(exported / "onnx" / "model.onnx"))
    assert {o.domain: o.version for o in m.opset_import} == {"": OPSET, "com.microsoft": 1} and OPSET == 23
    assert m.ir_version == 11  # the IR version of opset 23: checkers on newer onnx accept the pair
    inputs = {i.name: _dims(i) for i in m.graph.input}
    outputs = {o.name: _dims(o) for o in m.graph.output}
    assert list(inputs)[:3] == ["input_ids", "attention_mask", "position_ids"]
    assert inputs["past_key_values.0.key"] == ["batch_size", cfg.n_kv_head, "past_sequence_length", cfg.head_dim]
    assert outputs["present.1.value"] == ["batch_size", cfg.n_kv_head, "total_sequence_length", cfg.head_dim]
    assert outputs["logits"] == ["batch_size", "sequence_length", cfg.vocab_size]
    # the convention outputs only: a runtime that fetches every output pays for each
    assert len(inputs) == 3 + 2 * cfg.n_layer and len(outputs) == 1 + 2 * cfg.n_layer


def test_onnx_graph_is_fused_one_mask_and_no_kv_repeat(exported, model):
    """Attention, RoPE and residual+norm are one kernel each; the mask is built once; no shape chains."""
    m = onnx.load(str(exported / "onnx" / "model.onnx"))
    ops = [n.op_type for n in m.graph.node]
    n = model.config.n_layer
    assert ops.count("Attention") == n and ops.count("RotaryEmbedding") == 2 * n
    assert ops.count("SkipSimplifiedLayerNormalization") == 2 * n and ops.count("SimplifiedLayerNormalization") == 1
    assert ops.count("MatMul") == 4 * n + 1  # qkv, o, gate+up, down per layer, lm_head
    assert not {"Expand", "Transpose", "Concat", "Softmax", "Reshape"} & set(ops)
    assert ops.count("Shape") == 2 and ops.count("Range") == 2
    assert len(ops) <= 14 + 15 * n  # petrel-mini: 71 (the opset-17 graph before: 200; traced: 857)


@pytest.mark.parametrize("name", ["model_new_kv.onnx", "model_new_kv_quantized.onnx"])
def test_own_cache_graphs_take_a_bias_and_give_back_only_this_runs_kv(exported, model, name):
    """attention_bias in; logits and one packed new_key_values out, in past-input order; no present."""
    cfg = model.config
    m = onnx.load(str(exported / "onnx" / name))
    inputs = {i.name: _dims(i) for i in m.graph.input}
    outputs = {o.name: _dims(o) for o in m.graph.output}
    assert list(inputs)[:3] == ["input_ids", "attention_bias", "position_ids"]
    assert inputs["attention_bias"] == ["batch_size", 1, "sequence_length", "total_sequence_length"]
    assert list(outputs) == ["logits", "new_key_values"]
    assert outputs["new_key_values"][1:] == ["sequence_length", cfg.n_kv_head * cfg.head_dim]
    packed = next(n for n in m.graph.node if n.output[0] == "new_key_values")
    rope_k = {n.output[0]: n.name for n in m.graph.node if n.op_type == "RotaryEmbedding"}
    assert [rope_k.get(x) for x in packed.input[::2]] == [f"/model/layers.{i}/self_attn/rope_k"
                                                          for i in range(cfg.n_layer)]
    ops = [n.op_type for n in m.graph.node]
    # int8: the Attention operator (one sequence at a time); fp32, the batching file: the cache is
    # read in place, never concatenated with this run's K/V
    assert ops.count("Attention") == (cfg.n_layer if "quantized" in name else 0)
    assert not [n for n in m.graph.node if n.op_type == "Concat" and any(i.startswith("past") for i in n.input)]


@pytest.mark.parametrize("name", ["model.onnx", "model_new_kv.onnx"])
def test_onnx_fp32_matches_pytorch_prefill_and_5_decode_steps(exported, model, tok, name):
    ids = tok.encode("<|im_start|>user\nWhat is 12 + 34? 你好 🐦<|im_end|>\n<|im_start|>assistant\n")
    nxt = [7, 300, 42, 5, 99]
    out = run_script("ort-run.mjs", {"mode": "logits", "model": str(exported / "onnx" / name),
                                     "prompt_ids": ids, "next_ids": nxt})
    with torch.no_grad():
        logits, past = model(torch.tensor([ids]))
        diffs = [float((logits[0] - torch.tensor(out["prefill"])).abs().max())]
        for i, t in enumerate(nxt):
            logits, past = model(torch.tensor([[t]]), past_key_values=past)
            diffs.append(float((logits[0, -1] - torch.tensor(out["steps"][i])).abs().max()))
    assert len(diffs) == 6 and max(diffs) <= 1e-4, diffs


def test_int8_graphs_have_no_float_weight_matmul_and_agree_with_fp32(exported, model):
    names = ("model.onnx", "model_quantized.onnx", "model_new_kv_quantized.onnx")
    for name in names[1:]:
        q = onnx.load(str(exported / "onnx" / name))
        ops = [n.op_type for n in q.graph.node]
        weights = {i.name for i in q.graph.initializer}
        kept = edge_layers(q.graph)  # the first and the last decoder layer stay fp32
        assert kept == ("/model/layers.0/", f"/model/layers.{model.config.n_layer - 1}/")
        assert not [n for n in q.graph.node if n.op_type == "MatMul" and n.input[1] in weights
                    and not any(k in n.name for k in kept)]
        # qkv, o, gate+up, down per layer but the kept ones, + lm_head
        assert ops.count("MatMulInteger") == 4 * (model.config.n_layer - len(kept)) + 1
        assert (exported / "onnx" / name).stat().st_size < (exported / "onnx" / "model.onnx").stat().st_size
    cases = [{"input_ids": [1, 20 + i, 30 + 2 * i, 2, 1], "max_new_tokens": 12} for i in range(6)]
    runs = {n: run_script("ort-run.mjs", {"mode": "greedy", "model": str(exported / "onnx" / n), "cases": cases,
                                          "eos": []})["greedy"] for n in names}

    def agreement(a, b):
        pairs = [(x, y) for ra, rb in zip(runs[a], runs[b]) for x, y in zip(ra, rb)]
        return sum(x == y for x, y in pairs) / len(pairs)

    # a random model has flat logits, the hardest case for agreement; trained models do better
    assert agreement("model.onnx", "model_quantized.onnx") >= 0.8
    # the two int8 layouts: same weights and kernels, the mask given as a bool or an additive bias
    assert agreement("model_quantized.onnx", "model_new_kv_quantized.onnx") >= 0.95


def test_quantize_weight_error_is_bounded_per_column():
    w = np.random.default_rng(0).normal(size=(64, 32)).astype(np.float32)
    q, scale = quantize_weight(w)
    assert q.dtype == np.int8 and scale.shape == (32,)
    assert np.abs(q * scale - w).max() <= scale.max() / 2 + 1e-6


def test_safetensors_round_trip_and_header(exported, model):
    path = exported / "model.safetensors"
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    assert (8 + n) % 8 == 0 and header["model.embed_tokens.weight"]["dtype"] == "F32"
    assert "lm_head.weight" not in header  # tied: HF re-ties it to the embedding
    back = safetensors.load_file(path)
    for k, v in hf_state_dict(model).items():
        assert torch.equal(back[k], v), k


def test_model_dir_reloads_and_config_is_llama(exported, model):
    cfg = json.loads((exported / "config.json").read_text())
    assert cfg["model_type"] == "llama" and cfg["num_key_value_heads"] == model.config.n_kv_head
    assert cfg["head_dim"] * cfg["num_attention_heads"] == cfg["hidden_size"]
    tc = json.loads((exported / "tokenizer_config.json").read_text())
    assert tc["eos_token"] == "<|im_end|>" and "<|im_start|>" in tc["chat_template"]
    gen = json.loads((exported / "generation_config.json").read_text())
    assert cfg["eos_token_id"] in gen["eos_token_id"]
    reloaded, _ = load_model_dir(exported)
    ids = torch.randint(0, model.config.vocab_size, (1, 9))
    torch.testing.assert_close(reloaded(ids)[0], model(ids)[0])
