"""PEFT ``adapter_config.json``: the base model an adapter was trained on."""

from __future__ import annotations

from dataclasses import dataclass, field

from lineage.errors import InvalidIdError, ParseError
from lineage.graph import Evidence, Relation
from lineage.parsers.card import ParentDecl
from lineage.parsers.safe import load_json
from lineage.refs import ModelRef, clip, decode_parent_value

MAX_ADAPTER_CONFIG_BYTES = 1024 * 1024


@dataclass
class AdapterConfig:
    base: str | None = None
    revision: str | None = None
    peft_type: str | None = None
    task_type: str | None = None
    problems: list[str] = field(default_factory=list)

    def parent(self, file: str = "adapter_config.json") -> ParentDecl | None:
        """The declared base as an adapter edge, pinned to ``revision`` when one is given."""
        if self.base is None:
            return None
        value = decode_parent_value(self.base)
        if value.ref is not None and self.revision and value.ref.revision is None:
            try:
                value = type(value)(value.raw, ModelRef(value.ref.repo_id, self.revision))
            except InvalidIdError:
                self.problems.append(f"{file}: revision {self.revision!r} is not valid; ignored")
        ev = Evidence("adapter_config", file, "base_model_name_or_path", clip(self.base, 300))
        return ParentDecl(value, Relation.ADAPTER, ev)


def parse_adapter_config(
    data: bytes | str, *, file: str = "adapter_config.json"
) -> AdapterConfig:
    """Parse a PEFT adapter config. ``ParseError`` if it is not a JSON object."""
    value = load_json(data, file=file, max_bytes=MAX_ADAPTER_CONFIG_BYTES)
    if not isinstance(value, dict):
        raise ParseError(f"is a {type(value).__name__}, not an object", file=file)
    out = AdapterConfig()
    base = value.get("base_model_name_or_path")
    if isinstance(base, str) and base.strip():
        out.base = base.strip()
    elif base is not None:
        out.problems.append(f"{file}: base_model_name_or_path is not a string")
    rev = value.get("revision")
    if isinstance(rev, str) and rev.strip():
        out.revision = rev.strip()
    for key in ("peft_type", "task_type"):
        v = value.get(key)
        if isinstance(v, str):
            setattr(out, key, clip(v, 80))
    return out
