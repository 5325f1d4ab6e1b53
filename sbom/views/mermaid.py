"""The lineage DAG as a Mermaid flowchart (for Markdown, GitHub renders it).

Node ids are ``n0, n1, ...`` in key order (keys may hold any character); labels are quoted with
Mermaid's entity codes for ``"``, ``<``, ``>``, ``&`` and ``#`` so card text cannot break out of
a label. Edges point child → parent, labelled by relation; nodes get a class for the license
family (fill) and one for the signature status (border).
"""

from __future__ import annotations

from lineage.graph import LineageGraph
from lineage.text_safety import printable
from sbom.views.common import (
    FAMILY_COLOURS,
    SIGNATURE_COLOURS,
    checked_edge_label,
    family_class,
    license_label,
    short_sha,
    signature_class,
)

_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;",
             "|": "#124;", "`": "#96;", "%": "#37;"}


def mermaid_text(text: str, limit: int = 120) -> str:
    """``text`` safe inside a quoted Mermaid label: controls and bidi made visible
    (``printable``), markup characters and ``%`` (so no ``%%{init}%%`` directive) as
    entities."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return "".join(_ENTITIES.get(c, c) for c in printable(text))


def render_mermaid(graph: LineageGraph) -> str:
    keys = sorted(graph.keys())
    ids = {k: f"n{i}" for i, k in enumerate(keys)}
    lines = ["flowchart TD"]
    for key in keys:
        node = graph.node(key)
        parts = [node.name]
        sha = short_sha(node)
        if sha:
            parts.append(f"@{sha}")
        label = mermaid_text(" ".join(parts))
        label += "<br/>" + mermaid_text(license_label(node))
        if node.unresolved:
            label += "<br/>" + mermaid_text(f"unresolved: {node.unresolved}")
        shape = ('[("', '")]') if node.kind == "dataset" else (
            ('(["', '"])') if node.kind == "code" else ('["', '"]'))
        lines.append(f"    {ids[key]}{shape[0]}{label}{shape[1]}")
    for child, parent, data in sorted(graph.edges(), key=lambda e: (e[0], e[1])):
        arrow = "-->" if data.relation.value not in ("trained_on", "remote_code") else "-.->"
        label = checked_edge_label(graph, child, parent, data.relation)
        lines.append(f"    {ids[child]} {arrow}|{label}| {ids[parent]}")
    for fam, colour in FAMILY_COLOURS.items():
        lines.append(f"    classDef lic_{fam} fill:{colour},color:#000")
    for sig, colour in SIGNATURE_COLOURS.items():
        width = "1px" if sig == "unsigned" else "3px"
        lines.append(f"    classDef sig_{sig} stroke:{colour},stroke-width:{width}")
    lines.append("    classDef unresolved stroke-dasharray:5 5")
    by_class: dict[str, list[str]] = {}
    for key in keys:
        node = graph.node(key)
        by_class.setdefault(f"lic_{family_class(node)}", []).append(ids[key])
        by_class.setdefault(f"sig_{signature_class(node)}", []).append(ids[key])
        if node.unresolved:
            by_class.setdefault("unresolved", []).append(ids[key])
    for cls in sorted(by_class):
        lines.append(f"    class {','.join(by_class[cls])} {cls}")
    return "\n".join(lines) + "\n"
