"""Calls the Node scripts in model-export/scripts (onnxruntime-node, @huggingface/tokenizers)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

EXPORT_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = EXPORT_DIR.parent


def node_command() -> list:
    """Node 22 pinned by the repo (the system node is older); `npx node` as the fallback."""
    local = REPO_ROOT / "node_modules" / ".bin" / "node"
    if local.exists():
        return [str(local)]
    return [shutil.which("npx") or "npx", "node"]


def run_script(script: str, request: dict, timeout: float = 600) -> dict:
    proc = subprocess.run(
        node_command() + [str(EXPORT_DIR / "scripts" / script)],
        input=json.dumps(request).encode("utf-8"), capture_output=True, cwd=REPO_ROOT, timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(proc.stdout)
