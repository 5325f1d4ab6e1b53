"""mergekit recipes: every ``model:`` source and the ``base_model`` are merge parents.

Handles the three recipe shapes mergekit accepts (``models:`` list, ``slices:`` with
``sources:``, and a bare ``base_model``), model references written as a string, as
``{model: ...}`` or ``{path: ...}``, and the ``base+lora`` syntax (two parents).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.errors import ParseError
from lineage.graph import Evidence, Relation
from lineage.parsers.card import ParentDecl
from lineage.parsers.safe import decode_text, load_yaml
from lineage.refs import clip, decode_parent_value

MAX_RECIPE_BYTES = 512 * 1024
MAX_SOURCES = 1000


@dataclass
class MergeRecipe:
    merge_method: str | None = None
    base_model: str | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)  # (raw value, field path)
    problems: list[str] = field(default_factory=list)

    def parents(self, *, source: str = "mergekit", file: str = "mergekit_config.yml"
                ) -> list[ParentDecl]:
        out: list[ParentDecl] = []
        seen: set[str] = set()
        entries = list(self.sources)
        if self.base_model:
            entries.append((self.base_model, "base_model"))
        for raw, where in entries:
            for part in _split_lora(raw):
                ev = Evidence(source, file, where, clip(part, 300))
                decl = ParentDecl(decode_parent_value(part), Relation.MERGE, ev)
                key = decl.value.display.lower()
                if key in seen:
                    out.append(decl)  # same parent, more evidence: the resolver merges them
                    continue
                seen.add(key)
                out.append(decl)
        return out


def _split_lora(raw: str) -> list[str]:
    # mergekit's "base+lora" applies a LoRA before merging: both are parents. A path may
    # legitimately contain '+', so only split when both halves look like repo ids.
    if "+" in raw and "://" not in raw:
        left, _, right = raw.partition("+")
        if left.count("/") == 1 and right.count("/") == 1 and " " not in raw:
            return [left.strip(), right.strip()]
    return [raw]


def _model_ref(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("model", "path", "name"):
            inner = value.get(key)
            found = _model_ref(inner)
            if found:
                lora = value.get("lora")
                lora_ref = _model_ref(lora) if lora is not None else None
                return f"{found}+{lora_ref}" if lora_ref else found
    return None


def is_mergekit_recipe(value: Any) -> bool:
    return isinstance(value, dict) and (
        "merge_method" in value or "slices" in value
        or (isinstance(value.get("models"), list) and "base_model" in value)
    )


def recipe_from_mapping(value: dict[str, Any], *, file: str) -> MergeRecipe:
    out = MergeRecipe()
    method = value.get("merge_method")
    out.merge_method = clip(method, 60) if isinstance(method, str) else None
    base = _model_ref(value.get("base_model"))
    if value.get("base_model") is not None and base is None:
        out.problems.append(f"{file}: base_model is not a model reference")
    out.base_model = base
    models = value.get("models")
    if isinstance(models, list):
        for i, entry in enumerate(models[:MAX_SOURCES]):
            ref = _model_ref(entry.get("model") if isinstance(entry, dict) else entry)
            if ref:
                out.sources.append((ref, f"models[{i}].model"))
            else:
                out.problems.append(f"{file}: models[{i}] has no model reference")
    slices = value.get("slices")
    if isinstance(slices, list):
        for i, sl in enumerate(slices[:MAX_SOURCES]):
            sources = sl.get("sources") if isinstance(sl, dict) else None
            if not isinstance(sources, list):
                continue
            for j, src in enumerate(sources[:MAX_SOURCES]):
                ref = _model_ref(src.get("model") if isinstance(src, dict) else src)
                if ref:
                    out.sources.append((ref, f"slices[{i}].sources[{j}].model"))
    return out


def parse_mergekit(data: bytes | str, *, file: str = "mergekit_config.yml") -> MergeRecipe:
    """Parse a mergekit recipe. ``ParseError`` if it is not a YAML mapping."""
    text, problems = decode_text(data, file=file)
    value, yaml_problems = load_yaml(text, file=file, max_bytes=MAX_RECIPE_BYTES)
    if not isinstance(value, dict):
        raise ParseError(f"is a {type(value).__name__}, not a mergekit recipe", file=file)
    recipe = recipe_from_mapping(value, file=file)
    recipe.problems[:0] = problems + yaml_problems
    return recipe
