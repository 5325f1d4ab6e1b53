"""The representation ``affected`` reads: a compact graph per BOM and its root's closure.

At ingest each BOM becomes

- ``graph``: JSON ``[[[ref, name], ...], [[child, parent, relation], ...]]`` with node 0 the
  BOM's root (the model the product ships) and edges by node index; and
- ``items``: one ``(repo key, kind, node, sha, paths)`` per node that the root reaches through
  lineage edges (at any depth) and that names a Hub repo. This is the root's materialised
  ancestor closure, so finding and counting the products that hold an item is one index range
  scan, however deep the lineage is. ``paths`` is every path from the root to that node, as
  JSON lists of edge indices into ``graph`` (their number is bounded at ingest by
  ``ingest.MAX_PATHS``), so a page of the answer is decoded, never walked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sbom.inventory.ingest import ParsedBom

ItemRow = tuple[str, str, int, "str | None", str]  # repo key, kind, node, sha, paths JSON
_ITEM_KINDS = frozenset({"model", "dataset", "code"})


@dataclass(frozen=True)
class BomRows:
    """What the store writes for one BOM besides its ``boms`` row."""

    graph: str
    items: tuple[ItemRow, ...]
    names: dict[str, str]  # repo key -> the repo id as this BOM spells it
    root_name: str
    root_sha: str | None


@dataclass(frozen=True)
class PreparedBom:
    """A parsed BOM reduced to what the store writes: its ``boms`` columns and ``BomRows``.
    Small to pickle, so a worker process can parse and prepare while the main one writes."""

    file: str
    serial: str | None
    root_ref: str
    nodes: int
    edges: int
    unresolved: int
    dropped_cycle_edges: int
    rows: BomRows
    root_version: str | None = None  # the root component's version as written


def prepare(bom: ParsedBom | PreparedBom) -> PreparedBom:
    """``bom`` with its rows computed (see the module docstring)."""
    if isinstance(bom, PreparedBom):
        return bom
    root = next(n for n in bom.nodes if n.bom_ref == bom.root_ref)
    return PreparedBom(bom.file, bom.serial, bom.root_ref, len(bom.nodes), len(bom.edges),
                       bom.unresolved, bom.dropped_cycle_edges, bom_rows(bom), root.version)


def bom_rows(bom: ParsedBom) -> BomRows:
    """The compact graph and the root's closure of ``bom`` (see the module docstring)."""
    order = [bom.root_ref] + [n.bom_ref for n in bom.nodes if n.bom_ref != bom.root_ref]
    index = {ref: i for i, ref in enumerate(order)}
    by_ref = {n.bom_ref: n for n in bom.nodes}
    edges = [(index[e.child], index[e.parent], e.relation) for e in bom.edges]
    graph = _dumps([[[ref, by_ref[ref].name] for ref in order], edges])
    items, names = [], {}
    paths = root_paths(len(order), edges)
    for i in sorted(paths):
        node = by_ref[order[i]]
        if node.repo_id and node.kind in _ITEM_KINDS:
            items.append((node.repo_id, node.kind, i, node.sha, _dumps(paths[i])))
            names[node.repo_id] = node.name if node.name.lower() == node.repo_id else node.repo_id
    root = by_ref[bom.root_ref]
    return BomRows(graph, tuple(items), names, root.name, root.sha)


def _dumps(value: Any) -> str:
    """Compact JSON, as ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``
    writes it, at orjson's speed (text reaching here has no lone surrogates:
    ``bom_reader.stored_text``)."""
    return orjson.dumps(value).decode("utf-8")


def root_paths(count: int, edges: Sequence[tuple[int, int, str]]) -> dict[int, list[list[int]]]:
    """For node 0 and every node it reaches through child → parent edges, every path from
    node 0 to it as a list of edge indices (``[]`` for node 0 itself)."""
    out_edges: list[list[int]] = [[] for _ in range(count)]
    for i, (child, _, _) in enumerate(edges):
        out_edges[child].append(i)
    paths: dict[int, list[list[int]]] = {}
    stack: list[tuple[int, list[int]]] = [(0, [])]  # the graph is a DAG: paths are finite
    while stack:
        node, path = stack.pop()
        paths.setdefault(node, []).append(path)
        stack.extend((edges[e][1], [*path, e]) for e in reversed(out_edges[node]))
    return paths

