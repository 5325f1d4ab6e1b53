"""Reading one listed model (a dump line or a ``list_models`` item) into its parent links.

The Hub states a model's parents in two places: ``baseModels`` (``{"relation": "quantized",
"models": [{"id": "org/base"}]}``; older clients and dumps also give a plain list of ids) and
the ``base_model:<relation>:<id>`` / ``base_model:<id>`` tags. ``baseModels`` wins when both
are present; a parent known only from a bare ``base_model:<id>`` tag gets relation
``unknown``. Ids that are not valid Hub ids are skipped and counted, never guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lineage.refs import is_valid_repo_id

RELATIONS = ("adapter", "finetune", "quantized", "merge", "unknown")
_KNOWN = frozenset(RELATIONS)
_TAG_PREFIX = "base_model:"
MAX_PARENTS = 256  # a listing that names more parents than this is cut; merges name a handful


@dataclass(frozen=True)
class ListedModel:
    """One model as the index stores it: its id as listed and its (parent id, relation) links."""

    model_id: str
    parents: tuple[tuple[str, str], ...]
    skipped_parents: int = 0


class RecordError(ValueError):
    """A record that cannot be indexed; the message says why (without the line number)."""


def _relation(value: object) -> str:
    if isinstance(value, str):
        rel = value.strip().lower()
        if rel in _KNOWN:
            return rel
    return "unknown"


def _from_tags(tags: object) -> tuple[dict[str, str], int]:
    """Parents named by ``base_model:`` tags, keyed by lower-case id → (id, relation)."""
    found: dict[str, str] = {}
    skipped = 0
    if not isinstance(tags, list):
        return found, skipped
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith(_TAG_PREFIX):
            continue
        rest = tag[len(_TAG_PREFIX):]
        rel, sep, maybe_id = rest.partition(":")
        if sep and rel in _KNOWN:
            parent, relation = maybe_id, rel
        else:
            parent, relation = rest, "unknown"
        if not is_valid_repo_id(parent):
            skipped += 1
            continue
        key = parent.lower()
        if relation != "unknown" or key not in found:
            found[key] = parent + "\0" + relation
    return found, skipped


def parse_listed_model(record: Mapping[str, object]) -> ListedModel:
    """Read ``id``, ``baseModels`` and ``tags`` from one listed model.

    Raises ``RecordError`` when the record has no valid ``id``; malformed parent fields are
    skipped (and counted in ``skipped_parents``), so one odd field never loses the model.
    """
    model_id = record.get("id", record.get("modelId"))
    if not isinstance(model_id, str) or not is_valid_repo_id(model_id):
        shown = repr(model_id)[:80]
        raise RecordError(f"no valid model id (id={shown})")

    tag_parents, skipped = _from_tags(record.get("tags"))
    base = record.get("baseModels")
    parents: dict[str, tuple[str, str]] = {}
    if base:
        declared_rel: str | None = None
        items: object = base
        if isinstance(base, Mapping):
            declared_rel = _relation(base.get("relation")) if base.get("relation") else None
            items = base.get("models", base.get("ids", []))
        if not isinstance(items, list):
            items = []
        for item in items[:MAX_PARENTS]:
            parent = item.get("id") if isinstance(item, Mapping) else item
            if not isinstance(parent, str) or not is_valid_repo_id(parent):
                skipped += 1
                continue
            key = parent.lower()
            rel = declared_rel
            if rel is None:
                tagged = tag_parents.get(key)
                rel = tagged.split("\0", 1)[1] if tagged else "unknown"
            parents.setdefault(key, (parent, rel))
    if not parents:
        for key, packed in list(tag_parents.items())[:MAX_PARENTS]:
            parent, rel = packed.split("\0", 1)
            parents[key] = (parent, rel)
    return ListedModel(model_id, tuple(parents.values()), skipped)
