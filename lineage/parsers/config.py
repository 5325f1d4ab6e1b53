"""``config.json``: quantization, remote code (``auto_map``) and the weak ``_name_or_path`` hint.

``auto_map`` values of the form ``org/repo--module.Class`` load code from *another* repo; plain
``module.Class`` values load code shipped in this repo. Both mean ``trust_remote_code``. The
code itself is never imported or read as Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.errors import ParseError
from lineage.parsers.safe import load_json
from lineage.refs import clip, is_valid_repo_id

MAX_CONFIG_BYTES = 4 * 1024 * 1024
QUANT_METHODS = {"gptq", "awq", "bitsandbytes", "bnb", "aqlm", "eetq", "hqq", "quanto",
                 "fbgemm_fp8", "fp8", "compressed-tensors", "torchao", "bitnet", "exl2",
                 "mlx", "vptq", "higgs", "spqr", "quark", "mxfp4", "gguf"}


@dataclass
class ModelConfig:
    model_type: str | None = None
    architectures: list[str] = field(default_factory=list)
    quantization: str | None = None  # quant_method, e.g. gptq, awq, bitsandbytes
    local_modules: list[str] = field(default_factory=list)  # "module.Class"
    cross_repo: list[tuple[str, str]] = field(default_factory=list)  # (repo id, "module.Class")
    name_or_path: str | None = None  # only when it is a valid namespaced Hub id
    problems: list[str] = field(default_factory=list)

    @property
    def needs_remote_code(self) -> bool:
        return bool(self.local_modules or self.cross_repo)


def config_from_mapping(value: dict[str, Any], *, file: str = "config.json") -> ModelConfig:
    out = ModelConfig()
    mt = value.get("model_type")
    out.model_type = clip(mt, 80) if isinstance(mt, str) else None
    archs = value.get("architectures")
    if isinstance(archs, list):
        out.architectures = [clip(a, 120) for a in archs[:20] if isinstance(a, str)]
    q = value.get("quantization_config")
    if isinstance(q, dict):
        method = q.get("quant_method") or ("bitsandbytes" if q.get("load_in_4bit")
                                           or q.get("load_in_8bit") else None)
        out.quantization = clip(str(method), 40).lower() if method else "unknown"
    elif q is not None:
        out.problems.append(f"{file}: quantization_config is not an object")
    mlx_q = value.get("quantization")  # MLX conversions: {"group_size": 64, "bits": 4}
    if out.quantization is None and isinstance(mlx_q, dict) and "bits" in mlx_q:
        out.quantization = "mlx"
    auto_map = value.get("auto_map")
    if isinstance(auto_map, dict):
        for ref in _auto_map_values(auto_map):
            if "--" in ref:
                repo, _, target = ref.partition("--")
                if is_valid_repo_id(repo, require_namespace=True):
                    pair = (repo, clip(target, 200))
                    if pair not in out.cross_repo:
                        out.cross_repo.append(pair)
                    continue
                out.problems.append(f"{file}: auto_map value {clip(ref, 80)!r} names no valid repo")
            if ref not in out.local_modules:
                out.local_modules.append(clip(ref, 200))
    elif auto_map is not None:
        out.problems.append(f"{file}: auto_map is not an object")
    nop = value.get("_name_or_path")
    if isinstance(nop, str) and is_valid_repo_id(nop.strip(), require_namespace=True):
        first = nop.strip().split("/")[0].lower()
        if first not in ("models", "datasets", "spaces"):
            out.name_or_path = nop.strip()
    return out


def _auto_map_values(auto_map: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for v in list(auto_map.values())[:100]:
        items = v if isinstance(v, list) else [v]
        out.extend(i.strip() for i in items[:10] if isinstance(i, str) and i.strip())
    return out


def parse_config(data: bytes | str, *, file: str = "config.json") -> ModelConfig:
    value = load_json(data, file=file, max_bytes=MAX_CONFIG_BYTES)
    if not isinstance(value, dict):
        raise ParseError(f"is a {type(value).__name__}, not an object", file=file)
    return config_from_mapping(value, file=file)
