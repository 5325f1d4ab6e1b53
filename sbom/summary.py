"""The short summary ``mlbom generate`` prints on stderr when it ends.

The lineage tree, one risk line per node that carries a risk (unsafe weight formats, a
missing/invalid signature, remote code, no license, stale), the unresolved parents with their
reasons and one-line problems, then where the document went.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lineage.graph import LineageGraph, ModelNode, Node
from lineage.text_safety import printable

STALE_AFTER = timedelta(days=730)


def risk_flags(node: Node, *, now: datetime | None = None) -> list[str]:
    """Short risk labels for one node (empty when nothing stands out)."""
    flags: list[str] = []
    if node.unresolved:
        return flags
    if isinstance(node, ModelNode):
        if node.weights is not None and node.weights.unsafe_only:
            flags.append("unsafe weights (pickle only)")
        if any(f.kind == "dangerous-pickle-import" or f.severity == "error"
               for f in node.findings):
            flags.append("dangerous findings")
        sig = node.signature.status if node.signature else "unsigned"
        if sig in ("invalid", "unsigned", "not-verified"):
            flags.append(f"signature {sig}")
        if node.remote_code is not None and node.remote_code.needed:
            flags.append("remote code")
    lic = node.license
    if lic is None or not (lic.spdx or lic.name or lic.hub_id):
        flags.append("no license")
    last = node.activity.last_modified if node.activity else None
    if last:
        try:
            when = datetime.fromisoformat(last.replace("Z", "+00:00"))
            if (now or datetime.now(tz=timezone.utc)) - when > STALE_AFTER:
                flags.append(f"stale (last change {when.date()})")
        except ValueError:
            pass
    return flags


def render_summary(graph: LineageGraph, *, written_to: str | None, color: bool,
                   fmt: str = "CycloneDX") -> str:
    from sbom.views.tree import render_tree

    tree = render_tree(graph, color=color).rstrip("\n")
    lines: list[str] = []
    models = graph.models()
    lines.append(
        f"{len(models)} models, {len(graph.datasets())} datasets, "
        f"{len(graph.code_repos())} code repos; {len(graph.unresolved())} unresolved")
    for node in sorted(graph.nodes(), key=lambda n: n.key):
        flags = risk_flags(node)
        if flags:
            lines.append(f"  risk  {node.name}: {', '.join(flags)}")
    for node in graph.unresolved():
        why = node.problems[0] if node.problems else ""
        why = why.removeprefix(f"{node.name}: ")
        lines.append(f"  unresolved  {node.name}: {node.unresolved}" + (f" ({why})" if why
                                                                         else ""))
    for node in sorted(graph.nodes(), key=lambda n: n.key):
        if node.unresolved:
            continue
        for problem in node.problems[:5]:
            text = problem if problem.startswith(node.name) else f"{node.name}: {problem}"
            lines.append(f"  problem  {text}")
    lines.append(f"{fmt} written to {written_to}" if written_to else f"{fmt} written to stdout")
    # one fact per line: names, problems and paths from the input cannot add lines or escapes
    return "\n".join([tree, "", *(printable(line) for line in lines)]) + "\n"
