"""GGUF header metadata: ``general.base_model.N.*`` means the file quantizes that model.

Reads only the key/value section at the start of a GGUF file, from bytes that a range request
(or a short file read) returned. ``gguf.GGUFReader`` is not used for the bytes because it
memory-maps a whole file and walks the tensor table, which the first few MiB of a 40 GB file
do not contain; the value types come from the ``gguf`` package so both stay in step.
Every length is bounded: strings, arrays and the key count cannot make it allocate more than
the bytes it was given.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from gguf import GGUF_MAGIC, GGUFValueType

from lineage.errors import ParseError
from lineage.graph import Evidence, Relation
from lineage.parsers.card import ParentDecl
from lineage.refs import ParentValue, clip, decode_parent_value

MAX_KV = 10_000
MAX_STRING = 1024 * 1024
MAX_ARRAY_KEPT = 64  # array items kept (tokenizer vocabularies are skipped, not stored)

_SCALARS: dict[int, tuple[str, int]] = {
    GGUFValueType.UINT8: ("<B", 1), GGUFValueType.INT8: ("<b", 1),
    GGUFValueType.UINT16: ("<H", 2), GGUFValueType.INT16: ("<h", 2),
    GGUFValueType.UINT32: ("<I", 4), GGUFValueType.INT32: ("<i", 4),
    GGUFValueType.FLOAT32: ("<f", 4), GGUFValueType.BOOL: ("<?", 1),
    GGUFValueType.UINT64: ("<Q", 8), GGUFValueType.INT64: ("<q", 8),
    GGUFValueType.FLOAT64: ("<d", 8),
}


@dataclass
class GgufHeader:
    version: int = 0
    tensor_count: int = 0
    kv: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False  # the bytes ended before the key/value section did
    # item counts of array values, kept even when the items are not (a vocabulary's size)
    array_counts: dict[str, int] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise EOFError
        chunk = self.data[self.pos: self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.take(size))[0]

    def string(self) -> str:
        n = self.unpack("<Q", 8)
        if n > MAX_STRING:
            raise ParseError(f"string of {n} bytes in GGUF header")
        return self.take(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, depth: int = 0) -> Any:
        if vtype in _SCALARS:
            fmt, size = _SCALARS[vtype]
            return self.unpack(fmt, size)
        if vtype == GGUFValueType.STRING:
            return self.string()
        if vtype == GGUFValueType.ARRAY and depth < 2:
            itype = self.unpack("<I", 4)
            count = self.unpack("<Q", 8)
            if count > len(self.data):  # each item takes at least one byte
                raise ParseError(f"array of {count} items in a {len(self.data)}-byte header")
            items = []
            for i in range(count):
                item = self.value(itype, depth + 1)
                if i < MAX_ARRAY_KEPT:
                    items.append(item)
            return items
        raise ParseError(f"unknown GGUF value type {vtype}")


def parse_gguf_header(data: bytes, *, file: str = "model.gguf") -> GgufHeader:
    """Parse the GGUF key/value header from the first bytes of a file.

    ``ParseError`` when the bytes are not GGUF. A header cut short by the byte budget returns
    what was read with ``truncated=True``.
    """
    r = _Reader(data)
    try:
        if r.unpack("<I", 4) != GGUF_MAGIC:
            raise ParseError("not a GGUF file (bad magic)", file=file)
        out = GgufHeader(version=r.unpack("<I", 4))
        if out.version not in (2, 3):
            raise ParseError(f"unsupported GGUF version {out.version}", file=file)
        out.tensor_count = r.unpack("<Q", 8)
        kv_count = r.unpack("<Q", 8)
        if kv_count > MAX_KV:
            raise ParseError(f"{kv_count} metadata keys (limit {MAX_KV})", file=file)
        for _ in range(kv_count):
            key = r.string()
            vtype = r.unpack("<I", 4)
            if vtype == GGUFValueType.ARRAY and r.pos + 12 <= len(data):
                out.array_counts[clip(key, 200)] = struct.unpack_from("<Q", data, r.pos + 4)[0]
            out.kv[clip(key, 200)] = r.value(vtype)
    except EOFError:
        if "out" not in locals():
            raise ParseError("GGUF header cut short", file=file) from None
        out.truncated = True
    except ParseError as exc:
        if exc.file is None:
            raise ParseError(exc.message, file=file) from exc
        raise
    return out


def gguf_parents(kv: dict[str, Any], *, file: str = "model.gguf") -> list[ParentDecl]:
    """Parents from ``general.base_model.N.*`` (``repo_url`` decoded; name/organization kept
    as an unresolved raw value when no URL identifies the repo, never guessed)."""
    try:
        count = int(kv.get("general.base_model.count", 0))
    except (TypeError, ValueError):
        count = 0
    out: list[ParentDecl] = []
    for i in range(min(count, 100)):
        prefix = f"general.base_model.{i}."
        url = kv.get(prefix + "repo_url")
        if isinstance(url, str) and url.strip():
            ev = Evidence("gguf", file, prefix + "repo_url", clip(url.strip(), 300))
            out.append(ParentDecl(decode_parent_value(url.strip()), Relation.QUANTIZED, ev))
            continue
        name, org = kv.get(prefix + "name"), kv.get(prefix + "organization")
        raw = " / ".join(str(v) for v in (org, name) if isinstance(v, str) and v)
        if raw:
            ev = Evidence("gguf", file, prefix + "name", clip(raw, 300))
            out.append(ParentDecl(ParentValue(clip(raw), None, "invalid-id"),
                                  Relation.QUANTIZED, ev))
    return out


SUMMARY_KEYS = ("general.architecture", "general.name", "general.license", "general.file_type",
                "general.quantization_version", "general.base_model.count")


def gguf_summary(kv: dict[str, Any]) -> dict[str, Any]:
    """The header keys worth recording on the node."""
    return {k: kv[k] for k in SUMMARY_KEYS if k in kv and isinstance(kv[k], (str, int, float))}
