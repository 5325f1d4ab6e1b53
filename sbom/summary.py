"""The short summary ``mlbom generate`` prints on stderr when it ends.

The lineage tree, the counts, the unresolved parents with their reasons and one-line problems,
where the document went, and then the findings: the same license and security findings
``mlbom check`` reports (without a policy), most severe first, one line each, at most
``MAX_FINDINGS`` of them (the rest counted, with the command that lists them all). A node
without findings gets no line: "unsigned" alone is not a finding.
"""

from __future__ import annotations

from lineage.graph import LineageGraph
from lineage.text_safety import printable

MAX_FINDINGS = 15


def render_summary(graph: LineageGraph, *, written_to: str | None, color: bool,
                   fmt: str = "CycloneDX") -> str:
    from sbom.views.tree import render_tree

    tree = render_tree(graph, color=color).rstrip("\n")
    lines: list[str] = []
    models = graph.models()
    lines.append(
        f"{len(models)} models, {len(graph.datasets())} datasets, "
        f"{len(graph.code_repos())} code repos; {len(graph.unresolved())} unresolved")
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
    lines.extend(finding_lines(graph))
    # one fact per line: names, problems and paths from the input cannot add lines or escapes
    return "\n".join([tree, "", *(printable(line) for line in lines)]) + "\n"


def finding_lines(graph: LineageGraph, limit: int = MAX_FINDINGS) -> list[str]:
    """The findings of ``mlbom check`` (no policy), most severe first; unresolved parents
    are listed above already, so ``unknown-provenance`` is left out here."""
    from sbom.check import check_graph

    matches = graph.meta.get("advisory_matches") or []
    advisories = list({id(m.advisory): m.advisory for m in matches}.values())
    report = check_graph(graph, None, advisories)
    shown = [f for f in report.findings if f.kind != "unknown-provenance"]
    unknown = len(report.findings) - len(shown)
    if not shown:  # never an all-clear when parts of the lineage could not be read
        return [f"findings: none besides the {unknown} unresolved part(s) listed above "
                "(unknown provenance: not checked)" if unknown else "findings: none"]
    c = report.counts
    out = [f"findings: {c.get('error', 0)} error(s), {c.get('warning', 0)} warning(s), "
           f"{c.get('info', 0)} info (most severe first)"]
    width = max(len(f.kind) for f in shown[:limit])
    for f in shown[:limit]:
        kinds = f.kind + (f" (+{', '.join(f.also)})" if f.also else "")
        message = f.message.removeprefix(f"{f.path[-1]}: ")
        out.append(f"  {f.severity:<7} {kinds:<{width}}  {' > '.join(f.path)}: "
                   f"{_short(message)}")
    if len(shown) > limit:
        out.append(f"  ... and {len(shown) - limit} more: run `mlbom check` on the BOM for all")
    return out


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
