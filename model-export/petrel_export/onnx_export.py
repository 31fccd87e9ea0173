"""The decoder-with-past ONNX graph, written node by node from the model's weights.

I/O in the Optimum / transformers.js decoder-with-past convention:
inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key|value (B, kv_heads, P, D);
outputs logits (B, T, V), present.{i}.key|value (B, kv_heads, P+T, D).

Why not torch.onnx.export: the traced graph for this model has 857 nodes (327 kernels per step after
onnxruntime's optimisations), most of them shape arithmetic re-derived in every layer, and it copies each KV head
`n_head / n_kv_head` times per layer per step (repeat_kv). For a model of a few million parameters
the runtime's per-node dispatch and those copies are most of a decode step. This graph:

- builds the attention bias (causal + padding, over the whole past) and gathers the rotary tables
  once, shared by every layer;
- one MatMul per layer for q, k, v and their rotate-half images (the rotation is a signed column
  permutation, folded into the weights), so RoPE is two Mul and one Add; 1/sqrt(head_dim) is folded
  into q's rotary table;
- grouped-query attention without repeating KV: the query heads of a group are stacked along the
  row axis, (B, kv, G·T, D) @ (B, kv, D, S), so present K/V are only ever concatenated once;
- reshapes with 0 ("copy this dim") and -1, so no Shape/Gather/Concat chains;
- RMSNorm in the Pow/ReduceMean/Add/Sqrt/Div/Mul form onnxruntime fuses into one kernel, SiLU as
  x·Sigmoid(x), gate and up projections in one MatMul.

This one has 200 nodes, 147 kernels after optimisation. Extra outputs `new.{i}.key|value` (B, kv_heads, T, D) are this run's own keys and values. Runtimes
that follow the convention ignore them (or fetch present.* only). Petrel's batching engine fetches
only logits and new.*: it keeps each cache in a buffer with spare columns, feeds the whole buffer as
the past (unused columns masked out by attention_mask) and writes the new columns itself, because
onnxruntime-node's cost of handing an output to JavaScript grows with its size (~0.7 µs per KB,
fresh memory each run), and present.* is every row's whole cache, every step.

`present=False` writes `model_new_kv.onnx`, the same model without `present.*` outputs: attention
reads the past and this run's K/V where they are (scores and weights split between the two), so no
layer copies the cache at all — 16% of a decode step at 8 rows × 100 positions on the 24M-parameter
bench model. Convention runtimes cannot use it (they need present.*); Petrel's batching server does.

Node names keep the "/model/layers.{i}/" prefixes the int8 quantizer's skip list matches.
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import List

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from .model import LlamaForCausalLM, rope_cos_sin

log = logging.getLogger(__name__)
OPSET = 17
MASKED = -1e9  # additive bias for masked keys: exp() underflows to exactly 0, and stays finite


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


def _rotate_half_columns(w: np.ndarray, heads: int, head_dim: int) -> np.ndarray:
    """Columns of w @ R where R is rotate_half per head: out[:, j] = -w[:, j+h] (j < h), w[:, j-h]."""
    half = head_dim // 2
    blocks = w.reshape(w.shape[0], heads, head_dim)
    out = np.concatenate((-blocks[..., half:], blocks[..., :half]), axis=-1)
    return out.reshape(w.shape)


def _rope_tables(model: LlamaForCausalLM) -> tuple:
    """(ctx, (H + KVH)·D) cos and sin tables in q|k column order; q's carry 1/sqrt(D)."""
    cfg = model.config
    positions = torch.arange(cfg.block_size)[None]
    cos, sin = (t[0].numpy().astype(np.float32) for t in rope_cos_sin(positions, cfg.head_dim, cfg.rope_theta))
    scale = np.float32(1.0 / math.sqrt(cfg.head_dim))
    tile = lambda t, n: np.tile(t, (1, n))  # noqa: E731
    cos_t = np.concatenate((tile(cos, cfg.n_head) * scale, tile(cos, cfg.n_kv_head)), axis=1)
    sin_t = np.concatenate((tile(sin, cfg.n_head) * scale, tile(sin, cfg.n_kv_head)), axis=1)
    return cos_t.astype(np.float32), sin_t.astype(np.float32)


