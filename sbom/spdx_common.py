"""What the SPDX 2.3 and SPDX 3 writers share: the tool, suppliers, comments, URLs, licenses.

Both writers describe the same graph in two SPDX versions; every fact they state the same way
is stated once here (ids are built in ``lineage.ids``). Public so that neither writer imports
the other's private helpers.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from license_expression import ExpressionError, LicenseExpression, get_spdx_licensing
from spdx_tools.spdx.validation.uri_validators import validate_url

from lineage.graph import (
    DatasetNode,
    Finding,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Node,
    Relation,
    RemoteCodeInfo,
    SignatureInfo,
    WeightFile,
    WeightsInfo,
)
from lineage.ids import sanitize_id
from lineage.refs import is_valid_repo_id
from lineage.text_safety import printable, redact_url
from sbom.reproducible import reproducible_time

TOOL_NAME = "mlbom"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
LICENSING = get_spdx_licensing()


def tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("mlbom")
    except Exception:  # noqa: BLE001 - not installed (running from a checkout)
        return "0.1.0"


def supplier_name(node: Node) -> str | None:
    """Who publishes the repo: the Hub author, else the id's namespace."""
    if node.activity and node.activity.author:
        return node.activity.author
    if node.repo_id and "/" in node.repo_id and is_valid_repo_id(node.repo_id):
        return node.repo_id.split("/", 1)[0]
    return None


def edge_comment(relation: Relation, evidence: list[str]) -> str:
    """The relationship comment: the relation, then where it was declared."""
    words = {Relation.TRAINED_ON: "trained on", Relation.REMOTE_CODE: "remote code"}
    head = words.get(relation, f"relation: {relation.value}")
    return f"{head}; evidence: {'; '.join(evidence)}" if evidence else head


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL spdx-tools accepts, else ``None``."""
    if not url or len(url) > 2048 or not re.match(r"^https?://[^\s<>\"]+$", url):
        return None
    url = redact_url(url)
    return url if not validate_url(url) else None


def license_expression(info: LicenseInfo | None) -> LicenseExpression | None:
    """The SPDX expression of ``info`` when every symbol in it is a listed SPDX id."""
    if info is None or not info.spdx:
        return None
    try:
        expr = LICENSING.parse(info.spdx, validate=True, strict=True)
    except ExpressionError:
        return None
    if expr is None or LICENSING.unknown_license_keys(expr):
        return None
    return expr


def hub_only_license_name(info: LicenseInfo | None) -> str | None:
    """The name of a license that has no SPDX id (``llama3.1``, ``other``: the license_name)."""
    if info is None or license_expression(info) is not None:
        return None
    for candidate in (info.name, info.hub_id, info.spdx, info.declared):
        if candidate and candidate.strip() and candidate.strip().lower() not in ("unknown",):
            return candidate.strip()[:200]
    return None


def file_digest_hex(value: str | None) -> str | None:
    return value.lower() if value and _SHA256.match(value.lower()) else None


def hashed_weight_files(node: Node) -> list[tuple[WeightFile, str]]:
    """``(file, sha256 hex)`` for each of a model's weight files with a usable SHA-256, in
    name order: the files both SPDX writers list (one without a digest has nothing to say)."""
    if not isinstance(node, ModelNode) or not node.weights:
        return []
    files = sorted(node.weights.files, key=lambda f: f.name)
    return [(wf, d) for wf in files if (d := file_digest_hex(wf.sha256)) is not None]


def describe_node(node: Node) -> list[str]:
    """One-line facts the package comment carries (unresolved reason, problems, findings...)."""
    lines: list[str] = []
    if node.unresolved:
        lines.append(f"unresolved: {node.unresolved}")
    lines += [f"problem: {p}" for p in node.problems]
    if node.license:
        lines += [f"license problem: {p}" for p in node.license.problems]
    lines += [f"finding ({f.severity}, {f.kind}): {f.message}" for f in node.findings]
    if isinstance(node, ModelNode):
        if node.signature:
            lines.append(f"signature: {node.signature.status}")
        if node.remote_code and node.remote_code.needed:
            lines.append("remote code: loading needs trust_remote_code")
        if node.weights and node.weights.unsafe_only:
            lines.append("weights: only pickle-based (unsafe) formats")
    if isinstance(node, DatasetNode):
        lines.append(f"dataset purpose: {node.purpose}")
    return [printable(line) for line in lines]  # one fact per line, safe to show


def weight_file_comment(wf: WeightFile) -> str:
    """The comment of a weight file's package or file element (read back by the BOM reader)."""
    return f"weights format: {wf.format}" + ("; pickle-based (unsafe to load)" if wf.unsafe else "")


