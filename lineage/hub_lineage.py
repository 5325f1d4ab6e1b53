"""The Hub's lineage fields, read in one place: relation words, ``base_model:`` tags and
``baseModels``.

The Hub states a model's parents twice: in ``baseModels`` (``{"relation": "quantized",
"models": [{"id": "org/base"}]}``; dumps and older answers also give a list of such records or
a plain list of ids) and in the tags ``base_model:<relation>:<id>`` / ``base_model:<id>``.
Cards state a relation with ``base_model_relation``. Every reader of these fields (the
resolver's extraction, the Hub-wide index, live descendants) calls this module, and every
relation it answers is a ``lineage.graph.Relation``: the vocabulary exists once, there.

Ids are returned as written; callers validate or decode them (a bad id is theirs to report).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lineage.graph import LINEAGE_RELATIONS, Relation

TAG_PREFIX = "base_model:"
MAX_PARENTS = 256  # a record that names more parents than this is cut; merges name a handful

#: The words a card or the Hub may use for a relation. ``unknown`` is not a word one states.
RELATION_VALUES: Mapping[str, Relation] = {
    **{r.value: r for r in sorted(LINEAGE_RELATIONS) if r is not Relation.UNKNOWN},
    "fine-tune": Relation.FINETUNE,
}


def relation_word(value: object) -> Relation | None:
    """The relation a word names (case and surrounding blanks ignored), else ``None``."""
    if not isinstance(value, str):
        return None
    return RELATION_VALUES.get(value.strip().lower())


@dataclass(frozen=True)
class HubParent:
    """One parent the Hub states. ``relation`` is ``None`` when the field states none;
    ``source`` and ``field`` name where it was read (``hub-tags``/``tags`` or
    ``hub-base-models``/``baseModels``) and ``value`` is the raw tag or id."""

    parent: str
    relation: Relation | None
    source: str
    field: str
    value: str


def tag_parents(tags: Iterable[object]) -> list[HubParent]:
    """Parents named by ``base_model:`` tags, in tag order. ``base_model:<word>:<id>`` with a
    word that is no relation gives ``Relation.UNKNOWN`` (ids hold no ``:``)."""
    out: list[HubParent] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith(TAG_PREFIX):
            continue
        rest = tag[len(TAG_PREFIX):]
        word, sep, tail = rest.partition(":")
        if sep:
            out.append(HubParent(tail, relation_word(word) or Relation.UNKNOWN, "hub-tags",
                                 "tags", tag))
        else:
            out.append(HubParent(rest, None, "hub-tags", "tags", tag))
    return out


def base_model_parents(value: object) -> list[HubParent]:
    """Parents named by a ``baseModels`` value in any of its shapes (a record, a list of
    records, a list of ids or ``{"id": ...}`` objects), at most ``MAX_PARENTS``."""
    out: list[HubParent] = []

    def add(item: object, relation: Relation | None) -> None:
        parent = item.get("id") if isinstance(item, Mapping) else item
        if isinstance(parent, str) and len(out) < MAX_PARENTS:
            out.append(HubParent(parent, relation, "hub-base-models", "baseModels", parent))

    records = value if isinstance(value, (list, tuple)) else [value]
    for record in records:
        if isinstance(record, Mapping) and ("models" in record or "ids" in record):
            models = record.get("models", record.get("ids"))
            relation = relation_word(record.get("relation"))
            for item in models if isinstance(models, list) else []:
                add(item, relation)
        else:
            add(record, None)
    return out


def relation_from_tags(tags: Iterable[object], parent: str) -> Relation:
    """The relation a model's ``base_model:<relation>:<parent>`` tag states for ``parent``
    (case-insensitive id), else ``Relation.UNKNOWN``."""
    wanted = parent.lower()
    for found in tag_parents(tags):
        if found.parent.lower() == wanted and found.relation not in (None, Relation.UNKNOWN):
            return found.relation
    return Relation.UNKNOWN
