"""The lineage as a terminal tree (rich) and as a nested JSON tree.

The tree starts at the target and goes down to the roots: each line shows the relation of the
edge that led there, the repo id, the short commit, the license and the signature status, then
flags (unresolved parent with its reason, license problems, findings, unsafe weights, remote
code). A node reached twice (a DAG with a diamond) is expanded once; later it shows
"(see above)". Card text never becomes rich markup: every piece is a ``Text`` span.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from lineage.graph import EdgeData, LineageGraph, Node
from lineage.text_safety import printable
from sbom.views.common import (
    edge_label,
    family_class,
    license_label,
    node_flags,
    node_record,
    short_sha,
    signature_class,
)

TREE_FORMAT = "mlbom-tree/1"
_FAMILY_STYLE = {
    "permissive": "green", "copyleft": "yellow", "restricted": "magenta",
    "proprietary": "red", "unknown": "dim",
}
_SIG_STYLE = {"verified": "green", "invalid": "bold red", "warning": "yellow", "unsigned": "dim"}


def _roots(graph: LineageGraph) -> list[str]:
    if graph.target_key:
        return [graph.target_key]
    return graph.roots()


def _label(node: Node, edge: EdgeData | None, seen: bool) -> Text:
    text = Text()
    if edge is not None:
        text.append(f"{edge_label(edge.relation)} ", style="cyan")
    text.append(printable(node.name), style="bold" if edge is None else "")
    if node.kind != "model":
        text.append(f" [{node.kind}]", style="blue")
    sha = short_sha(node)
    if sha:
        text.append(f" @{sha}", style="dim")
    if seen:
        text.append(" (see above)", style="dim italic")
        return text
    text.append("  ")
    text.append(printable(license_label(node)), style=_FAMILY_STYLE[family_class(node)])
    if getattr(node, "signature", None) is not None:
        sig_class = signature_class(node)
        text.append(f"  sig:{node.signature.status}", style=_SIG_STYLE[sig_class])  # type: ignore[attr-defined]
    for flag in node_flags(node):
        severe = flag.startswith(("unresolved", "error", "unsafe", "signature"))
        text.append(f"\n! {printable(flag)}", style="bold red" if severe else "yellow")
    return text


def ordered_parents(graph: LineageGraph, key: str) -> list[tuple[Node, EdgeData]]:
    """Model parents first, then datasets, then code repos; by key within each group."""
    order = {"model": 0, "dataset": 1, "code": 2}
    return sorted(graph.parents(key), key=lambda pe: (order.get(pe[0].kind, 3), pe[0].key))


def _build(graph: LineageGraph, key: str, branch: Tree, seen: set[str]) -> None:
    for parent, edge in ordered_parents(graph, key):
        already = parent.key in seen
        label = _label(parent, edge, already)
        _mark_inconsistent(label, graph.node(key), parent.key)
        child = branch.add(label)
        if not already:
            seen.add(parent.key)
            _build(graph, parent.key, child, seen)


def _mark_inconsistent(label: Text, child: Node, parent_key: str) -> None:
    """The edge's verification verdict, when it says the declared lineage cannot be true."""
    for v in getattr(child, "verifications", ()):
        if v.parent == parent_key and v.verdict == "inconsistent":
            label.append(f"\nx lineage inconsistent: {v.reason}", style="bold red")


def build_rich_tree(graph: LineageGraph) -> list[Tree]:
    """The rich ``Tree`` objects (one per root; normally just the target)."""
    trees = []
    seen: set[str] = set()
    for root in _roots(graph):
        seen.add(root)
        tree = Tree(_label(graph.node(root), None, False), guide_style="dim")
        _build(graph, root, tree, seen)
        trees.append(tree)
    return trees


def render_tree(graph: LineageGraph, *, color: bool, width: int = 120) -> str:
    """The tree as text; ANSI colour only when ``color`` (never in files or pipes)."""
    out = io.StringIO()
    console = Console(
        file=out, force_terminal=color, color_system="standard" if color else None,
        no_color=not color, width=width, highlight=False, emoji=False,
    )
    for tree in build_rich_tree(graph):
        console.print(tree)
    return out.getvalue()


def export_tree_svg(graph: LineageGraph, *, width: int = 120, title: str = "mlbom tree") -> str:
    """The coloured tree as an SVG (rich's recorded console), for screenshots."""
    console = Console(record=True, file=io.StringIO(), width=width, force_terminal=True,
                      color_system="truecolor", highlight=False, emoji=False)
    for tree in build_rich_tree(graph):
        console.print(tree)
    return console.export_svg(title=title)


def tree_json(graph: LineageGraph) -> dict[str, Any]:
    """The lineage as nested JSON.

    Shape: ``{"format": "mlbom-tree/1", "target": <key or null>, "roots": [NODE]}`` where
    NODE is ``{"key", "name", "kind", "sha", "relation_to_child" (edge that led here, null at a
    root), "evidence": [str], "license", "license_family", "signature" (status or null),
    "unresolved" (reason or null), "flags": [str], "see_above": bool, "children": [NODE]}``.
    A node reached again is listed with ``"see_above": true`` and no children.
    """
    seen: set[str] = set()

    def one(node: Node, edge: EdgeData | None) -> dict[str, Any]:
        rec = node_record(graph, node)
        already = node.key in seen
        seen.add(node.key)
        sig = rec["signature"]
        return {
            "key": node.key,
            "name": node.name,
            "kind": node.kind,
            "sha": node.sha,
            "relation_to_child": edge.relation.value if edge else None,
            "evidence": [str(e) for e in edge.evidence] if edge else [],
            "license": rec["license"],
            "license_family": rec["license_family"],
            "signature": sig["status"] if sig else None,
            "unresolved": node.unresolved,
            "flags": rec["flags"],
            "see_above": already,
            "children": [] if already else [
                one(parent, data) for parent, data in ordered_parents(graph, node.key)
            ],
        }

    return {
        "format": TREE_FORMAT,
        "target": graph.target_key,
        "roots": [one(graph.node(k), None) for k in _roots(graph)],
    }
