"""The one graph type: ``LineageGraph`` over a networkx ``DiGraph``.

Edges point child → parent (a fine-tune points at its base; a model points at the datasets it
was trained on and the code repos it loads). Each edge carries a ``Relation`` and the
``Evidence`` that supports it. Nodes are typed: ``ModelNode``, ``DatasetNode``, ``CodeNode``.
Annotators fill the annotation fields once; every output reads this object and nobody
re-parses cards.

Node keys double as bom-refs, so they are stable: ``model:<repo id, lower case>``,
``dataset:<id>``, ``code:<id>``, ``local:<raw value>`` for parents that are local paths,
``invalid:<raw value>``, ``cycle:<repo id>`` for a declared parent that would close a cycle.
The graph stays acyclic: the back edge of a cycle goes to a ``cycle:`` stub instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import networkx as nx

from lineage.ids import node_key


class Relation(str, Enum):
    FINETUNE = "finetune"
    ADAPTER = "adapter"
    QUANTIZED = "quantized"
    MERGE = "merge"
    UNKNOWN = "unknown"
    REMOTE_CODE = "remote_code"
    TRAINED_ON = "trained_on"

    def __str__(self) -> str:
        return self.value


LINEAGE_RELATIONS = frozenset(
    {Relation.FINETUNE, Relation.ADAPTER, Relation.QUANTIZED, Relation.MERGE, Relation.UNKNOWN}
)

# Unresolved reasons, as written to ``mlbom:lineage:unresolved``.
UNRESOLVED_REASONS = (
    "local-path", "not-found", "gated", "offline", "invalid-id", "cycle", "depth-limit",
    "unavailable-for-legal-reasons", "hub-error",
)


@dataclass(frozen=True)
class Evidence:
    """Where a fact came from: ``source`` (card, adapter_config, mergekit, card-mergekit, gguf,
    hub-base-models, hub-tags, config), the file, the field and the raw value."""

    source: str
    file: str | None
    field: str
    value: str

    def __str__(self) -> str:
        where = self.file or self.source
        return f"{where}:{self.field}={self.value}"


@dataclass
class EdgeData:
    relation: Relation
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class FileEntry:
    """A file in a repo (from the Hub's siblings or a local folder walk)."""

    name: str
    size: int | None = None
    sha256: str | None = None  # LFS sha256 from the Hub, or computed for local files
    lfs: bool = False


@dataclass
class LicenseInfo:
    """A node's license, normalised. ``spdx`` is set only where the metadata supports it."""

    declared: str | None = None  # raw value(s) from the card, JSON-encoded if not a string
    spdx: str | None = None  # SPDX license expression
    hub_id: str | None = None  # normalised Hub id (``llama3.1``, ``gemma``, ``other``)
    name: str | None = None  # human name (for non-SPDX licenses, or license_name)
    url: str | None = None
    family: str | None = None
    source: str = "none"  # card, card-other, hub-tags, dataset-card, bom, none
    license_file: str | None = None  # LICENSE file present in the repo
    problems: list[str] = field(default_factory=list)


@dataclass
class WeightFile:
    name: str
    format: str  # safetensors, gguf, pickle, keras, onnx, other
    size: int | None = None
    sha256: str | None = None
    unsafe: bool = False  # pickle-based


@dataclass
class WeightsInfo:
    files: list[WeightFile] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    unsafe_only: bool = False  # ships only pickle-based weights
    hub_scan: dict[str, Any] | None = None  # the Hub's own security scan, as given


@dataclass
class Finding:
    """A security finding on a node (a dangerous pickle import, an invalid signature...)."""

    kind: str
    severity: str  # error, warning, info
    message: str
    file: str | None = None


@dataclass
class SignatureInfo:
    status: str = "unsigned"  # unsigned, verified, unverified-signer, invalid, not-verified
    file: str | None = None
    signer: str | None = None
    issuer: str | None = None
    method: str | None = None  # sigstore, key, certificate
    reason: str | None = None
    trust_root: str | None = None
    files_checked: int = 0


@dataclass
class RemoteCodeInfo:
    needed: bool = False  # loading needs trust_remote_code
    local_modules: list[str] = field(default_factory=list)  # auto_map values in this repo
    code_files: list[str] = field(default_factory=list)  # *.py files shipped in the repo
    cross_repo: list[str] = field(default_factory=list)  # "org/repo--module.Class" values


@dataclass
class Activity:
    downloads: int | None = None
    likes: int | None = None
    created_at: str | None = None
    last_modified: str | None = None
    gated: str | None = None  # "auto", "manual" or None
    author: str | None = None
    private: bool | None = None


@dataclass(frozen=True)
class EdgeVerification:
    """A declared parent edge checked against cheap metadata (``lineage/verify``):
    ``verdict`` is consistent, inconsistent or unverifiable; ``reason`` one line."""

    parent: str  # the parent's node key (its bom-ref)
    verdict: str
    reason: str


@dataclass(frozen=True)
class SuspectedParent:
    """A model the node declares no link to but whose metadata fingerprint it shares."""

    parent: str  # node key / bom-ref
    reason: str


@dataclass
class Node:
    key: str
    name: str  # repo id, or the raw declared value for unresolved parents
    repo_id: str | None = None
    revision: str | None = None  # as requested
    sha: str | None = None  # pinned commit
    unresolved: str | None = None  # one of UNRESOLVED_REASONS
    problems: list[str] = field(default_factory=list)  # one-line messages for the user
    license: LicenseInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    card: dict[str, Any] = field(default_factory=dict)  # parsed front matter (safe, capped)
    files: list[FileEntry] = field(default_factory=list)
    files_complete: bool = True  # False: a listing cap may have hidden weight files
    activity: Activity | None = None
    tags: list[str] = field(default_factory=list)
    renamed_from: str | None = None  # the id declared, when the Hub now answers under repo_id

    kind = "node"

    @property
    def resolved(self) -> bool:
        return self.unresolved is None

    @property
    def hub_url(self) -> str | None:
        return None


@dataclass
class ModelNode(Node):
    is_target: bool = False
    depth: int = 0
    local_dir: Path | None = None  # set for a local folder target: files may be read and hashed
    config: dict[str, Any] | None = None
    task: str | None = None
    architecture: str | None = None
    library_name: str | None = None
    relation_declared: str | None = None  # raw base_model_relation
    weights: WeightsInfo | None = None
    signature: SignatureInfo | None = None
    remote_code: RemoteCodeInfo | None = None
    gguf: dict[str, Any] = field(default_factory=dict)  # selected GGUF header keys
    hub_security: dict[str, Any] | None = None  # the Hub's securityRepoStatus, as given
    eval_datasets: list[str] = field(default_factory=list)  # model-index only: not training
    quantization: str | None = None  # quant method from config.json (gptq, awq, bnb, mlx...)
    evidence: Any = None  # lineage.verify.evidence.ModelEvidence, when it was gathered
    verifications: list[EdgeVerification] = field(default_factory=list)
    suspected_parents: list[SuspectedParent] = field(default_factory=list)

    kind = "model"


@dataclass
class DatasetNode(Node):
    purpose: str = "training"  # training; evaluation datasets are recorded, never as training

    kind = "dataset"


@dataclass
class CodeNode(Node):
    modules: list[str] = field(default_factory=list)

    kind = "code"


def verification_statements(node: Node) -> list[tuple[str, str]]:
    """``(property, value)`` pairs every output writes for ``node``: CycloneDX properties,
    SPDX annotations. ``mlbom:lineage:verification`` ``<parent bom-ref> <verdict>: <reason>``
    per declared parent edge, ``mlbom:lineage:suspected-parent`` ``<bom-ref> <reason>``."""
    if not isinstance(node, ModelNode):
        return []
    out = [("mlbom:lineage:verification", f"{v.parent} {v.verdict}: {v.reason}")
           for v in node.verifications]
    out += [("mlbom:lineage:suspected-parent", f"{sp.parent} {sp.reason}")
            for sp in node.suspected_parents]
    return out


def model_key(repo_id: str) -> str:
    return node_key("model", repo_id)


def dataset_key(repo_id: str) -> str:
    return node_key("dataset", repo_id)


def code_key(repo_id: str) -> str:
    return node_key("code", repo_id)


class LineageGraph:
    """The annotated lineage of one target. Wraps ``networkx.DiGraph`` (child → parent)."""

    def __init__(self) -> None:
        self.g: nx.DiGraph = nx.DiGraph()
        self.target_key: str | None = None
        # Run facts outputs may record: endpoint, offline, trust root, messages.
        self.meta: dict[str, Any] = {}

    # -- building ----------------------------------------------------------------------------
    def add_node(self, node: Node) -> Node:
        """Add ``node`` unless its key exists; return the node stored under the key."""
        if node.key in self.g:
            existing: Node = self.g.nodes[node.key]["node"]
            return existing
        self.g.add_node(node.key, node=node)
        if isinstance(node, ModelNode) and node.is_target:
            self.target_key = node.key
        return node

    def add_edge(
        self, child: str, parent: str, relation: Relation, evidence: list[Evidence] | None = None
    ) -> EdgeData:
        """Add or extend the edge child → parent. Evidence accumulates; a specific relation
        replaces ``unknown``."""
        if child not in self.g or parent not in self.g:
            raise KeyError(f"both ends must be nodes: {child} -> {parent}")
        if self.g.has_edge(child, parent):
            data: EdgeData = self.g.edges[child, parent]["data"]
            if data.relation is Relation.UNKNOWN and relation is not Relation.UNKNOWN:
                data.relation = relation
            for ev in evidence or []:
                if ev not in data.evidence:
                    data.evidence.append(ev)
            return data
        data = EdgeData(relation, list(evidence or []))
        self.g.add_edge(child, parent, data=data)
        return data

    def would_close_cycle(self, child: str, parent: str) -> bool:
        return parent in self.g and child in self.g and nx.has_path(self.g, parent, child)

    # -- reading -----------------------------------------------------------------------------
    def __contains__(self, key: object) -> bool:
        return key in self.g

    def __len__(self) -> int:
        return int(self.g.number_of_nodes())

    def node(self, key: str) -> Node:
        n: Node = self.g.nodes[key]["node"]
        return n

    @property
    def target(self) -> ModelNode:
        if self.target_key is None:
            raise LookupError("graph has no target")
        node = self.node(self.target_key)
        assert isinstance(node, ModelNode)
        return node

    def nodes(self) -> Iterator[Node]:
        for key in self.g.nodes:
            yield self.g.nodes[key]["node"]

    def models(self) -> list[ModelNode]:
        return [n for n in self.nodes() if isinstance(n, ModelNode)]

    def datasets(self) -> list[DatasetNode]:
        return [n for n in self.nodes() if isinstance(n, DatasetNode)]

    def code_repos(self) -> list[CodeNode]:
        return [n for n in self.nodes() if isinstance(n, CodeNode)]

    def edge(self, child: str, parent: str) -> EdgeData:
        data: EdgeData = self.g.edges[child, parent]["data"]
        return data

    def edges(self) -> Iterator[tuple[str, str, EdgeData]]:
        for child, parent, attrs in self.g.edges(data=True):
            yield child, parent, attrs["data"]

    def parents(self, key: str, *, lineage_only: bool = False) -> list[tuple[Node, EdgeData]]:
        """Direct parents of ``key`` in a stable order (by key)."""
        out = []
        for parent in sorted(self.g.successors(key)):
            data = self.edge(key, parent)
            if lineage_only and data.relation not in LINEAGE_RELATIONS:
                continue
            out.append((self.node(parent), data))
        return out

    def children(self, key: str) -> list[tuple[Node, EdgeData]]:
        return [(self.node(c), self.edge(c, key)) for c in sorted(self.g.predecessors(key))]

    def keys(self) -> list[str]:
        """Every node key, in the order the nodes were added."""
        return list(self.g.nodes)

    def has_edge(self, child: str, parent: str) -> bool:
        return bool(self.g.has_edge(child, parent))

    def parent_keys(self, key: str) -> list[str]:
        """Keys of ``key``'s direct parents, in the order the edges were added."""
        return list(self.g.successors(key))

    def child_keys(self, key: str) -> list[str]:
        """Keys of the nodes that point at ``key``, in the order the edges were added."""
        return list(self.g.predecessors(key))

    def roots(self) -> list[str]:
        """Keys nothing points at (the target, in a graph with one), sorted."""
        return sorted(k for k in self.g.nodes if self.g.in_degree(k) == 0)

    def ancestors(self, key: str) -> set[str]:
        return set(nx.descendants(self.g, key))

    def path_to(self, key: str, source: str | None = None) -> list[str]:
        """Shortest path of keys from ``source`` (default: the target) down to ``key``."""
        start = source or self.target_key
        if start is None:
            return [key]
        try:
            return list(nx.shortest_path(self.g, start, key))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return [key]

    def lineage_relation(self, key: str) -> str | None:
        """The relation of ``key`` to its model parents: the one relation, ``merge`` when the
        parents disagree or there are several, ``None`` for a root."""
        rels = [d.relation for _, d in self.parents(key, lineage_only=True)]
        if not rels:
            return None
        if len(rels) > 1:
            return Relation.MERGE.value
        return rels[0].value

    def topological(self) -> list[str]:
        """Keys from the target down to the roots, stable for equal inputs."""
        return list(nx.lexicographical_topological_sort(self.g))

    def unresolved(self) -> list[Node]:
        return sorted((n for n in self.nodes() if n.unresolved), key=lambda n: n.key)
