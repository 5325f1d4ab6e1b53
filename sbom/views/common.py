"""What every view says about a node: license label and family class, signature class, flags.

Kept in one place so the tree, Mermaid, DOT and HTML agree on words and colours.
"""

from __future__ import annotations

from typing import Any

from lineage.graph import (
    DatasetNode,
    EdgeData,
    LineageGraph,
    ModelNode,
    Node,
    Relation,
)

# Colour classes: fill by license family, border by signature status.
FAMILY_COLOURS = {
    "permissive": "#c8e6c9",
    "copyleft": "#ffe0b2",
    "restricted": "#e1bee7",
    "proprietary": "#ffcdd2",
    "unknown": "#e0e0e0",
}
SIGNATURE_COLOURS = {
    "verified": "#2e7d32",
    "invalid": "#c62828",
    "warning": "#ef6c00",
    "unsigned": "#757575",
}
UNRESOLVED_FILL = "#fafafa"

# The HTML report colours every license family of ``lineage.licenses.FAMILY_ORDER`` on its own
# (a share-alike dataset is "share-alike", never "restricted"), plus the two coarse classes a
# BOM read back from another tool may carry. Legend order: most to least permissive.
LICENSE_FAMILY_COLOURS = {
    "public-domain": "#e8f5e9",
    "permissive": "#c8e6c9",
    "weak-copyleft": "#f0f4c3",
    "copyleft": "#ffe0b2",
    "share-alike": "#b2ebf2",
    "openrail": "#d1c4e9",
    "llama": "#e1bee7",
    "gemma": "#f3e5f5",
    "vendor": "#c5cae9",
    "no-derivatives": "#ffccbc",
    "noncommercial": "#ffcdd2",
    "research-only": "#f8bbd0",
    "restricted": "#ce93d8",
    "proprietary": "#ef9a9a",
    "unknown": "#e0e0e0",
}
SIGNATURE_WORDS = {
    "verified": "signature verified",
    "invalid": "signature invalid",
    "warning": "signed, signer not verified",
    "unsigned": "no signature",
}


def family_class(node: Node) -> str:
    """One of ``FAMILY_COLOURS``' keys, from ``node.license.family`` (free text) or its id."""
    info = node.license
    family = (info.family or "").lower() if info else ""
    if not family and info and info.spdx:
        family = "permissive" if info.spdx in ("MIT", "Apache-2.0", "BSD-3-Clause") else ""
    if "weak" in family or "copyleft" in family:
        return "copyleft"
    if "permissive" in family or "public" in family:
        return "permissive"
    if "propriet" in family or "commercial-only" in family:
        return "proprietary"
    if family and family not in ("unknown", "none", "other"):
        return "restricted"  # non-commercial, RAIL, model licenses, ...
    return "unknown"


def license_family(node: Node) -> str:
    """The node's license family as a key of ``LICENSE_FAMILY_COLOURS`` (finer than
    ``family_class``, which the tree, Mermaid and DOT keep for their stable outputs)."""
    family = ((node.license.family or "") if node.license else "").lower()
    if family in LICENSE_FAMILY_COLOURS:
        return family
    return family_class(node)


def verification_verdicts(node: Node | EdgeData, edges: list[EdgeData] | None = None) -> list[str]:
    """Lineage verification verdicts recorded on a node (or an edge) and its parent edges.

    Read duck-typed (``verification`` attribute: a string, a mapping with ``verdict`` or
    ``status``, an object with one of those, or a list of them), so a graph without the
    verification annotator, or read back from an older BOM, simply has none.
    """
    found: list[str] = []
    for holder in [node, *(edges or [])]:
        value = getattr(holder, "verification", None)
        for item in value if isinstance(value, list | tuple) else [value]:
            word = _verdict_word(item)
            if word and word not in found:
                found.append(word)
    return found


def _verdict_word(item: object) -> str | None:
    if item is None:
        return None
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        got = item.get("verdict") or item.get("status")
        return str(got) if got else None
    got = getattr(item, "verdict", None) or getattr(item, "status", None)
    return str(got) if got else None


