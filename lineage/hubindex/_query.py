"""Walking the index: every descendant or ancestor of a model, with depth and relation.

The walk is breadth-first, one indexed query per level, and keeps a visited set, so cycles in
the Hub's data (a model naming itself or its own child as base) end the walk instead of
looping. Each model is reported once, at its smallest depth, with the link it was first
reached by.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lineage.errors import InputError
from lineage.hubindex._store import Store, open_store
from lineage.ids import strip_model_key
from lineage.refs import is_valid_repo_id


@dataclass(frozen=True, order=True)
class IndexHit:
    """One model found by a walk.

    ``depth`` is the number of links from the queried model (1 = direct child or parent).
    ``via`` is the model the hit was reached from (the queried model at depth 1).
    ``relation`` is the relation of that link, read child → parent: for a descendant, how the
    hit derives from ``via``; for an ancestor, how ``via`` derives from the hit.
    """

    depth: int
    model_id: str
    relation: str
    via: str


def _normalise(model_id: str) -> str:
    value = strip_model_key(model_id.strip()).split("@", 1)[0]
    if not is_valid_repo_id(value):
        raise InputError(f"not a valid Hub repo id: {model_id[:120]!r}")
    return value.lower()


def index_gap(db_url: str | None) -> str | None:
    """Why the index may not hold every model (its last build did not finish: ``--limit``,
    ``--deadline``, a failure, Ctrl-C), or ``None``. An answer from such an index is partial."""
    with open_store(db_url) as store:
        return _gap(store)


def _gap(store: Store) -> str | None:
    meta = store.get_meta()
    if meta.get("status") == "complete":
        return None
    return (f"the Hub index {store.target.display} is incomplete (its build stopped after "
            f"{meta.get('listed', '?')} models listed): run `mlbom index build --from-hub` "
            "again to finish it")


def _walk(
    store: Store, model_id: str, direction: str, max_depth: int | None,
    relations: Collection[str] | None,
) -> list[IndexHit]:
    key = _normalise(model_id)
    row = store.execute("SELECT id, name FROM hub_models WHERE key = ?", (key,)).fetchone()
    if row is None:
        gap = _gap(store)
        raise InputError(f"{model_id}: not in the Hub index {store.target.display}"
                         + (f"; {gap}" if gap else ""))
    start, start_name = int(row[0]), str(row[1])
    near, far = ("parent", "child") if direction == "down" else ("child", "parent")
    sql = (
        f"SELECT e.{far}, e.{near}, e.relation, m.name FROM hub_edges e "
        f"JOIN hub_models m ON m.id = e.{far} WHERE {store.in_ids('e.' + near)}"
    )
    wanted = frozenset(relations) if relations else None
    names = {start: start_name}
    visited = {start}
    frontier = [start]
    hits: list[IndexHit] = []
    depth = 0
    while frontier and (max_depth is None or depth < max_depth):
        depth += 1
        found: list[int] = []
        for other, came_from, relation, name in store.execute(sql, (store.ids_param(frontier),)):
            if other in visited or (wanted is not None and relation not in wanted):
                continue
            visited.add(other)
            names[other] = name
            found.append(other)
            hits.append(IndexHit(depth, name, relation, names[came_from]))
        frontier = found
    hits.sort(key=lambda h: (h.depth, h.model_id.lower()))
    return hits


def descendants(
    db_url: str | None, model_id: str, max_depth: int | None = None,
    *, relations: Collection[str] | None = None,
) -> list[IndexHit]:
    """Every model derived from ``model_id`` (case-insensitive), nearest first.

    ``max_depth`` stops after that many links; ``relations`` follows only links of those
    relations (``adapter``, ``finetune``, ``quantized``, ``merge``, ``unknown``). Raises
    ``InputError`` when the id is invalid or not in the index, ``StoreError`` when there is no
    index.
    """
    with open_store(db_url) as store:
        return _walk(store, model_id, "down", max_depth, relations)


def ancestors(
    db_url: str | None, model_id: str, max_depth: int | None = None,
    *, relations: Collection[str] | None = None,
) -> list[IndexHit]:
    """Every model ``model_id`` derives from, nearest first; same rules as ``descendants``."""
    with open_store(db_url) as store:
        return _walk(store, model_id, "up", max_depth, relations)
