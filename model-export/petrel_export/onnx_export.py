"""The decoder-with-past ONNX graphs, written node by node from the model's weights.

Two layouts of the same weights:

- **Convention** (`model.onnx`, int8 `model_quantized.onnx`): the Optimum / transformers.js
  decoder-with-past I/O. Inputs input_ids, attention_mask, position_ids,
  past_key_values.{i}.key|value (B, kv_heads, P, D); outputs logits (B, T, V) and
  present.{i}.key|value (B, kv_heads, P+T, D), nothing else (a runtime that fetches every output,
  as transformers.js does, pays for each one it is handed).
- **New-KV** (`model_new_kv.onnx`, int8 `model_new_kv_quantized.onnx`), for an engine that keeps
  the cache itself (Petrel's): inputs input_ids, attention_bias (B, 1, T, P+T) float32 additive
  (0 = may attend, -1e9 = masked), position_ids, past_key_values.*; outputs logits and ONE tensor
  new_key_values (2·L·B, T, kv_heads·D): this run's keys and values after RoPE, stacked in the
  order of the past inputs (layer 0 key, layer 0 value, layer 1 key, ...), each (B, T, kv_heads·D).
  onnxruntime-node hands every output to JavaScript as a fresh copy and costs several µs per input
  and output tensor; present.* would be every row's whole cache, every step. The engine writes the
  new columns into its own buffer and feeds the buffer whole, unused columns masked by the bias.

Operators (opset 23 plus two onnxruntime contrib ops; onnxruntime-node and -web 1.30 run them):
- `Attention` (opset 23): grouped-query attention over past ++ new with the mask, KV heads never
  repeated; it also writes present K/V (a convention output; unused in the new-KV graph, but
  onnxruntime's CPU kernel requires it when given a past, so it copies every row's cache per layer
  per step). The fp32 new-KV file, the batching server's, instead reads the cache in place
  (`_attend_in_place`): more kernels, no copy — at 8 rows the copy costs more (see `export_all`).
- `RotaryEmbedding` (opset 23) on q and k with position_ids, HF's rotate-half layout.
- `SkipSimplifiedLayerNormalization` (com.microsoft): residual add + RMSNorm in one kernel; the first
  norm is `SimplifiedLayerNormalization`. gate and up projections in one MatMul, SiLU as
  x·Sigmoid(x) (onnxruntime fuses it into one kernel).
- the convention graph builds the attention mask once from attention_mask (causal from the past
  offset, and padding), shared by every layer; the new-KV graph is given it as a bias.

For petrel-mini the convention graph has 71 nodes (80 kernels after onnxruntime's fusions) against
147 kernels for the opset-17 graph of plain ops this replaced, and the 857-node graph
torch.onnx.export traced before that (CHANGELOG.md has the history).
Node names keep the "/model/layers.{i}/" prefixes the int8 quantizer's skip list matches.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import List

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .model import LlamaForCausalLM, rope_cos_sin

log = logging.getLogger(__name__)
OPSET = 23
MS_DOMAIN = "com.microsoft"
MASKED = -1e9  # additive bias for masked keys: exp() underflows to exactly 0, and stays finite
FILES = {  # (new-KV layout, int8) → file name under onnx/
    (False, False): "model.onnx",
    (False, True): "model_quantized.onnx",
    (True, False): "model_new_kv.onnx",
    (True, True): "model_new_kv_quantized.onnx",
}


def check(proto: onnx.ModelProto) -> None:
    """onnx.checker where the installed onnx knows the opset (Debian 12's onnx 1.12 stops at 17;
    there onnxruntime loading the file in the tests is the check)."""
    if onnx.defs.onnx_opset_version() >= OPSET:
        onnx.checker.check_model(proto)


class _Graph:
    """Accumulates nodes and initializers; names are unique by construction."""

    def __init__(self) -> None:
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def ints(self, name: str, values) -> str:
        return self.const(name, np.asarray(values, dtype=np.int64))

    def op(self, op_type: str, inputs: List[str], name: str, outputs: int = 1, **attrs) -> List[str]:
        outs = [name if outputs == 1 else f"{name}:{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs

    def op1(self, op_type: str, inputs: List[str], name: str, **attrs) -> str:
        return self.op(op_type, inputs, name, **attrs)[0]


def _weight(t: torch.Tensor) -> np.ndarray:
    """nn.Linear weight (out, in) → MatMul B operand (in, out)."""
    return t.detach().float().cpu().numpy().T.copy()


def _attention_mask(g: _Graph) -> str:
    """(B, 1, T, S) bool from attention_mask: query t (absolute index P+t) may see key s."""
    zero, one = g.ints("/mask/zero", 0), g.ints("/mask/one", 1)
    s_len = g.op1("Gather", [g.op1("Shape", ["attention_mask"], "/mask/mask_shape"), one], "/mask/S", axis=0)
    t_len = g.op1("Gather", [g.op1("Shape", ["input_ids"], "/mask/ids_shape"), one], "/mask/T", axis=0)
    p_len = g.op1("Sub", [s_len, t_len], "/mask/P")
    keys = g.op1("Range", [zero, s_len, one], "/mask/key_pos")  # (S,)
    queries = g.op1("Range", [p_len, s_len, one], "/mask/query_pos")  # (T,)
    queries = g.op1("Unsqueeze", [queries, g.ints("/mask/axis1", [1])], "/mask/query_col")  # (T, 1)
    causal = g.op1("LessOrEqual", [keys, queries], "/mask/causal")  # (T, S)
    present = g.op1("Cast", ["attention_mask"], "/mask/key_present", to=TensorProto.BOOL)
    present = g.op1("Unsqueeze", [present, g.ints("/mask/axes12", [1, 2])], "/mask/key_present4")  # (B,1,1,S)
    return g.op1("And", [causal, present], "/mask/allowed")  # (B, 1, T, S)


def _attend_in_place(g: _Graph, p: str, i: int, q: str, k: str, v: str, bias: str, split: str, H: int, KVH: int,
                     D: int) -> str:
    """Attention reading the past where it is: scores and weights split between the past and this
    run's K/V, so no layer copies the cache (onnxruntime's Attention kernel concatenates past and new
    into present every step: at 8 rows × 100 positions on bench-24m the Attention graph's step is 13% slower).
    q carries 1/sqrt(D) (folded into its weights); GQA without repeating KV: the G query heads of a
    KV head are stacked as rows, (B, KVH, G·T, D)."""
    a = f"{p}/self_attn"
    G = H // KVH
    q = g.op1("Reshape", [q, g.ints(f"{a}/q5", [0, 0, KVH, G, D])], f"{a}/q_heads")  # (B,T,KVH,G,D)
    q = g.op1("Transpose", [q], f"{a}/q_groups", perm=[0, 2, 3, 1, 4])  # (B,KVH,G,T,D)
    q = g.op1("Reshape", [q, g.ints(f"{a}/q_rows_shape", [0, 0, -1, D])], f"{a}/q_rows")  # (B,KVH,G·T,D)
    kv4 = g.ints(f"{a}/kv4", [0, 0, KVH, D])
    k_t = g.op1("Transpose", [g.op1("Reshape", [k, kv4], f"{a}/k_heads")], f"{a}/new_key_t", perm=[0, 2, 3, 1])
    v = g.op1("Transpose", [g.op1("Reshape", [v, kv4], f"{a}/v_heads")], f"{a}/new_value", perm=[0, 2, 1, 3])
    past_k_t = g.op1("Transpose", [f"past_key_values.{i}.key"], f"{a}/past_key_t", perm=[0, 1, 3, 2])
    scores = g.op1("Concat", [g.op1("MatMul", [q, past_k_t], f"{a}/scores_past"),
                              g.op1("MatMul", [q, k_t], f"{a}/scores_new")], f"{a}/scores", axis=-1)
    probs = g.op1("Softmax", [g.op1("Add", [scores, bias], f"{a}/masked")], f"{a}/softmax", axis=-1)
    w_past, w_new = g.op("Split", [probs, split], f"{a}/split_probs", outputs=2, axis=-1)
    y = g.op1("Add", [g.op1("MatMul", [w_past, f"past_key_values.{i}.value"], f"{a}/context_past"),
                      g.op1("MatMul", [w_new, v], f"{a}/context_new")], f"{a}/context")  # (B,KVH,G·T,D)
    y = g.op1("Reshape", [y, g.ints(f"{a}/ctx5", [0, 0, G, -1, D])], f"{a}/context_groups")
    y = g.op1("Transpose", [y], f"{a}/context_btkgd", perm=[0, 3, 1, 2, 4])  # (B,T,KVH,G,D)
    return g.op1("Reshape", [y, g.ints(f"{a}/merge", [0, 0, -1])], f"{a}/context_merge")


def _grouped_bias(g: _Graph, groups: int) -> tuple:
    """attention_bias (B,1,T,S) tiled to the stacked query rows (B,1,G·T,S), and the [P, T] sizes
    where attention weights split between the past and this run's keys."""
    bias = g.op1("Tile", ["attention_bias", g.ints("/bias/group_repeats", [1, 1, groups, 1])], "/bias/grouped")
    one, axis0 = g.ints("/bias/one", 1), g.ints("/bias/axis0", [0])
    p_len = g.op1("Gather", [g.op1("Shape", ["past_key_values.0.key"], "/bias/past_shape"),
                             g.ints("/bias/two", 2)], "/bias/P", axis=0)
    t_len = g.op1("Gather", [g.op1("Shape", ["input_ids"], "/bias/ids_shape"), one], "/bias/T", axis=0)
    split = g.op1("Concat", [g.op1("Unsqueeze", [p_len, axis0], "/bias/P1"),
                             g.op1("Unsqueeze", [t_len, axis0], "/bias/T1")], "/bias/split_past_new", axis=0)
    return bias, split


