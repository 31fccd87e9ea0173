"""ONNX export: one decoder-with-past graph in the Optimum / transformers.js I/O convention.

Inputs: input_ids, attention_mask, position_ids, past_key_values.{i}.key|value.
Outputs: logits, present.{i}.key|value. Only batch and sequence axes are dynamic; heads and
head_dim stay static numbers so runtimes can build an empty past from the graph's metadata.
"""
from __future__ import annotations

import inspect
import logging
import warnings
from pathlib import Path
from typing import List

import torch
import torch.nn as nn

from .model import LlamaForCausalLM

log = logging.getLogger(__name__)
OPSET = 17


class _ExportWrapper(nn.Module):
    """Flat positional signature for the tracer: (ids, mask, positions, k0, v0, k1, v1, ...)."""

    def __init__(self, model: LlamaForCausalLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        flat: List[torch.Tensor] = [logits]
        for k, v in presents:
            flat += [k, v]
        return tuple(flat)


def io_names(n_layer: int):
    past = [f"past_key_values.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(n_layer) for kv in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids"] + past, ["logits"] + present


def export_onnx(model: LlamaForCausalLM, path: Path) -> None:
    cfg = model.config
    model = model.float().cpu().eval()
    B, P, T = 2, 3, 4  # trace with a non-empty past and seq > 1 so Concat/Slice stay general
    ids = torch.randint(0, cfg.vocab_size, (B, T))
    mask = torch.ones(B, P + T, dtype=torch.long)
    pos = torch.arange(P, P + T)[None].expand(B, T).contiguous()
    past = [torch.randn(B, cfg.n_kv_head, P, cfg.head_dim) for _ in range(2 * cfg.n_layer)]
    inputs, outputs = io_names(cfg.n_layer)
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for name in inputs[3:]:
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in outputs[1:]:
        axes[name] = {0: "batch_size", 2: "total_sequence_length"}
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # torch >= 2.9 defaults to dynamo; keep the TorchScript graph
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            _ExportWrapper(model), (ids, mask, pos, *past), str(path),
            input_names=inputs, output_names=outputs, dynamic_axes=axes,
            opset_version=OPSET, do_constant_folding=True, **kwargs,
        )
    log.info("exported %s (%.1f MB)", path, path.stat().st_size / 1e6)
