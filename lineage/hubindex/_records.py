"""Reading one listed model (a dump line or a ``list_models`` item) into its parent links.

The Hub states a model's parents in two places: ``baseModels`` (``{"relation": "quantized",
"models": [{"id": "org/base"}]}``; older clients and dumps also give a plain list of ids) and
the ``base_model:<relation>:<id>`` / ``base_model:<id>`` tags. ``baseModels`` wins when both
are present; a parent known only from a bare ``base_model:<id>`` tag gets relation
``unknown``. Ids that are not valid Hub ids are skipped and counted, never guessed at. The
fields are read by ``lineage.hub_lineage``, the one reader of the Hub's lineage fields. The
``config`` and ``safetensors`` fields give the model's fingerprint (``_fingerprint``) and
``createdAt`` its creation time, when the listing carries them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lineage.graph import Relation
from lineage.hub_lineage import MAX_PARENTS, base_model_parents, tag_parents
from lineage.hubindex._fingerprint import listing_fingerprint
from lineage.refs import is_valid_repo_id


@dataclass(frozen=True)
class ListedModel:
    """One model as the index stores it: its id as listed, its (parent id, relation) links,
    its fingerprint and creation time (``None`` when the listing has none)."""

    model_id: str
    parents: tuple[tuple[str, str], ...]
    skipped_parents: int = 0
    fingerprint: str | None = None
    created: str | None = None


_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]{2,20}Z?$")


def _created(value: object) -> str | None:
    """An ISO ``createdAt`` as the Hub writes it (``2024-07-14T00:00:00.000Z``), else None."""
    return value if isinstance(value, str) and _CREATED.match(value) else None


class RecordError(ValueError):
    """A record that cannot be indexed; the message says why (without the line number)."""


def _from_tags(tags: object) -> tuple[dict[str, tuple[str, str]], int]:
    """Parents named by ``base_model:`` tags, keyed by lower-case id → (id, relation)."""
    found: dict[str, tuple[str, str]] = {}
    skipped = 0
    for tagged in tag_parents(tags if isinstance(tags, list) else ()):
        if not is_valid_repo_id(tagged.parent):
            skipped += 1
            continue
        relation = (tagged.relation or Relation.UNKNOWN).value
        key = tagged.parent.lower()
        if relation != Relation.UNKNOWN.value or key not in found:
            found[key] = (tagged.parent, relation)
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

    tag_parents_found, skipped = _from_tags(record.get("tags"))
    parents: dict[str, tuple[str, str]] = {}
    base = record.get("baseModels")
    for stated in base_model_parents(base) if base else ():
        if not is_valid_repo_id(stated.parent):
            skipped += 1
            continue
        key = stated.parent.lower()
        if stated.relation is not None:
            rel = stated.relation.value
        else:
            tagged = tag_parents_found.get(key)
            rel = tagged[1] if tagged else Relation.UNKNOWN.value
        parents.setdefault(key, (stated.parent, rel))
    if base:
        skipped += _unreadable(base)
    if not parents:
        for key, pair in list(tag_parents_found.items())[:MAX_PARENTS]:
            parents[key] = pair
    return ListedModel(model_id, tuple(parents.values()), skipped,
                       listing_fingerprint(record), _created(record.get("createdAt")))


def _unreadable(base: object) -> int:
    """Entries of a ``baseModels`` value that named no id at all (counted as skipped)."""
    items = base.get("models", base.get("ids", [])) if isinstance(base, Mapping) else base
    if not isinstance(items, list):
        return 0
    return sum(1 for item in items[:MAX_PARENTS]
               if not isinstance(item.get("id") if isinstance(item, Mapping) else item, str))
