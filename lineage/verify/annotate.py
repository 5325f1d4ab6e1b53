"""The verification annotator: a verdict per declared parent edge, and suspected parents.

Reads only ``ModelNode.evidence`` (gathered by the resolver in its normal rounds), so it makes
no request. Writes ``ModelNode.verifications`` (one per lineage parent edge, in parent order),
``ModelNode.suspected_parents`` and a finding per inconsistent edge (``lineage-inconsistent``)
and per suspected parent (``lineage-suspected-parent``).
"""

from __future__ import annotations

import json

import networkx as nx

from lineage.graph import (
    EdgeVerification,
    Finding,
    LineageGraph,
    ModelNode,
    Node,
    Relation,
    SuspectedParent,
)
from lineage.sources.interface import RepoSnapshot, Source
from lineage.sources.local import LocalFolder
from lineage.verify.evidence import (
    ModelEvidence,
    evidence_record_name,
    read_weights_header,
    to_json,
)
from lineage.verify.rules import (
    INCONSISTENT,
    UNVERIFIABLE,
    Verdict,
    check_adapter,
    check_finetune,
    check_merge,
    check_quantized,
)

UNRESOLVED_WHY = {
    "gated": "parent is gated: no config",
    "not-found": "parent not found on the Hub: no config",
    "offline": "parent not read (offline): no config",
    "local-path": "parent is a local path: nothing to compare",
    "invalid-id": "parent is not a Hub id: nothing to compare",
    "cycle": "parent closes a cycle: not read",
    "depth-limit": "parent is beyond --max-depth: not read",
    "unavailable-for-legal-reasons": "parent is unavailable for legal reasons: no config",
    "hub-error": "parent could not be read: no config",
}
MAX_ADAPTER_HOPS = 3


def annotate_verification(graph: LineageGraph) -> None:
    """Verify every lineage edge of every model that carries evidence; idempotent."""
    for node in graph.models():
        if node.evidence is None or not node.resolved:
            continue
        node.verifications = []
        node.findings = [f for f in node.findings
                         if f.kind not in ("lineage-inconsistent", "lineage-suspected-parent")]
        parents = graph.parents(node.key, lineage_only=True)
        for parent, data in parents:
            verdict = verify_edge(graph, node, parent, data.relation)
            node.verifications.append(EdgeVerification(parent.key, verdict.verdict,
                                                       verdict.reason))
            if verdict.verdict == INCONSISTENT:
                node.findings.append(Finding(
                    "lineage-inconsistent", "warning",
                    f"declared {data.relation.value} of {parent.name} cannot be true: "
                    f"{verdict.reason}"))
    _suspect_undeclared(graph)


def verify_edge(graph: LineageGraph, child: ModelNode, parent: Node, relation: Relation
                ) -> Verdict:
    if parent.unresolved or not isinstance(parent, ModelNode):
        return Verdict(UNVERIFIABLE, UNRESOLVED_WHY.get(parent.unresolved or "",
                                                        "parent was not read"))
    pev = _shape_evidence(graph, parent)
    if pev is None:
        return Verdict(UNVERIFIABLE, "parent's metadata was not gathered")
    cev: ModelEvidence = child.evidence
    if relation is Relation.ADAPTER or (cev.adapter_config and not cev.config):
        return check_adapter(cev, pev)
    if relation is Relation.QUANTIZED or (cev.gguf and not cev.config):
        return check_quantized(cev, pev)  # a GGUF file is a conversion, whatever the card says
    if relation is Relation.MERGE:
        ids = tuple({i.lower() for i in (parent.name, parent.repo_id or "") if i})
        return check_merge(cev, pev, ids)
    return check_finetune(cev, pev)


def _shape_evidence(graph: LineageGraph, node: ModelNode) -> ModelEvidence | None:
    """The node's evidence; for an adapter (no shape of its own), its base's."""
    ev: ModelEvidence | None = node.evidence
    hops = 0
    while ev is not None and not ev.has_shape() and ev.adapter_config \
            and hops < MAX_ADAPTER_HOPS:
        bases = [p for p, d in graph.parents(node.key, lineage_only=True)
                 if d.relation is Relation.ADAPTER and isinstance(p, ModelNode) and p.resolved]
        if not bases:
            break
        node, ev, hops = bases[0], bases[0].evidence, hops + 1
    return ev


