"""The lineage DAG in Graphviz DOT. Ids and labels are quoted strings with ``\\`` and ``"``
escaped and control characters removed, so any card text renders as text."""

from __future__ import annotations

from lineage.graph import LineageGraph
from lineage.text_safety import printable
from sbom.views.common import (
    FAMILY_COLOURS,
    SIGNATURE_COLOURS,
    UNRESOLVED_FILL,
    checked_edge_label,
    family_class,
    license_label,
    short_sha,
    signature_class,
)


def dot_quote(text: str, limit: int = 200) -> str:
    """``text`` as a DOT double-quoted string (no escString sequences survive)."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    clean = printable(text)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(graph: LineageGraph) -> str:
    lines = [
        "digraph lineage {",
        '    graph [rankdir=TB, fontname="Helvetica"];',
        '    node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ]
    for key in sorted(graph.keys()):
        node = graph.node(key)
        head = node.name + (f" @{short_sha(node)}" if short_sha(node) else "")
        label_lines = [head, license_label(node)]
        if node.unresolved:
            label_lines.append(f"unresolved: {node.unresolved}")
        label = "\\n".join(dot_quote(s)[1:-1] for s in label_lines)
        sig = signature_class(node)
        attrs = {
            "label": f'"{label}"',
            "fillcolor": f'"{UNRESOLVED_FILL if node.unresolved else FAMILY_COLOURS[family_class(node)]}"',  # noqa: E501
            "color": f'"{SIGNATURE_COLOURS[sig]}"',
            "penwidth": "1" if sig == "unsigned" else "3",
            "shape": {"dataset": "cylinder", "code": "component"}.get(node.kind, "box"),
        }
        if node.unresolved:
            attrs["style"] = '"rounded,filled,dashed"'
        body = ", ".join(f"{k}={v}" for k, v in attrs.items())
        lines.append(f"    {dot_quote(key, 2000)} [{body}];")
    for child, parent, data in sorted(graph.edges(), key=lambda e: (e[0], e[1])):
        style = ", style=dashed" if data.relation.value in ("trained_on", "remote_code") else ""
        label = checked_edge_label(graph, child, parent, data.relation)
        lines.append(
            f"    {dot_quote(child, 2000)} -> {dot_quote(parent, 2000)} "
            f"[label={dot_quote(label)}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
