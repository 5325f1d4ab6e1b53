"""The representation ``affected`` reads: a compact graph per BOM and its root's closure.

At ingest each BOM becomes

- ``graph``: JSON ``[[[ref, name], ...], [[child, parent, relation], ...]]`` with node 0 the
  BOM's root (the model the product ships) and edges by node index; and
- ``items``: one ``(repo key, kind, node, sha)`` per node that the root reaches through lineage
  edges (at any depth) and that names a Hub repo. This is the root's materialised ancestor
  closure, so finding and counting the products that hold an item is one index range scan,
  however deep the lineage is.

At query time the paths are walked in Python in the graphs of the BOMs on the page shown:
``paths_to`` lists every path from the root to the item's nodes (the number is bounded at
ingest by ``ingest.MAX_PATHS``), so paths are complete at any depth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sbom.inventory.ingest import ParsedBom

ItemRow = tuple[str, str, int, "str | None"]  # repo key, kind, node index, sha
_ITEM_KINDS = frozenset({"model", "dataset", "code"})


@dataclass(frozen=True)
class BomRows:
    """What the store writes for one BOM besides its ``boms`` row."""

    graph: str
    items: tuple[ItemRow, ...]
    names: dict[str, str]  # repo key -> the repo id as this BOM spells it
    root_name: str
    root_sha: str | None


def bom_rows(bom: ParsedBom) -> BomRows:
    """The compact graph and the root's closure of ``bom`` (see the module docstring)."""
    order = [bom.root_ref] + [n.bom_ref for n in bom.nodes if n.bom_ref != bom.root_ref]
    index = {ref: i for i, ref in enumerate(order)}
    by_ref = {n.bom_ref: n for n in bom.nodes}
    edges = [(index[e.child], index[e.parent], e.relation) for e in bom.edges]
    graph = json.dumps(
        [[[ref, by_ref[ref].name] for ref in order], edges], separators=(",", ":"),
        ensure_ascii=False,
    )
    items, names = [], {}
    for i in sorted(reachable(len(order), edges)):
        node = by_ref[order[i]]
        if node.repo_id and node.kind in _ITEM_KINDS:
            items.append((node.repo_id, node.kind, i, node.sha))
            names[node.repo_id] = node.name if node.name.lower() == node.repo_id else node.repo_id
    root = by_ref[bom.root_ref]
    return BomRows(graph, tuple(items), names, root.name, root.sha)


def reachable(count: int, edges: Iterable[tuple[int, int, str]]) -> set[int]:
    """Node 0 and every node it reaches through child → parent edges."""
    parents: list[list[int]] = [[] for _ in range(count)]
    for child, parent, _ in edges:
        parents[child].append(parent)
    seen, stack = {0}, [0]
    while stack:
        for parent in parents[stack.pop()]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


@dataclass(frozen=True)
class Graph:
    """A stored BOM graph, decoded."""

    nodes: Sequence[Sequence[str]]  # [ref, name] per node index
    parents: Sequence[Sequence[tuple[int, str]]]  # (parent index, relation) per node index

    @classmethod
    def decode(cls, text: str) -> Graph:
        nodes, edges = json.loads(text)
        parents: list[list[tuple[int, str]]] = [[] for _ in nodes]
        for child, parent, relation in edges:
            parents[child].append((parent, relation))
        return cls(nodes, parents)


def paths_to(graph: Graph, targets: Iterable[int]) -> list[tuple[tuple[int, str | None], ...]]:
    """Every path from the root (node 0) to any of ``targets``, as ``(node, relation of the
    edge to the next step)`` pairs (``None`` on the last step)."""
    wanted = set(targets)
    useful = _reaching(graph, wanted)
    if 0 not in useful:
        return []
    out: list[tuple[tuple[int, str | None], ...]] = []
    # iterative DFS over (node, path so far); the graph is a DAG, so paths are finite
    stack: list[tuple[int, tuple[tuple[int, str | None], ...]]] = [(0, ())]
    while stack:
        node, prefix = stack.pop()
        if node in wanted:
            out.append((*prefix, (node, None)))
        for parent, relation in graph.parents[node]:
            if parent in useful:
                stack.append((parent, (*prefix, (node, relation))))
    return out


def _reaching(graph: Graph, wanted: set[int]) -> set[int]:
    """The nodes from which some node in ``wanted`` can be reached (``wanted`` included)."""
    children: dict[int, list[int]] = {}
    for child, parents in enumerate(graph.parents):
        for parent, _ in parents:
            children.setdefault(parent, []).append(child)
    seen, stack = set(wanted), list(wanted)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
