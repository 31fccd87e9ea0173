"""The GGUF container (version 3), written and read with numpy; Q8_0 quantization.

Debian ships no Python `gguf` package, and the format is small:

    magic "GGUF", u32 version, u64 tensor count, u64 metadata count
    metadata: key (string), u32 value type, value          string = u64 length + UTF-8 bytes
    tensor infos: name, u32 n_dims, u64 dims (innermost first), u32 ggml type, u64 data offset
    padding to `general.alignment` (32), then each tensor's bytes at its offset, each aligned

All numbers little-endian. Dims are listed innermost first, so a numpy (rows, cols) matrix is
(cols, rows) in the file. Q8_0 stores blocks of 32 values along a row: an fp16 scale d = max|x| / 127
then 32 int8 values round(x / d), rounded half away from zero as ggml's reference quantizer does.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Dict, List, Tuple

import numpy as np

MAGIC = b"GGUF"
VERSION = 3
ALIGNMENT = 32
QK8_0 = 32

# ggml tensor types used here
F32, Q8_0 = 0, 8
_TYPE_NAMES = {F32: "F32", Q8_0: "Q8_0"}

# metadata value types
U8, I8, U16, I16, U32, I32, F32V, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALARS = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32V: "<f", BOOL: "<?",
            U64: "<Q", I64: "<q", F64: "<d"}


@dataclass
class Value:
    """A metadata value with an explicit GGUF type (arrays: `type` is ARRAY and `item` their elements')."""
    value: Any
    type: int
    item: int = -1


@dataclass
class TensorInfo:
    name: str
    shape: Tuple[int, ...]  # numpy order (outermost first)
    type: int
    offset: int


def _string(s: str) -> bytes:
    raw = s.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _scalar(v: Any, t: int) -> bytes:
    return _string(v) if t == STRING else struct.pack(_SCALARS[t], v)


def _value(v: Value) -> bytes:
    if v.type != ARRAY:
        return struct.pack("<I", v.type) + _scalar(v.value, v.type)
    head = struct.pack("<IIQ", ARRAY, v.item, len(v.value))
    if v.item == STRING:
        return head + b"".join(_string(s) for s in v.value)
    return head + np.asarray(v.value, dtype=np.dtype(_SCALARS[v.item])).tobytes()


def quantize_q8_0(x: np.ndarray) -> np.ndarray:
    """(rows, cols) float32 → (rows, cols // 32 * 34) uint8 of Q8_0 blocks; cols must divide by 32."""
    rows, cols = x.shape
    assert cols % QK8_0 == 0, f"Q8_0 needs rows of a multiple of {QK8_0}, got {cols}"
    blocks = x.astype(np.float32).reshape(rows, cols // QK8_0, QK8_0)  # (R, nb, 32)
    d = np.abs(blocks).max(axis=-1, keepdims=True) / 127.0  # (R, nb, 1)
    scaled = np.divide(blocks, d, out=np.zeros_like(blocks), where=d != 0)
    qs = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int8)  # half away from zero
    scale = d.astype(np.float16).view(np.uint8)  # (R, nb, 2)
    return np.concatenate([scale, qs.view(np.uint8)], axis=-1).reshape(rows, -1)


def dequantize_q8_0(raw: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    blocks = raw.reshape(rows, cols // QK8_0, 2 + QK8_0)  # (R, nb, 34)
    d = blocks[..., :2].copy().view(np.float16).astype(np.float32)  # (R, nb, 1)
    qs = blocks[..., 2:].copy().view(np.int8).astype(np.float32)  # (R, nb, 32)
    return (d * qs).reshape(shape)


def _encode_tensor(x: np.ndarray, t: int) -> bytes:
    if t == F32:
        return np.ascontiguousarray(x, dtype="<f4").tobytes()
    return quantize_q8_0(x.reshape(-1, x.shape[-1])).tobytes()


def write_gguf_file(path: Path, metadata: Dict[str, Value], tensors: List[Tuple[str, np.ndarray, int]]) -> None:
    """Writes metadata and (name, float32 array, ggml type) tensors to `path` (atomically)."""
    blobs = [_encode_tensor(x, t) for _, x, t in tensors]
    infos, offset = [], 0
    for (name, x, t), blob in zip(tensors, blobs):
        dims = x.shape[::-1]
        infos.append(_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
                     + struct.pack("<IQ", t, offset))
        offset += len(blob) + (-len(blob) % ALIGNMENT)
    meta = {"general.alignment": Value(ALIGNMENT, U32), **metadata}
    head = MAGIC + struct.pack("<IQQ", VERSION, len(tensors), len(meta))
    head += b"".join(_string(k) + _value(v) for k, v in meta.items()) + b"".join(infos)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(head + b"\0" * (-len(head) % ALIGNMENT))
        for blob in blobs:
            f.write(blob + b"\0" * (-len(blob) % ALIGNMENT))
    tmp.replace(path)


class _Reader:
    def __init__(self, f: BinaryIO):
        self.f = f

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.f.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.f.read(self.unpack("<Q")).decode("utf-8")

    def scalar(self, t: int) -> Any:
        return self.string() if t == STRING else self.unpack(_SCALARS[t])

    def value(self) -> Any:
        t = self.unpack("<I")
        if t != ARRAY:
            return self.scalar(t)
        item, n = self.unpack("<I"), self.unpack("<Q")
        return [self.scalar(item) for _ in range(n)]


def read_gguf_file(path: Path) -> Tuple[Dict[str, Any], Dict[str, TensorInfo], Dict[str, np.ndarray]]:
    """(metadata, tensor infos, float32 tensors dequantized) from a GGUF file this module can write."""
    with open(path, "rb") as f:
        r = _Reader(f)
        assert f.read(4) == MAGIC, "not a GGUF file"
        version, n_tensors, n_meta = r.unpack("<I"), r.unpack("<Q"), r.unpack("<Q")
        assert version == VERSION, f"GGUF version {version}"
        meta = {r.string(): r.value() for _ in range(n_meta)}
        infos = {}
        for _ in range(n_tensors):
            name = r.string()
            dims = [r.unpack("<Q") for _ in range(r.unpack("<I"))]
            infos[name] = TensorInfo(name, tuple(dims[::-1]), r.unpack("<I"), r.unpack("<Q"))
        align = meta.get("general.alignment", ALIGNMENT)
        base = f.tell() + (-f.tell() % align)
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=base)
    return meta, infos, {name: _decode(data, info) for name, info in infos.items()}


def _decode(data: np.ndarray, info: TensorInfo) -> np.ndarray:
    n = int(np.prod(info.shape))
    if info.type == F32:
        return np.frombuffer(data[info.offset: info.offset + 4 * n], dtype="<f4").reshape(info.shape)
    assert info.type == Q8_0, f"{info.name}: ggml type {info.type} is not read here"
    return dequantize_q8_0(np.asarray(data[info.offset: info.offset + n // QK8_0 * 34]), info.shape)


def type_name(t: int) -> str:
    return _TYPE_NAMES.get(t, str(t))
