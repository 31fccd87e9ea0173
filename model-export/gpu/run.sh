#!/usr/bin/env bash
# The `gpu` recipe on a CUDA host (PyTorch with CUDA and Hugging Face transformers installed, no network),
# then the proof that transformers-style GPU servers load Petrel's export. Run from a checkout that
# carries model-export/data/cache/corpus/ (built here by the pipeline; the GPU host needs no Debian text
# packages):
#
#   model-export/gpu/run.sh            # writes model-export/gpu/out/{train.log,hf-parity.json}
#
# Then, back on a machine with the repo's tools (onnx, node): export the ONNX and GGUF files of the
# trained checkpoint (it resumes from runs/gpu, trains nothing):
#   cd model-export && /usr/bin/python3 -m petrel_export.pipeline --config gpu --device cpu
set -euo pipefail
cd "$(dirname "$0")/.."
out=gpu/out
mkdir -p "$out"
python3 - <<'PY'
import torch, transformers
assert torch.cuda.is_available(), "no CUDA device"
print("torch", torch.__version__, "transformers", transformers.__version__, torch.cuda.get_device_name(0))
PY
[ -f data/cache/corpus/corpus-train.txt ] || { echo "carry model-export/data/cache/corpus/ (build it with the cpu pipeline)"; exit 1; }
python3 -m petrel_export.pipeline --config gpu --hf-only --out ../models/petrel-small 2>&1 | tee "$out/train.log"
python3 gpu/hf_parity.py ../models/petrel-mini ../models/petrel-small | tee "$out/hf-parity.json"