class _Norms:
    """RMSNorms with the residual add folded in: norm(x + y) returns (normed, x + y)."""

    def __init__(self, g: _Graph, eps: float) -> None:
        self.g, self.eps = g, eps

    def __call__(self, x: str, y: str | None, weight: torch.Tensor, name: str, keep_sum: bool = True) -> tuple:
        w = self.g.const(f"{name}.weight", weight.detach().float().cpu().numpy())
        if y is None:
            return self.g.op1("SimplifiedLayerNormalization", [x, w], name, axis=-1, epsilon=self.eps), x
        outs = [name, "", "", f"{name}:sum"] if keep_sum else [name]
        self.g.nodes.append(helper.make_node("SkipSimplifiedLayerNormalization", [x, y, w], outs, name=name,
                                             domain=MS_DOMAIN, epsilon=self.eps))
        return name, outs[-1]


def build_graph(model: LlamaForCausalLM, own_cache: bool = False, in_place: bool = False) -> onnx.ModelProto:
    """own_cache: the new-KV layout. in_place (new-KV only): attention by `_attend_in_place` instead of
    the Attention operator."""
    assert own_cache or not in_place
    cfg = model.config
    H, KVH, D = cfg.n_head, cfg.n_kv_head, cfg.head_dim
    g = _Graph()
    sd = model.state_dict()
    norm = _Norms(g, cfg.rms_norm_eps)

    x = g.op1("Gather", [g.const("model.embed_tokens.weight", sd["model.embed_tokens.weight"].float().numpy()),
                         "input_ids"], "/model/embed_tokens/Gather", axis=0)
    # the model's own tables (rotate-half layout: the two halves repeat), first half: (ctx, D/2)
    cos_t, sin_t = (t[0, :, : D // 2].numpy() for t in rope_cos_sin(torch.arange(cfg.block_size)[None], D,
                                                                       cfg.rope_theta))
    cos = g.const("/rope/cos_cache", np.ascontiguousarray(cos_t, dtype=np.float32))
    sin = g.const("/rope/sin_cache", np.ascontiguousarray(sin_t, dtype=np.float32))
    mask = "attention_bias" if own_cache else _attention_mask(g)
    if in_place:
        mask, split_past_new = _grouped_bias(g, H // KVH)
    split_qkv = g.ints("/split/qkv", [H * D, KVH * D, KVH * D])
    split_mlp = g.ints("/split/mlp", [cfg.intermediate_size, cfg.intermediate_size])
    new_kv: List[str] = []
    y = None  # the sublayer output still to be added to the residual stream x

    for i in range(cfg.n_layer):
        p = f"/model/layers.{i}"
        w = lambda name: _weight(sd[f"model.layers.{i}.{name}.weight"])  # noqa: E731
        h, x = norm(x, y, sd[f"model.layers.{i}.input_layernorm.weight"], f"{p}/input_layernorm")
        q_w = w("self_attn.q_proj") / np.float32(np.sqrt(D)) if in_place else w("self_attn.q_proj")
        qkv_w = np.concatenate((q_w, w("self_attn.k_proj"), w("self_attn.v_proj")), axis=1)
        qkv = g.op1("MatMul", [h, g.const(f"{p}/self_attn/qkv.weight", qkv_w)], f"{p}/self_attn/qkv_proj/MatMul")
        q, k, v = g.op("Split", [qkv, split_qkv], f"{p}/self_attn/split_qkv", outputs=3, axis=-1)
        q = g.op1("RotaryEmbedding", [q, cos, sin, "position_ids"], f"{p}/self_attn/rope_q", num_heads=H)
        k = g.op1("RotaryEmbedding", [k, cos, sin, "position_ids"], f"{p}/self_attn/rope_k", num_heads=KVH)
        new_kv += [k, v]
        if in_place:
            att = _attend_in_place(g, p, i, q, k, v, mask, split_past_new, H, KVH, D)
        else:
            att = f"{p}/self_attn/attention"
            g.nodes.append(helper.make_node(
                "Attention", [q, k, v, mask, f"past_key_values.{i}.key", f"past_key_values.{i}.value"],
                [att, f"present.{i}.key", f"present.{i}.value"], name=att, q_num_heads=H, kv_num_heads=KVH))
        y = g.op1("MatMul", [att, g.const(f"{p}/self_attn/o_proj.weight", w("self_attn.o_proj"))],
                  f"{p}/self_attn/o_proj/MatMul")
        h, x = norm(x, y, sd[f"model.layers.{i}.post_attention_layernorm.weight"], f"{p}/post_attention_layernorm")
        gate_up_w = np.concatenate((w("mlp.gate_proj"), w("mlp.up_proj")), axis=1)
        gu = g.op1("MatMul", [h, g.const(f"{p}/mlp/gate_up.weight", gate_up_w)], f"{p}/mlp/gate_up_proj/MatMul")
        gate, up = g.op("Split", [gu, split_mlp], f"{p}/mlp/split", outputs=2, axis=-1)
        act = g.op1("Mul", [gate, g.op1("Sigmoid", [gate], f"{p}/mlp/sigmoid")], f"{p}/mlp/silu")
        y = g.op1("MatMul", [g.op1("Mul", [act, up], f"{p}/mlp/gated"),
                             g.const(f"{p}/mlp/down_proj.weight", w("mlp.down_proj"))], f"{p}/mlp/down_proj/MatMul")

    h, _ = norm(x, y, sd["model.norm.weight"], "/model/norm", keep_sum=False)
    g.nodes.append(helper.make_node("MatMul", [h, g.const("lm_head.weight", _weight(sd["lm_head.weight"]))],
                                    ["logits"], name="/lm_head/MatMul"))

    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_bias", f32,
                                      ["batch_size", 1, "sequence_length", "total_sequence_length"])
        if own_cache else helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", i64, ["batch_size", "sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", cfg.vocab_size])]
    for i in range(cfg.n_layer):
        for name in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{name}", f32,
                                                        ["batch_size", KVH, "past_sequence_length", D]))
            if not own_cache:
                outputs.append(helper.make_tensor_value_info(f"present.{i}.{name}", f32,
                                                             ["batch_size", KVH, "total_sequence_length", D]))
    if own_cache:
        g.nodes.append(helper.make_node("Concat", new_kv, ["new_key_values"], name="/new_key_values", axis=0))
        outputs.append(helper.make_tensor_value_info("new_key_values", f32,
                                                     ["layers_x2_x_batch_size", "sequence_length", KVH * D]))
    graph = helper.make_graph(g.nodes, "petrel-decoder-with-past", inputs, outputs, g.inits)
    proto = helper.make_model(graph, producer_name="petrel_export", opset_imports=[
        helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)])
    proto.ir_version = 11  # the IR version that came with opset 23 (onnx 1.18)
    check(proto)
    return proto


