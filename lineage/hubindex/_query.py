"""Walking the index: every descendant or ancestor of a model, with depth and relation; and
the models that share a fingerprint (``same_fingerprint``, ``indexed_foundations``).

The walk is breadth-first, one indexed query per level, and keeps a visited set, so cycles in
the Hub's data (a model naming itself or its own child as base) end the walk instead of
looping. Each model is reported once, at its smallest depth, with the link it was first
reached by.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lineage.errors import InputError
from lineage.hubindex._fingerprint import is_fingerprint
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


# -- same fingerprint ---------------------------------------------------------------------------
MAX_FINGERPRINT_HITS = 1000


@dataclass(frozen=True)
class FingerprintHit:
    """One indexed model with a given fingerprint. ``parents`` counts its parent links in
    the index: 0 means it declares none (a foundation, or a model hiding its base)."""

    model_id: str
    created: str | None
    parents: int


@dataclass(frozen=True)
class FingerprintMatches:
    """The indexed models sharing ``fingerprint``, oldest first (undated last). ``total``
    counts them all; ``hits`` holds at most the limit asked for. ``fingerprint`` is None when
    the queried model is indexed without one (its listing had no safetensors counts)."""

    query: str
    fingerprint: str | None
    hits: tuple[FingerprintHit, ...]
    total: int
    foundations_only: bool = False


def _fingerprint_of(store: Store, value: str) -> tuple[str | None, str | None]:
    """``(fingerprint, indexed name)`` of a model id, or of a fingerprint given as such."""
    if is_fingerprint(value.strip()):
        return value.strip(), None
    key = _normalise(value)
    row = store.execute(
        "SELECT m.name, f.text FROM hub_models m LEFT JOIN hub_fingerprints f"
        " ON f.id = m.fingerprint_id WHERE m.key = ? AND m.listed = 1", (key,)).fetchone()
    if row is None:
        raise InputError(f"{value}: not a listed model in the Hub index {store.target.display}")
    return (str(row[1]) if row[1] is not None else None), str(row[0])


def lookup_fingerprint(store: Store, fp: str, *, foundations_only: bool = False,
                       limit: int = MAX_FINGERPRINT_HITS, query: str | None = None,
                       exclude_key: str = "") -> FingerprintMatches:
    """Every listed model whose fingerprint is ``fp`` (an indexed equality look-up), but the
    one whose key is ``exclude_key``."""
    found = store.execute("SELECT id FROM hub_fingerprints WHERE text = ?", (fp,)).fetchone()
    if found is None:
        return FingerprintMatches(query or fp, fp, (), 0, foundations_only)
    parentless = (" AND NOT EXISTS (SELECT 1 FROM hub_edges e WHERE e.child = m.id)"
                  if foundations_only else "")
    where = f"m.fingerprint_id = ? AND m.listed = 1 AND m.key <> ?{parentless}"
    params = (int(found[0]), exclude_key)
    total = int(store.execute(f"SELECT COUNT(*) FROM hub_models m WHERE {where}", params)
                .fetchone()[0])
    rows = store.execute(
        "SELECT m.name, m.created, (SELECT COUNT(*) FROM hub_edges e WHERE e.child = m.id)"
        f" FROM hub_models m WHERE {where}"
        " ORDER BY (CASE WHEN m.created IS NULL THEN 1 ELSE 0 END), m.created, m.key LIMIT ?",
        (*params, max(0, limit))).fetchall()
    hits = tuple(FingerprintHit(str(n), str(c) if c is not None else None, int(p))
                 for n, c, p in rows)
    return FingerprintMatches(query or fp, fp, hits, total, foundations_only)


def same_fingerprint(db_url: str | None, model_or_fingerprint: str, *,
                     foundations_only: bool = False, limit: int = MAX_FINGERPRINT_HITS
                     ) -> FingerprintMatches:
    """The listed models that share ``model_or_fingerprint``'s fingerprint (an indexed model
    id, or a ``safetensors:...`` fingerprint), the queried model itself excluded.
    ``foundations_only`` keeps models that declare no parent. Raises ``InputError`` for an id
    not listed in the index and ``StoreError`` when there is no index of this schema."""
    with open_store(db_url) as store:
        fp, name = _fingerprint_of(store, model_or_fingerprint)
        if fp is None:
            return FingerprintMatches(model_or_fingerprint, None, (), 0, foundations_only)
        return lookup_fingerprint(store, fp, foundations_only=foundations_only, limit=limit,
                                  query=model_or_fingerprint,
                                  exclude_key=name.lower() if name else "")


def indexed_foundations(db_url: str | None, fingerprints: Collection[str], *,
                        limit: int = 20) -> dict[str, FingerprintMatches]:
    """For each fingerprint, the listed models of the index that share it and declare no
    parent (at most ``limit``, oldest first), in one open of the index. ``StoreError`` when
    the index is missing or of another schema."""
    with open_store(db_url) as store:
        return {fp: lookup_fingerprint(store, fp, foundations_only=True, limit=limit)
                for fp in sorted(set(fingerprints))}