def parse_weight_file_comment(comment: str | None) -> tuple[str, bool]:
    """(format, unsafe) from ``weight_file_comment``'s text; ``other`` when absent."""
    text = comment or ""
    fmt = text.removeprefix("weights format: ").split(";", 1)[0].strip() or "other"
    return fmt, "; pickle-based (unsafe to load)" in text


def creation_time(created: datetime | None, reproducible: bool) -> datetime | None:
    """``created``, else the fixed reproducible time when asked, else ``None`` (now)."""
    if created is not None or not reproducible:
        return created
    return reproducible_time()


def document_namespace(graph: LineageGraph, created: datetime, seed: str | None) -> str:
    """The document's namespace IRI: a UUIDv5 of ``seed`` (default: the time and every node)."""
    if seed is None:
        parts = [created.isoformat()] + sorted(f"{n.key}@{n.sha}" for n in graph.nodes())
        seed = "\n".join(parts)
    name = graph.target.name if graph.target_key else "lineage"
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"mlbom:{seed}")
    return f"https://spdx.org/spdxdocs/mlbom/{sanitize_id(name[:100])}-{ident}"


# -- reading the comments back (sbom.bom_reader_spdx) -----------------------------------------
@dataclass
class NodeFacts:
    """What ``describe_node`` wrote into a package comment, decoded."""

    unresolved: str | None = None
    problems: list[str] = field(default_factory=list)
    license_problems: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    signature: SignatureInfo | None = None
    remote_code: RemoteCodeInfo | None = None
    weights: WeightsInfo | None = None
    purpose: str | None = None


def parse_node_comment(comment: str | None) -> NodeFacts:
    """The inverse of ``describe_node``: unknown lines are ignored."""
    facts = NodeFacts()
    for line in (comment or "").split("\n"):
        head, sep, value = line.partition(": ")
        if not sep:
            continue
        if head == "unresolved":
            facts.unresolved = value
        elif head == "problem":
            facts.problems.append(value)
        elif head == "license problem":
            facts.license_problems.append(value)
        elif head.startswith("finding (") and head.endswith(")"):
            severity, _, kind = head[len("finding ("):-1].partition(", ")
            facts.findings.append(Finding(kind, severity, value))
        elif head == "signature":
            facts.signature = SignatureInfo(status=value)
        elif line == "remote code: loading needs trust_remote_code":
            facts.remote_code = RemoteCodeInfo(needed=True)
        elif line == "weights: only pickle-based (unsafe) formats":
            facts.weights = WeightsInfo(unsafe_only=True)
        elif head == "dataset purpose":
            facts.purpose = value
    if facts.signature is not None and facts.signature.status == "invalid":
        # the signature annotator states an invalid signature's reason as this finding
        reason = next((f.message for f in facts.findings if f.kind == "invalid-signature"), None)
        facts.signature.reason = reason if reason != "signature invalid" else None
    return facts


def parse_license_comment(comment: str | None) -> tuple[str | None, str | None]:
    """(declared, family) from ``source: S; declared: D; family: F`` (the SPDX 2.3 comment)."""
    if not comment:
        return None, None
    body = comment.partition("; ")[2] if comment.startswith("source: ") else comment
    family = None
    if body.startswith("family: "):
        body, family = "", body[len("family: "):]
    elif "; family: " in body:
        body, _, family = body.rpartition("; family: ")
    declared = body[len("declared: "):] if body.startswith("declared: ") else None
    return declared, family


def parse_edge_comment(comment: str | None) -> tuple[Relation, list[tuple[str, str, str]]]:
    """The inverse of ``edge_comment``: the relation and (where, field, value) per evidence."""
    head, _, evidence = (comment or "").partition("; evidence: ")
    words = {"trained on": Relation.TRAINED_ON, "remote code": Relation.REMOTE_CODE}
    relation = words.get(head) or next(
        (r for r in Relation if head == f"relation: {r.value}"), Relation.UNKNOWN)
    found = []
    for item in evidence.split("; ") if evidence else []:
        where, _, rest = item.partition(":")
        field_name, sep, value = rest.partition("=")
        if sep:
            found.append((where, field_name, value))
    return relation, found
