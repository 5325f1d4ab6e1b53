"""Read one BOM into the rows the inventory stores: nodes, lineage edges, the root.

Every BOM is read by the one BOM reader, ``sbom.bom_reader.read_lineage`` (the one size cap,
nesting check and format check; mlbom's CycloneDX and SPDX by mlbom's contract, any other
CycloneDX BOM by its dependencies, pedigree and purls). Ingest adds the inventory's own
bounds: at most ``MAX_NODES`` components and ``MAX_PATHS`` distinct paths.

What callers may rely on: ``parse_bom_file`` either returns a complete ``ParsedBom`` whose
edges form a DAG (in a foreign BOM an edge that would close a cycle is dropped and counted in
``dropped_cycle_edges``; an mlbom BOM with a cycle is refused) or raises ``ParseError`` with a
one-line message naming the file and the problem. It never reads more than ``MAX_BOM_BYTES``
and rejects nesting deeper than ``MAX_JSON_DEPTH`` (both ``bom_reader``'s).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from lineage.errors import InputError, ParseError
from lineage.graph import Relation
from sbom import bom_reader

MAX_BOM_BYTES = bom_reader.MAX_BOM_BYTES
MAX_JSON_DEPTH = bom_reader.MAX_DEPTH
MAX_NODES = 100_000
# Bound on the rows one BOM can add to an ``affected`` walk: the number of distinct
# child-ward paths between any two nodes. Real lineages stay far below it; a pathological
# BOM (a tower of diamonds) would otherwise make every query over it exponential.
MAX_PATHS = 100_000

RELATIONS = frozenset(r.value for r in Relation)
KINDS = ("model", "dataset", "code", "other")


# The rows of one BOM are the one BOM reader's (``sbom.bom_reader.read_lineage``).
StoredNode = bom_reader.BomNode
StoredEdge = bom_reader.BomEdge
ParsedBom = bom_reader.BomLineage


def parse_bom_file(path: str | os.PathLike[str]) -> ParsedBom:
    """Read and parse the BOM at ``path``; ``ParseError`` names the file on any problem."""
    return _parse(os.fspath(path))


def parse_bom_bytes(data: bytes, name: str) -> ParsedBom:
    """Parse a BOM already in memory; ``name`` is used in error messages."""
    return _parse(data, name)


def _parse(source: str | bytes, name: str | None = None) -> ParsedBom:
    try:
        bom = bom_reader.read_lineage(source, name)
    except ParseError:
        raise
    except InputError as exc:  # the reader's messages start with the BOM's name
        raise ParseError(exc.message) from None
    try:
        if len(bom.nodes) > MAX_NODES:
            raise _Malformed(f"BOM has more than {MAX_NODES} components")
        check_path_count(bom.edges)
    except _Malformed as exc:
        raise ParseError(str(exc), file=bom.file) from None
    return bom


class _Malformed(Exception):
    pass


def check_path_count(edges: Sequence[StoredEdge]) -> None:
    """Refuse a lineage with more than ``MAX_PATHS`` distinct paths (a tower of diamonds)."""
    if 2 ** len(edges) - 1 <= MAX_PATHS:  # a path is a set of edges: no more paths than that
        return
    parents: dict[str, list[str]] = {}
    for e in edges:
        parents.setdefault(e.child, []).append(e.parent)
    memo: dict[str, int] = {}
    total = 0
    for start in parents:
        total += _paths_from(start, parents, memo)
        if total > MAX_PATHS:
            raise _Malformed(
                f"lineage has more than {MAX_PATHS} distinct paths (a tower of "
                "diamonds); mlbom does not store it"
            )


def _paths_from(start: str, parents: dict[str, list[str]], memo: dict[str, int]) -> int:
    """Number of paths of length >= 1 starting at ``start`` (iterative, the graph is a DAG)."""
    stack = [start]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        pending = [p for p in parents.get(node, ()) if p not in memo]
        if pending:
            stack.extend(pending)
            continue
        memo[node] = min(sum(1 + memo[p] for p in parents.get(node, ())), MAX_PATHS + 1)
        stack.pop()
    return memo[start]
