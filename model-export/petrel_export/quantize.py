"""Int8 dynamic quantization written with the `onnx` package (Debian has no Python onnxruntime).

Each MatMul whose B input is a constant 2-D float weight becomes the pattern onnxruntime's own
`quantize_dynamic` emits, which ORT (node, web/wasm) runs and may fuse into DynamicQuantizeMatMul:

    A ─DynamicQuantizeLinear→ (A_u8, A_scale, A_zp)
    MatMulInteger(A_u8, W_s8, A_zp) → int32 ─Cast→ float ─Mul(A_scale · w_scale[N])→ Y

Weights: symmetric int8, one scale per output column (per-channel), zero point 0. The first and the
last decoder layer stay fp32 (`edge_layers`).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .onnx_export import check

log = logging.getLogger(__name__)


def quantize_weight(w: np.ndarray):
    """w (K, N) float → (int8 (K, N), scale (N,)) symmetric per output column."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale


def edge_layers(graph) -> tuple:
    """Name prefixes of the first and the last decoder layer, which stay fp32: the first reads raw
    embeddings, the last writes what the LM head turns into logits, and quantizing either flipped
    near-tied greedy choices on petrel-mini's golden prompts (v2 weights: 85.2% token agreement with
    only the first layer kept, 100% with both; keeping the LM head instead costs 1 MB more)."""
    layers = sorted({int(n.name.split("/model/layers.")[1].split("/")[0]) for n in graph.node
                     if n.name.startswith("/model/layers.")})
    return tuple(f"/model/layers.{i}/" for i in sorted({layers[0], layers[-1]})) if layers else ()


def quantize_model(src: Path, dst: Path, skip: Optional[tuple] = None) -> int:
    model = onnx.load(str(src))
    graph = model.graph
    skip = edge_layers(graph) if skip is None else skip
    inits = {t.name: t for t in graph.initializer}
    users = {}
    for node in graph.node:
        for name in node.input:
            users[name] = users.get(name, 0) + 1
    new_nodes, count = [], 0
    for node in graph.node:
        skipped = any(k in node.name for k in skip)
        w_init = inits.get(node.input[1]) if node.op_type == "MatMul" and not skipped else None
        if w_init is None or len(w_init.dims) != 2 or w_init.data_type != TensorProto.FLOAT:
            new_nodes.append(node)
            continue
        q, scale = quantize_weight(numpy_helper.to_array(w_init))
        base = f"{node.name or node.output[0]}_q{count}"
        graph.initializer.append(numpy_helper.from_array(q, f"{base}_W_int8"))
        graph.initializer.append(numpy_helper.from_array(scale, f"{base}_W_scale"))
        a, y = node.input[0], node.output[0]
        new_nodes += [
            helper.make_node("DynamicQuantizeLinear", [a], [f"{base}_A_u8", f"{base}_A_scale", f"{base}_A_zp"], name=f"{base}_dql"),
            helper.make_node("MatMulInteger", [f"{base}_A_u8", f"{base}_W_int8", f"{base}_A_zp"], [f"{base}_i32"], name=f"{base}_mmi"),
            helper.make_node("Cast", [f"{base}_i32"], [f"{base}_f32"], to=TensorProto.FLOAT, name=f"{base}_cast"),
            helper.make_node("Mul", [f"{base}_A_scale", f"{base}_W_scale"], [f"{base}_scale"], name=f"{base}_scale_mul"),
            helper.make_node("Mul", [f"{base}_f32", f"{base}_scale"], [y], name=f"{base}_out_mul"),
        ]
        users[w_init.name] -= 1
        count += 1
    del graph.node[:]
    graph.node.extend(new_nodes)
    # drop float weights no node reads any more
    keep = [t for t in graph.initializer if users.get(t.name, 1) > 0]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    check(model)
    onnx.save(model, str(dst))
    log.info("quantized %d MatMuls → %s (%.1f MB)", count, dst, dst.stat().st_size / 1e6)
    return count