def _rms_norm(g: _Graph, x: str, weight: np.ndarray, eps: float, prefix: str) -> str:
    two = g.const(f"{prefix}/two", np.array(2.0, dtype=np.float32))
    eps_c = g.const(f"{prefix}/eps", np.array(eps, dtype=np.float32))
    w = g.const(f"{prefix}.weight", weight.astype(np.float32))
    sq = g.op1("Pow", [x, two], f"{prefix}/Pow")
    mean = g.op1("ReduceMean", [sq], f"{prefix}/ReduceMean", axes=[-1], keepdims=1)
    rms = g.op1("Sqrt", [g.op1("Add", [mean, eps_c], f"{prefix}/Add")], f"{prefix}/Sqrt")
    return g.op1("Mul", [g.op1("Div", [x, rms], f"{prefix}/Div"), w], f"{prefix}/Mul")


def _weight(t: torch.Tensor) -> np.ndarray:
    """nn.Linear weight (out, in) → MatMul B operand (in, out)."""
    return t.detach().float().cpu().numpy().T.copy()


def _attention_bias(g: _Graph, groups: int, split_sizes: bool) -> tuple:
    """(B, 1, G·T, S) additive bias: 0 where query t (absolute index P+t) may see key s, else MASKED."""
    zero, one = g.ints("/bias/zero", 0), g.ints("/bias/one", 1)
    s_len = g.op1("Gather", [g.op1("Shape", ["attention_mask"], "/bias/mask_shape"), one], "/bias/S", axis=0)
    t_len = g.op1("Gather", [g.op1("Shape", ["input_ids"], "/bias/ids_shape"), one], "/bias/T", axis=0)
    p_len = g.op1("Sub", [s_len, t_len], "/bias/P")
    keys = g.op1("Range", [zero, s_len, one], "/bias/key_pos")  # (S,)
    queries = g.op1("Range", [p_len, s_len, one], "/bias/query_pos")  # (T,)
    queries = g.op1("Unsqueeze", [queries, g.ints("/bias/axis1", [1])], "/bias/query_col")  # (T, 1)
    causal = g.op1("LessOrEqual", [keys, queries], "/bias/causal")  # (T, S)
    present = g.op1("Cast", ["attention_mask"], "/bias/key_present", to=TensorProto.BOOL)
    present = g.op1("Unsqueeze", [present, g.ints("/bias/axes12", [1, 2])], "/bias/key_present4")  # (B,1,1,S)
    allowed = g.op1("And", [causal, present], "/bias/allowed")  # (B, 1, T, S)
    bias = g.op1("Where", [allowed, g.const("/bias/open", np.array(0.0, dtype=np.float32)),
                           g.const("/bias/masked", np.array(MASKED, dtype=np.float32))], "/bias/additive")
    split = ""
    if split_sizes:  # [P, T]: where attention weights split between the past and this run's keys
        axis0 = g.ints("/bias/axis0", [0])
        split = g.op1("Concat", [g.op1("Unsqueeze", [p_len, axis0], "/bias/P1"),
                                 g.op1("Unsqueeze", [t_len, axis0], "/bias/T1")], "/bias/split_past_new", axis=0)
    if groups == 1:
        return bias, split
    return g.op1("Tile", [bias, g.ints("/bias/group_repeats", [1, 1, groups, 1])], "/bias/grouped"), split


def _attend_concat(g: _Graph, p: str, q: str, presents: List[str], bias: str) -> str:
    """Attention over present = past ++ new (the Concat a convention graph outputs anyway)."""
    k_t = g.op1("Transpose", [presents[0]], f"{p}/self_attn/key_t", perm=[0, 1, 3, 2])
    scores = g.op1("MatMul", [q, k_t], f"{p}/self_attn/scores")  # (B,KVH,G·T,S); q carries 1/sqrt(D)
    probs = g.op1("Softmax", [g.op1("Add", [scores, bias], f"{p}/self_attn/masked")], f"{p}/self_attn/softmax",
                  axis=-1)
    return g.op1("MatMul", [probs, presents[1]], f"{p}/self_attn/context")


