#!/usr/bin/env bash
# model-export's CI step: Debian packages it needs (PyTorch, onnx, regex, OpenBLAS, matplotlib,
# pytest, tqdm and the public-domain text packages the corpus is built from), then its pytest suite.
# `--deps`: the packages only.
# The Node side (onnxruntime-node, @huggingface/tokenizers) comes from the repo's npm install.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="python3-torch python3-onnx python3-regex libopenblas0-pthread python3-matplotlib python3-pytest python3-tqdm
python3-numpy wordnet-base dict-gcide bible-kjv fortunes"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
[ "${1:-}" = "--deps" ] && exit 0  # packages only: the vitest global setup builds its tools model with them
[ -x node_modules/.bin/node ] || npm ci
cd model-export && /usr/bin/python3 -m pytest -q
