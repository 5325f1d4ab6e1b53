"""mergekit recipes: every ``model:`` source and the ``base_model`` are merge parents.

Handles the recipe shapes mergekit accepts (``models:`` list, ``slices:`` with ``sources:``, a
bare ``base_model``, and mergekit-moe's ``experts: [{source_model: ...}]``), model references
written as a string, as ``{model: ...}`` or ``{path: ...}``, a ``revision:`` beside a source or
an ``@revision`` suffix (that revision is pinned), and the ``base+lora`` syntax (a LoRA applied
to a base: both are parents, the LoRA's evidence field says so).

mergekit loads a source from a local folder when one exists by that name and from the Hub
otherwise. A name without a namespace (``bagel-dpo-34b-v0.2``, ``mistralai_Mistral-7B-v0.1``)
is a folder name in practice, so it becomes an unresolved ``local-path`` parent, never a guess
at a legacy Hub id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage.errors import ParseError
from lineage.graph import Evidence, Relation
from lineage.parsers.card import ParentDecl
from lineage.parsers.safe import decode_text, load_yaml
from lineage.refs import ParentValue, clip, decode_parent_value

MAX_RECIPE_BYTES = 512 * 1024
MAX_SOURCES = 1000


@dataclass
class MergeRecipe:
    merge_method: str | None = None
    base_model: str | None = None
    name: str | None = None  # mergekit-multi's output name of this step
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
            parts = _split_lora(raw)
            for i, part in enumerate(parts):
                field_name = f"{where}+lora" if i == 1 else where
                ev = Evidence(source, file, field_name, clip(part, 300))
                decl = ParentDecl(decode_source(part), Relation.MERGE, ev)
                key = decl.value.display.lower()
                if key in seen:
                    out.append(decl)  # same parent, more evidence: the resolver merges them
                    continue
                seen.add(key)
                out.append(decl)
        return out


def decode_source(raw: str) -> ParentValue:
    """A recipe source: a Hub ref, or a local folder (a path, or a name without namespace)."""
    value = decode_parent_value(raw)
    if value.ref is not None and "/" not in value.ref.repo_id:
        return ParentValue(value.raw, None, "local-path")
    return value


def _split_lora(raw: str) -> list[str]:
    # mergekit's "base+lora" applies a LoRA before merging: both are parents. A path may
    # legitimately contain '+', so only split when both halves look like repo ids.
    if "+" in raw and "://" not in raw:
        left, _, right = raw.partition("+")
        if left.count("/") == 1 and right.count("/") == 1 and " " not in raw:
            return [left.strip(), right.strip()]
    return [raw]


def _with_revision(ref: str, revision: Any) -> str:
    """``ref`` pinned at ``revision`` (the base half of ``base+lora``), unless already pinned."""
    if not isinstance(revision, str | int) or isinstance(revision, bool) or not str(revision):
        return ref
    base, plus, lora = ref.partition("+")
    if "@" in base:
        return ref
    return f"{base}@{revision}{plus}{lora}"


def _model_ref(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("model", "path", "name"):
            inner = value.get(key)
            found = _model_ref(inner)
            if found:
                found = _with_revision(found, value.get("revision"))
                lora = value.get("lora")
                lora_ref = _model_ref(lora) if lora is not None else None
                return f"{found}+{lora_ref}" if lora_ref else found
    return None


def _source_ref(entry: Any, key: str = "model") -> str | None:
    """The model a ``models``/``sources``/``experts`` entry names, with a ``revision:`` given
    beside it (``{model: org/x, revision: v1}``) applied."""
    if not isinstance(entry, dict):
        return _model_ref(entry)
    ref = _model_ref(entry.get(key))
    return _with_revision(ref, entry.get("revision")) if ref else None


def is_mergekit_recipe(value: Any) -> bool:
    """True for a mapping with the shape of a mergekit or mergekit-moe recipe."""
    if not isinstance(value, dict):
        return False
    if "merge_method" in value or isinstance(value.get("slices"), list):
        return True
    if isinstance(value.get("models"), list) and "base_model" in value:
        return True
    experts = value.get("experts")
    return isinstance(experts, list) and any(
        isinstance(e, dict) and "source_model" in e for e in experts)


def recipe_from_mapping(value: dict[str, Any], *, file: str) -> MergeRecipe:
    out = MergeRecipe()
    method = value.get("merge_method")
    out.merge_method = clip(method, 60) if isinstance(method, str) else None
    base = _model_ref(value.get("base_model"))
    if value.get("base_model") is not None and base is None:
        out.problems.append(f"{file}: base_model is not a model reference")
    out.base_model = base
    name = value.get("name")
    out.name = clip(name.strip(), 200) if isinstance(name, str) and name.strip() else None
    models = value.get("models")
    if isinstance(models, list):
        for i, entry in enumerate(models[:MAX_SOURCES]):
            ref = _source_ref(entry)
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
                ref = _source_ref(src)
                if ref:
                    out.sources.append((ref, f"slices[{i}].sources[{j}].model"))
    experts = value.get("experts")  # mergekit-moe: each expert's source_model is a parent
    if isinstance(experts, list):
        for i, expert in enumerate(experts[:MAX_SOURCES]):
            ref = _source_ref(expert, "source_model")
            if ref:
                out.sources.append((ref, f"experts[{i}].source_model"))
            else:
                out.problems.append(f"{file}: experts[{i}] has no source_model")
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