def _attend_split(g: _Graph, p: str, i: int, q: str, bias: str, split: str) -> str:
    """Attention reading the past and this run's K/V where they are: no per-step copy of the cache."""
    past_k, past_v, new_k, new_v = (f"past_key_values.{i}.key", f"past_key_values.{i}.value",
                                    f"new.{i}.key", f"new.{i}.value")
    t = lambda x, n: g.op1("Transpose", [x], f"{p}/self_attn/{n}_t", perm=[0, 1, 3, 2])  # noqa: E731
    scores = g.op1("Concat", [g.op1("MatMul", [q, t(past_k, "past_key")], f"{p}/self_attn/scores_past"),
                              g.op1("MatMul", [q, t(new_k, "new_key")], f"{p}/self_attn/scores_new")],
                   f"{p}/self_attn/scores", axis=-1)  # (B,KVH,G·T,P+T); q carries 1/sqrt(D)
    probs = g.op1("Softmax", [g.op1("Add", [scores, bias], f"{p}/self_attn/masked")], f"{p}/self_attn/softmax",
                  axis=-1)
    w_past, w_new = g.op("Split", [probs, split], f"{p}/self_attn/split_probs", outputs=2, axis=-1)
    return g.op1("Add", [g.op1("MatMul", [w_past, past_v], f"{p}/self_attn/context_past"),
                         g.op1("MatMul", [w_new, new_v], f"{p}/self_attn/context_new")], f"{p}/self_attn/context")


