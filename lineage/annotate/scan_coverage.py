"""Say which pickle-based weight files nobody scanned, instead of a quiet all-clear.

mlbom never downloads weights: a Hub model's pickles are covered only by the Hub's own scan
(``securityRepoStatus``, read by ``annotate_weights``), and a local folder's by mlbom's static
scan. A pickle-based file that neither covered (the Hub answer has no scan status, or says the
scans are not done) gets a ``pickle-unscanned`` warning on its node, so ``mlbom check``, the
summary and the BOM (``mlbom:finding``) say what could not be checked. Run after
``annotate_weights``.
"""

from __future__ import annotations

from lineage.graph import Finding, LineageGraph, ModelNode

MAX_LISTED = 5


def annotate_scan_coverage(graph: LineageGraph) -> None:
    for node in graph.models():
        if node.resolved:
            _node_coverage(node)


def _node_coverage(node: ModelNode) -> None:
    if node.weights is None or node.local_dir is not None:
        return  # a local folder's pickles are scanned by mlbom itself
    pickles = [w.name for w in node.weights.files if w.unsafe]
    if not pickles:
        return
    scan = node.weights.hub_scan
    if isinstance(scan, dict) and scan.get("scansDone") is True:
        return
    why = "the Hub reports its scans are not done" if isinstance(scan, dict) else \
        "the Hub gave no scan status"
    listed = ", ".join(pickles[:MAX_LISTED]) + (
        f" and {len(pickles) - MAX_LISTED} more" if len(pickles) > MAX_LISTED else "")
    node.findings.append(Finding(
        kind="pickle-unscanned", severity="warning", file=pickles[0],
        message=f"pickle-based weights not scanned by anyone ({why}; mlbom does not "
        f"download weights): {listed}"))
