"""safetensors headers: tensor names, dtypes and shapes, read without the weights.

A ``.safetensors`` file starts with 8 bytes (little-endian u64: the header length N), then N
bytes of JSON mapping each tensor name to ``{"dtype", "shape", "data_offsets"}`` (plus an
optional ``__metadata__`` of strings), then the data. So two range reads of the first
8 + N bytes give every shape; the data section is never touched. A sharded checkpoint adds
``model.safetensors.index.json``, whose ``weight_map`` names every tensor and the shard that
holds it.

Every length is bounded: N above ``MAX_HEADER_BYTES`` is refused before anything is read, the
JSON goes through the bounded loader, and a tensor entry of the wrong shape is skipped and
counted, never trusted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from lineage.errors import ParseError
from lineage.parsers.safe import load_json

PREFIX_BYTES = 8
MAX_HEADER_BYTES = 8 * 1024 * 1024  # real headers: ~30 KiB for an 8B model, < 2 MiB at 405B
MAX_TENSORS = 200_000
MAX_INDEX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]


@dataclass
class SafetensorsHeader:
    tensors: dict[str, TensorInfo] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    skipped: int = 0  # entries that were not a well-formed tensor description


def header_length(prefix: bytes, *, file: str = "model.safetensors") -> int:
    """N from the first 8 bytes. ``ParseError`` when it is missing or above the cap."""
    if len(prefix) < PREFIX_BYTES:
        raise ParseError(f"{len(prefix)} bytes where the 8-byte header length was expected",
                         file=file)
    (n,) = struct.unpack("<Q", prefix[:PREFIX_BYTES])
    if n < 2:
        raise ParseError(f"header length {n} is not a JSON object", file=file)
    if n > MAX_HEADER_BYTES:
        raise ParseError(f"header of {n} bytes is above the {MAX_HEADER_BYTES}-byte cap; "
                         "not read", file=file)
    return int(n)


def parse_safetensors_header(data: bytes, *, file: str = "model.safetensors"
                             ) -> SafetensorsHeader:
    """The header JSON (the N bytes after the prefix) → names, dtypes and shapes."""
    value = load_json(data.rstrip(b" \x00"), file=file, max_bytes=MAX_HEADER_BYTES)
    if not isinstance(value, dict):
        raise ParseError(f"header is a {type(value).__name__}, not an object", file=file)
    listed = len(value) - ("__metadata__" in value)
    if listed > MAX_TENSORS:
        raise ParseError(f"header lists {listed} tensors, more than the {MAX_TENSORS} "
                         "read: shapes not compared", file=file)
    out = SafetensorsHeader()
    for name, entry in value.items():
        if name == "__metadata__":
            if isinstance(entry, dict):
                out.metadata = {str(k): str(v)[:200] for k, v in list(entry.items())[:100]}
            continue
        info = _tensor(entry)
        if info is None or not isinstance(name, str) or len(name) > 300:
            out.skipped += 1
            continue
        out.tensors[name] = info
    return out


def _tensor(entry: Any) -> TensorInfo | None:
    if not isinstance(entry, dict):
        return None
    dtype, shape = entry.get("dtype"), entry.get("shape")
    if not isinstance(dtype, str) or not isinstance(shape, list) or len(shape) > 8:
        return None
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        return None
    return TensorInfo(dtype[:16], tuple(shape))


@dataclass
class SafetensorsIndex:
    weight_map: dict[str, str] = field(default_factory=dict)  # tensor name -> shard file
    total_size: int | None = None


def parse_safetensors_index(data: bytes, *, file: str = "model.safetensors.index.json"
                            ) -> SafetensorsIndex:
    value = load_json(data, file=file, max_bytes=MAX_INDEX_BYTES)
    if not isinstance(value, dict) or not isinstance(value.get("weight_map"), dict):
        raise ParseError("has no weight_map object", file=file)
    if len(value["weight_map"]) > MAX_TENSORS:
        raise ParseError(f"weight_map lists {len(value['weight_map'])} tensors, more than the "
                         f"{MAX_TENSORS} read: shards not compared", file=file)
    out = SafetensorsIndex()
    for name, shard in value["weight_map"].items():
        if isinstance(name, str) and isinstance(shard, str):
            out.weight_map[name[:300]] = shard[:300]
    meta = value.get("metadata")
    size = meta.get("total_size") if isinstance(meta, dict) else None
    if isinstance(size, int) and not isinstance(size, bool):
        out.total_size = size
    return out
