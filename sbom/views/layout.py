"""Layered layout of the lineage DAG for the HTML report, computed in Python.

Layer = longest path from the target (the target on top, roots at the bottom), so a merge's
parents sit below every child that uses them. Within a layer, nodes are ordered by the
barycentre of their neighbours in the layer above, then below, over a few sweeps, which keeps
edge crossings low for the small DAGs lineages are. Deterministic for equal graphs.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.graph import LineageGraph

NODE_WIDTH = 220
NODE_HEIGHT = 56
GAP_X = 40
GAP_Y = 90
SWEEPS = 4


@dataclass(frozen=True)
class Placed:
    key: str
    layer: int
    x: float  # centre
    y: float  # centre


@dataclass(frozen=True)
class Layout:
    nodes: dict[str, Placed]
    width: float
    height: float


def layers(graph: LineageGraph) -> dict[str, int]:
    """Longest-path layer of every node, counted from the sources (the target first)."""
    layer: dict[str, int] = {}
    for key in graph.topological():
        preds = graph.child_keys(key)
        layer[key] = max((layer[p] + 1 for p in preds), default=0)
    return layer


def layout_graph(graph: LineageGraph) -> Layout:
    layer_of = layers(graph)
    rows: dict[int, list[str]] = {}
    for key in sorted(layer_of):
        rows.setdefault(layer_of[key], []).append(key)
    depth = max(rows, default=-1) + 1

    def position(row: list[str]) -> dict[str, int]:
        return {k: i for i, k in enumerate(row)}

    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        order = range(1, depth) if downward else range(depth - 2, -1, -1)
        for i in order:
            ref = position(rows[i - 1] if downward else rows[i + 1])
            neighbours = graph.child_keys if downward else graph.parent_keys
            current = position(rows[i])

            def centre(key: str, ref: dict[str, int] = ref, current: dict[str, int] = current,
                       neighbours: object = neighbours) -> tuple[float, str]:
                near = [ref[n] for n in neighbours(key) if n in ref]  # type: ignore[operator]
                return (sum(near) / len(near) if near else float(current[key]), key)

            rows[i] = sorted(rows[i], key=centre)

    widest = max((len(r) for r in rows.values()), default=0)
    width = max(widest * (NODE_WIDTH + GAP_X) + GAP_X, NODE_WIDTH + 2 * GAP_X)
    placed: dict[str, Placed] = {}
    for i, row in rows.items():
        row_width = len(row) * (NODE_WIDTH + GAP_X) - GAP_X
        left = (width - row_width) / 2
        for j, key in enumerate(row):
            x = left + j * (NODE_WIDTH + GAP_X) + NODE_WIDTH / 2
            y = GAP_Y / 2 + i * (NODE_HEIGHT + GAP_Y) + NODE_HEIGHT / 2
            placed[key] = Placed(key, i, x, y)
    height = depth * (NODE_HEIGHT + GAP_Y) if depth else NODE_HEIGHT + GAP_Y
    return Layout(placed, float(width), float(height))
