"""License annotator: fills ``node.license`` on every model, dataset and code node.

Reads only what the resolver stored on the node (parsed card front matter, Hub tags, repo id,
sha, file list); no network. Unresolved nodes keep ``license = None`` (unknown: nothing could
be read). Resolved nodes always get a ``LicenseInfo``; one without any declaration has
``source == "none"``, which the license review reports as a missing license. A license that
was already read from a BOM (``source == "bom"``) is kept as it is.
"""

from __future__ import annotations

from lineage.graph import CodeNode, DatasetNode, LineageGraph, ModelNode
from lineage.licenses import license_file_in, normalize_license


def annotate_licenses(graph: LineageGraph) -> None:
    """Set ``license`` on each ``ModelNode``, ``DatasetNode`` and ``CodeNode`` of ``graph``."""
    for node in graph.nodes():
        if not isinstance(node, (ModelNode, DatasetNode, CodeNode)):
            continue
        if node.license is not None and node.license.source == "bom":
            continue
        if node.unresolved:
            node.license = None
            continue
        info = normalize_license(
            node.card or {},
            tags=node.tags,
            repo_id=node.repo_id,
            sha=node.sha,
            source="dataset-card" if isinstance(node, DatasetNode) else "card",
        )
        info.license_file = license_file_in([f.name for f in node.files])
        node.license = info