def fingerprint(ev: ModelEvidence) -> tuple[object, ...] | None:
    """Config dimensions, tensor fingerprint and tokenizer ids, or ``None`` when any of the
    three is missing (a match on fewer would suspect every model of one architecture)."""
    tensors = ev.tensors.fingerprint if ev.tensors and ev.tensors.fingerprint else \
        tuple(sorted(ev.hub_params.items())) or None
    key = shape_key(ev)
    if key is None or tensors is None:
        return None
    return (*key, tensors)


def shape_key(ev: ModelEvidence) -> tuple[object, ...] | None:
    """Config dimensions and tokenizer ids: the part of the fingerprint that costs nothing."""
    if not ev.config or not ev.tokenizer:
        return None
    return (ev.model_type, json.dumps(ev.config, sort_keys=True),
            json.dumps(ev.tokenizer, sort_keys=True))


def fill_headers(graph: LineageGraph, source: Source | None, *,
                 every_parentless: bool = False) -> int:
    """Read the weights headers a suspected parent needs and the resolver skipped (a model
    that declares no parent and has a config reads none): those of a parentless model and of
    each older model, not its descendant, sharing its config and tokenizer. Only then can the
    tensor fingerprint decide. ``every_parentless`` (a Hub index will be looked up) reads the
    header of every parentless model too, for its parameter counts. Returns the headers read
    (normally none)."""
    groups: dict[tuple[object, ...], list[ModelNode]] = {}
    for node in graph.models():
        key = shape_key(node.evidence) if node.evidence is not None and node.resolved else None
        if key is not None:
            groups.setdefault(key, []).append(node)
    needed: dict[str, ModelNode] = {}
    for group in groups.values():
        for node in group:
            if graph.parents(node.key, lineage_only=True):
                continue  # declares a parent: never a suspect
            older = [o for o in group if o is not node and _created_before(o, node)
                     and not nx.has_path(graph.g, o.key, node.key)]  # descendants are twins
            for n in [node, *older] if older else []:
                needed[n.key] = n
    if every_parentless:
        for node in graph.models():
            if node.evidence is not None and node.resolved \
                    and not graph.parents(node.key, lineage_only=True):
                needed[node.key] = node
    read = 0
    for node in needed.values():
        ev: ModelEvidence = node.evidence
        if ev.tensors is None and not ev.hub_params and _read_skipped_header(node, source):
            read += 1
    return read


def _read_skipped_header(node: ModelNode, source: Source | None) -> bool:
    snap = RepoSnapshot(repo_id=node.repo_id or node.name, sha=node.sha,
                        siblings=tuple(node.files))
    src: Source
    if node.local_dir is not None:
        src, repo, sha = LocalFolder(node.local_dir), snap.repo_id, None
    elif source is not None and node.repo_id is not None:
        src, repo, sha = source, node.repo_id, node.sha
    else:
        return False
    read_weights_header(node.evidence, snap, lambda f: src.read_file(repo, sha, f),
                        lambda f, off, n: src.read_range(repo, sha, f, off, n))
    if sha is not None and node.evidence.tensors is not None:
        src.store_derived(repo, sha, evidence_record_name(), to_json(node.evidence))
    return True


def _suspect_undeclared(graph: LineageGraph) -> None:
    """A parentless model that shares the whole fingerprint of a model created before it is
    suspected to derive from that model (its own descendants, naturally equal, excluded)."""
    prints: dict[tuple[object, ...], list[ModelNode]] = {}
    for node in graph.models():
        node.suspected_parents = []
        fp = fingerprint(node.evidence) if node.evidence is not None and node.resolved else None
        if fp is not None:
            prints.setdefault(fp, []).append(node)
    for group in prints.values():
        for node in group:
            if graph.parents(node.key, lineage_only=True):
                continue
            for other in group:
                if other is node or nx.has_path(graph.g, other.key, node.key) \
                        or not _created_before(other, node):
                    continue
                reason = ("config, tensor shapes and tokenizer identical to an older model; "
                          "declares no parent")
                node.suspected_parents.append(SuspectedParent(other.key, reason))
                node.findings.append(Finding("lineage-suspected-parent", "info",
                                             f"may derive from {other.name}: {reason}"))


def _created_before(a: ModelNode, b: ModelNode) -> bool:
    ca = a.activity.created_at if a.activity else None
    cb = b.activity.created_at if b.activity else None
    return bool(ca and cb and ca < cb)