def export_onnx(model: LlamaForCausalLM, path: Path, own_cache: bool = False, in_place: bool = False) -> None:
    model = model.float().cpu().eval()
    with torch.no_grad():
        proto = build_graph(model, own_cache=own_cache, in_place=in_place)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    log.info("wrote %s (%d nodes, %.1f MB)", path, len(proto.graph.node), path.stat().st_size / 1e6)


def export_all(model: LlamaForCausalLM, onnx_dir: Path) -> None:
    """The four files of FILES. The new-KV pair differ in attention, each for its use: the int8
    file (the Worker's, and the backend server's at batch size 1) uses the Attention operator,
    fewest kernels; the fp32 file (the batching server's) reads the cache in place, because at 8 rows
    the Attention kernel's per-step copy of every row's cache costs more than the extra kernels
    (bench/README.md, concurrency)."""
    from .quantize import quantize_model

    export_onnx(model, onnx_dir / FILES[(False, False)])
    quantize_model(onnx_dir / FILES[(False, False)], onnx_dir / FILES[(False, True)])
    fused = onnx_dir / "model_new_kv_fused.tmp.onnx"
    export_onnx(model, fused, own_cache=True)
    quantize_model(fused, onnx_dir / FILES[(True, True)])
    fused.unlink()
    export_onnx(model, onnx_dir / FILES[(True, False)], own_cache=True, in_place=True)
