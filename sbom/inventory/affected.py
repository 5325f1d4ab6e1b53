"""Which stored product versions inherit a compromised model, dataset or code repo.

``find_affected`` runs ONE recursive SQL query (``AFFECTED_SQL``, the same text on SQLite and
PostgreSQL) that starts at every stored node whose repo id is the item and walks the lineage
edges child-ward up to each BOM's root, the model the product ships. Each row is one path.

Semantics callers may rely on:

- ``ORG/NAME`` matches model nodes and remote-code nodes with that repo id (code repos are
  model repos on the Hub); ``kind="dataset"`` matches datasets; ``kind="code"`` only code.
- ``ORG/NAME@REV`` with a full sha or a prefix of at least 7 hex characters counts only nodes
  pinned to a matching commit; nodes whose commit the BOM does not record are then *not*
  counted. Without a revision any commit counts, and each hit says which commit it pins.
- Diamonds: a product version is reported once, with every distinct path from its model down
  to the item, shortest first, at most ``max_paths`` of them (``more_paths`` counts the rest).
  The walk is bounded: ingest refuses BOMs with more than ``ingest.MAX_PATHS`` paths, and the
  recursion stops at ``MAX_WALK_DEPTH`` edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lineage.errors import InputError
from lineage.refs import ModelRef
from sbom.inventory.store import Store

MAX_WALK_DEPTH = 64
DEFAULT_MAX_PATHS = 8
_SEP = "\x1f"  # control characters never occur in stored refs or names (ingest replaces them)
_REVISION = re.compile(r"^[0-9a-fA-F]{7,40}$")

AFFECTED_SQL = """
WITH RECURSIVE walk (bom_id, ref, sha, depth, path) AS (
    SELECT n.bom_id, n.bom_ref, n.sha, 0, n.bom_ref || CAST(? AS TEXT) || n.name
    FROM nodes n
    WHERE n.repo_id = ? AND n.kind IN (?, ?) AND COALESCE(n.sha, '') LIKE ?
  UNION ALL
    SELECT e.bom_id, e.child, w.sha, w.depth + 1,
           e.child || CAST(? AS TEXT) || c.name || CAST(? AS TEXT) || e.relation
               || CAST(? AS TEXT) || w.path
    FROM walk w
    JOIN edges e ON e.bom_id = w.bom_id AND e.parent = w.ref
    JOIN nodes c ON c.bom_id = e.bom_id AND c.bom_ref = e.child
    WHERE w.depth < ?
)
SELECT p.product, p.version, b.file, w.sha, w.path
FROM walk w
JOIN boms b ON b.id = w.bom_id AND b.root_ref = w.ref
JOIN products p ON p.id = b.product_id
"""


@dataclass(frozen=True)
class PathStep:
    ref: str  # bom-ref in the product's BOM
    name: str  # repo id as the BOM spells it
    relation: str | None  # relation of the edge from this node to the next one (None: last)


@dataclass(frozen=True)
class AffectedPath:
    """One path from the product's model (first step) down to the item (last step)."""

    steps: tuple[PathStep, ...]
    commit: str | None  # the commit of the item this BOM pins, None when not recorded
    bom_file: str

    @property
    def model(self) -> str:
        return self.steps[0].name


@dataclass(frozen=True)
class AffectedHit:
    product: str
    version: str
    commits: tuple[str | None, ...]  # distinct commits of the item in this product version
    paths: tuple[AffectedPath, ...]  # shortest first, at most max_paths
    more_paths: int = 0  # paths found but not listed


@dataclass(frozen=True)
class AffectedQuery:
    repo_id: str
    kind: str  # model, dataset or code
    revision: str | None  # lower-case sha or sha prefix


def parse_item(item: str, kind: str = "model") -> AffectedQuery:
    """Validate ``ORG/NAME[@REV]``; ``InputError`` says what is wrong."""
    if kind not in ("model", "dataset", "code"):
        raise InputError(f"unknown item kind {kind!r}: use model, dataset or code")
    ref = ModelRef.parse(item)
    if ref.revision is not None and not _REVISION.match(ref.revision):
        raise InputError(
            f"revision {ref.revision[:60]!r} is not a commit sha: give the full sha or a "
            "prefix of at least 7 hex characters",
            subject=ref.repo_id,
        )
    return AffectedQuery(ref.repo_id, kind, ref.revision.lower() if ref.revision else None)


def find_affected(
    store: Store, item: str, kind: str = "model", *, max_paths: int = DEFAULT_MAX_PATHS
) -> list[AffectedHit]:
    """Every product version whose stored lineage contains ``item``, sorted by product and
    version. See the module docstring for what matches and how diamonds are reported."""
    query = parse_item(item, kind)
    kinds = ("model", "code") if query.kind == "model" else (query.kind, query.kind)
    params = (
        _SEP, query.repo_id.lower(), *kinds, f"{query.revision or ''}%",
        _SEP, _SEP, _SEP, MAX_WALK_DEPTH,
    )
    rows = store.query(AFFECTED_SQL, params)
    grouped: dict[tuple[str, str], set[AffectedPath]] = {}
    for product, version, bom_file, sha, path in rows:
        grouped.setdefault((product, version), set()).add(
            AffectedPath(_decode_path(path), sha, bom_file)
        )
    hits = []
    for (product, version), found in sorted(grouped.items()):
        ordered = sorted(found, key=_path_order)
        commits = tuple(dict.fromkeys(p.commit for p in ordered))
        hits.append(AffectedHit(
            product, version, commits, tuple(ordered[:max_paths]),
            max(len(ordered) - max_paths, 0),
        ))
    return hits


def _decode_path(path: str) -> tuple[PathStep, ...]:
    parts = path.split(_SEP)  # ref, name, relation, ref, name, relation, ..., ref, name
    steps = []
    for i in range(0, len(parts), 3):
        relation = parts[i + 2] if i + 2 < len(parts) else None
        steps.append(PathStep(parts[i], parts[i + 1], relation))
    return tuple(steps)


def _path_order(path: AffectedPath) -> tuple[int, tuple[str, ...], str, str]:
    return (len(path.steps), tuple(s.ref for s in path.steps), path.commit or "", path.bom_file)