def build_graph(model: LlamaForCausalLM, present: bool = True) -> onnx.ModelProto:
    cfg = model.config
    H, KVH, D, C = cfg.n_head, cfg.n_kv_head, cfg.head_dim, cfg.n_embd
    G = H // KVH
    qk_width = (H + KVH) * D
    g = _Graph()
    sd = {k: v for k, v in model.state_dict().items()}

    x = g.op1("Gather", [g.const("model.embed_tokens.weight", sd["model.embed_tokens.weight"].float().numpy()),
                         "input_ids"], "/model/embed_tokens/Gather", axis=0)
    cos_t, sin_t = _rope_tables(model)
    cos = g.op1("Gather", [g.const("/rope/cos_table", cos_t), "position_ids"], "/rope/cos", axis=0)  # (B,T,qk)
    sin = g.op1("Gather", [g.const("/rope/sin_table", sin_t), "position_ids"], "/rope/sin", axis=0)
    bias, split_past_new = _attention_bias(g, G, split_sizes=not present)
    split_qkv = g.ints("/split/qkv", [qk_width, qk_width, KVH * D])
    split_qk = g.ints("/split/qk", [H * D, KVH * D])
    split_mlp = g.ints("/split/mlp", [cfg.intermediate_size, cfg.intermediate_size])
    q_shape = g.ints("/shape/q5", [0, 0, KVH, G, D])
    kv_shape = g.ints("/shape/kv4", [0, 0, KVH, D])
    rows_shape = g.ints("/shape/rows", [0, 0, -1, D])
    ctx_shape = g.ints("/shape/ctx5", [0, 0, G, -1, D])
    merge_shape = g.ints("/shape/merge", [0, 0, -1])
    present_names = []

    for i in range(cfg.n_layer):
        p = f"/model/layers.{i}"
        w = lambda name: _weight(sd[f"model.layers.{i}.{name}.weight"])  # noqa: E731
        h = _rms_norm(g, x, sd[f"model.layers.{i}.input_layernorm.weight"].numpy(), cfg.rms_norm_eps,
                      f"{p}/input_layernorm")
        wq, wk, wv = w("self_attn.q_proj"), w("self_attn.k_proj"), w("self_attn.v_proj")
        qkv_w = np.concatenate((wq, wk, _rotate_half_columns(wq, H, D), _rotate_half_columns(wk, KVH, D), wv), axis=1)
        qkv = g.op1("MatMul", [h, g.const(f"{p}/self_attn/qkv_rot.weight", qkv_w)], f"{p}/self_attn/qkv_proj/MatMul")
        qk, qk_rot, v = g.op("Split", [qkv, split_qkv], f"{p}/self_attn/split_qkv", outputs=3, axis=-1)
        qk = g.op1("Add", [g.op1("Mul", [qk, cos], f"{p}/self_attn/rope_cos"),
                           g.op1("Mul", [qk_rot, sin], f"{p}/self_attn/rope_sin")], f"{p}/self_attn/rope")
        q, k = g.op("Split", [qk, split_qk], f"{p}/self_attn/split_qk", outputs=2, axis=-1)
        # q: (B,T,H·D) → (B,T,KVH,G,D) → (B,KVH,G,T,D) → (B,KVH,G·T,D)
        q = g.op1("Reshape", [q, q_shape], f"{p}/self_attn/q_heads")
        q = g.op1("Transpose", [q], f"{p}/self_attn/q_groups", perm=[0, 2, 3, 1, 4])
        q = g.op1("Reshape", [q, rows_shape], f"{p}/self_attn/q_rows")
        presents = []
        for name, t in (("key", k), ("value", v)):
            t = g.op1("Reshape", [t, kv_shape], f"{p}/self_attn/{name}_heads")
            # also a graph output: a runtime that keeps its own cache fetches these, not present
            g.nodes.append(helper.make_node("Transpose", [t], [f"new.{i}.{name}"], name=f"{p}/self_attn/{name}_bhsd",
                                            perm=[0, 2, 1, 3]))
            t = f"new.{i}.{name}"
            if not present:
                continue
            out = f"present.{i}.{name}"
            g.nodes.append(helper.make_node("Concat", [f"past_key_values.{i}.{name}", t], [out],
                                            name=f"{p}/self_attn/{name}_cache", axis=2))
            presents.append(out)
        present_names += presents
        y = (_attend_concat(g, p, q, presents, bias) if present
             else _attend_split(g, p, i, q, bias, split_past_new))  # (B,KVH,G·T,D)
        y = g.op1("Reshape", [y, ctx_shape], f"{p}/self_attn/context_groups")
        y = g.op1("Transpose", [y], f"{p}/self_attn/context_btkgd", perm=[0, 3, 1, 2, 4])
        y = g.op1("Reshape", [y, merge_shape], f"{p}/self_attn/context_merge")
        y = g.op1("MatMul", [y, g.const(f"{p}/self_attn/o_proj.weight", w("self_attn.o_proj"))],
                  f"{p}/self_attn/o_proj/MatMul")
        x = g.op1("Add", [x, y], f"{p}/attn_residual")

        h = _rms_norm(g, x, sd[f"model.layers.{i}.post_attention_layernorm.weight"].numpy(), cfg.rms_norm_eps,
                      f"{p}/post_attention_layernorm")
        gate_up_w = np.concatenate((w("mlp.gate_proj"), w("mlp.up_proj")), axis=1)
        gu = g.op1("MatMul", [h, g.const(f"{p}/mlp/gate_up.weight", gate_up_w)], f"{p}/mlp/gate_up_proj/MatMul")
        gate, up = g.op("Split", [gu, split_mlp], f"{p}/mlp/split", outputs=2, axis=-1)
        act = g.op1("Mul", [gate, g.op1("Sigmoid", [gate], f"{p}/mlp/sigmoid")], f"{p}/mlp/silu")
        y = g.op1("Mul", [act, up], f"{p}/mlp/gated")
        y = g.op1("MatMul", [y, g.const(f"{p}/mlp/down_proj.weight", w("mlp.down_proj"))], f"{p}/mlp/down_proj/MatMul")
        x = g.op1("Add", [x, y], f"{p}/mlp_residual")

    x = _rms_norm(g, x, sd["model.norm.weight"].numpy(), cfg.rms_norm_eps, "/model/norm")
    lm_head = _weight(sd["lm_head.weight"])
    g.nodes.append(helper.make_node("MatMul", [x, g.const("lm_head.weight", lm_head)], ["logits"],
                                    name="/lm_head/MatMul"))

    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", i64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", i64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", i64, ["batch_size", "sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", cfg.vocab_size])]
    for i in range(cfg.n_layer):
        for name in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{name}", f32,
                                                        ["batch_size", KVH, "past_sequence_length", D]))
            if present:
                outputs.append(helper.make_tensor_value_info(f"present.{i}.{name}", f32,
                                                             ["batch_size", KVH, "total_sequence_length", D]))
    for i in range(cfg.n_layer):
        for name in ("key", "value"):
            outputs.append(helper.make_tensor_value_info(f"new.{i}.{name}", f32,
                                                         ["batch_size", KVH, "sequence_length", D]))
    graph = helper.make_graph(g.nodes, "petrel-decoder-with-past", inputs, outputs, g.inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="petrel_export")
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model: LlamaForCausalLM, path: Path, present: bool = True) -> None:
    """present=False writes the new-kv graph (model_new_kv.onnx): no present.* outputs, no KV Concat."""
    model = model.float().cpu().eval()
    with torch.no_grad():
        proto = build_graph(model, present=present)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    log.info("wrote %s (%d nodes, %.1f MB)", path, len(proto.graph.node), path.stat().st_size / 1e6)