def signature_class(node: Node) -> str:
    status = signature_status(node)
    if status == "verified":
        return "verified"
    if status == "invalid":
        return "invalid"
    if status in ("unverified-signer", "not-verified"):
        return "warning"
    return "unsigned"


def signature_status(node: Node) -> str | None:
    if isinstance(node, ModelNode) and node.signature:
        return node.signature.status
    return None


def license_label(node: Node) -> str:
    info = node.license
    if info is None:
        return "license unknown"
    return info.spdx or info.name or info.hub_id or info.declared or "license unknown"


def short_sha(node: Node) -> str | None:
    return node.sha[:7] if node.sha else None


def node_flags(node: Node) -> list[str]:
    """Warnings a reader must see: unresolved reason, license problems, unsafe weights..."""
    flags: list[str] = []
    if node.unresolved:
        flags.append(f"unresolved: {node.unresolved}")
    if node.license:
        flags += [f"license: {p}" for p in node.license.problems]
    flags += [f"{f.severity}: {f.message}" for f in node.findings]
    flags += [f"problem: {p}" for p in node.problems]
    if isinstance(node, ModelNode):
        if node.weights and node.weights.unsafe_only:
            flags.append("unsafe weights: pickle only")
        elif node.weights and any(w.unsafe for w in node.weights.files):
            flags.append("unsafe weights: pickle files present")
        if node.remote_code and node.remote_code.needed:
            flags.append("remote code: needs trust_remote_code")
        if node.signature and node.signature.status == "invalid":
            flags.append(f"signature invalid: {node.signature.reason or 'no reason given'}")
    return flags


def node_record(graph: LineageGraph, node: Node) -> dict[str, Any]:
    """Everything the HTML panel and the JSON tree show about a node (plain JSON types)."""
    info = node.license
    rec: dict[str, Any] = {
        "key": node.key,
        "name": node.name,
        "kind": node.kind,
        "sha": node.sha,
        "revision": node.revision,
        "unresolved": node.unresolved,
        "relation": graph.lineage_relation(node.key),
        "license": license_label(node),
        "license_family": family_class(node),
        "license_detail": {
            "spdx": info.spdx, "name": info.name, "hub_id": info.hub_id, "url": info.url,
            "declared": info.declared, "source": info.source, "problems": list(info.problems),
        } if info else None,
        "signature": None,
        "signature_class": signature_class(node),
        "flags": node_flags(node),
        "datasets": [p.name for p, d in graph.parents(node.key)
                     if d.relation is Relation.TRAINED_ON],
        "code": [p.name for p, d in graph.parents(node.key)
                 if d.relation is Relation.REMOTE_CODE],
        "parents": [
            {"key": p.key, "name": p.name, "relation": d.relation.value,
             "evidence": [str(e) for e in d.evidence]}
            for p, d in graph.parents(node.key)
        ],
        "files": [],
        "is_target": node.key == graph.target_key,
    }
    if isinstance(node, ModelNode):
        if node.signature:
            s = node.signature
            rec["signature"] = {
                "status": s.status, "signer": s.signer, "issuer": s.issuer, "method": s.method,
                "reason": s.reason, "file": s.file,
            }
        if node.weights:
            rec["files"] = [
                {"name": w.name, "format": w.format, "size": w.size, "sha256": w.sha256,
                 "unsafe": w.unsafe}
                for w in node.weights.files
            ]
        rec["task"] = node.task
    if isinstance(node, DatasetNode):
        rec["purpose"] = node.purpose
    return rec


def edge_label(relation: Relation) -> str:
    return relation.value.replace("_", " ")


def checked_edge_label(graph: LineageGraph, child: str, parent: str, relation: Relation) -> str:
    """``edge_label``, marked when lineage verification found the edge cannot be true."""
    node = graph.node(child)
    bad = any(v.parent == parent and v.verdict == "inconsistent"
              for v in getattr(node, "verifications", ()))
    return edge_label(relation) + (" (inconsistent)" if bad else "")
