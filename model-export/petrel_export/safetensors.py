"""A minimal safetensors writer and reader (Debian ships no Python safetensors package).

Format: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} padded
with spaces to 8 bytes, then the raw little-endian tensor bytes in header order.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Dict

import numpy as np
import torch

_DTYPES = {torch.float32: ("F32", np.float32), torch.float16: ("F16", np.float16), torch.int64: ("I64", np.int64)}
_BY_NAME = {name: np_t for name, np_t in _DTYPES.values()}


def save_file(tensors: Dict[str, torch.Tensor], path: Path, metadata: Dict[str, str] | None = None) -> None:
    header: Dict[str, object] = {"__metadata__": metadata or {"format": "pt"}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        code, np_t = _DTYPES[t.dtype]
        raw = t.numpy().astype(np.dtype(np_t).newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)


def load_file(path: Path) -> Dict[str, torch.Tensor]:
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(body[start:end], dtype=np.dtype(_BY_NAME[info["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(arr.astype(_BY_NAME[info["dtype"]]).reshape(info["shape"]))
    return out
