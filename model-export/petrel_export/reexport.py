"""Rewrite a model directory's ONNX files from its model.safetensors (no training), then check them.

    /usr/bin/python3 -m petrel_export.reexport --model-dir ../models/petrel-mini

Writes the four onnx/ files (onnx_export.FILES) with the current exporter and quantizer and
prints the ONNX checks of `evaluate` (fp32 vs PyTorch logits, greedy agreement with golden.json).
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from .evaluate import onnx_evals
from .model_dir import load_model_dir
from .onnx_export import export_all


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-dir", type=Path, required=True)
    args = ap.parse_args()
    args.model_dir = args.model_dir.resolve()
    model, _ = load_model_dir(args.model_dir)
    export_all(model, args.model_dir / "onnx")
    print(json.dumps(onnx_evals(model, args.model_dir), indent=1))


if __name__ == "__main__":
    main()
