"""SPDX 2.3 export of the annotated ``LineageGraph``, built with spdx-tools.

Every model, dataset and code repo becomes a ``Package``; its SPDXID is seeded from the node key
(``model:org/name`` → ``SPDXRef-model-org-name``), so equal graphs give equal ids. Lineage edges
become ``DESCENDANT_OF`` child → parent (``VARIANT_OF`` when the relation is unknown) with the
relation and evidence in the relationship comment; training data and remote code become
``DEPENDS_ON`` commented "trained on" / "remote code". Hub-only licenses become ``LicenseRef-``
ids with ``ExtractedLicensingInfo`` carrying the name and URL.

Weight files become packages of their own (purpose ``FILE``, ``CONTAINS`` from the model) that
carry the Hub's LFS SHA-256. Not SPDX ``File`` elements: SPDX 2.3 requires every file to have a
SHA-1, which the Hub does not give for file contents. Not package checksums of the model either:
a package checksum is the digest of *the* package file, and a model repo has many files.

``write_spdx23_json`` validates the whole document with spdx-tools before returning it; any
message raises ``ValidationFailure`` so an invalid document is never written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

from license_expression import ExpressionError, LicenseExpression, get_spdx_licensing
from packageurl import PackageURL
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.annotation import Annotation, AnnotationType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    PackagePurpose,
)
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.validation import package_validator, spdx_id_validators
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.validation.uri_validators import validate_url
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from lineage.errors import ValidationFailure
from lineage.graph import (
    LINEAGE_RELATIONS,
    DatasetNode,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Node,
    Relation,
)
from lineage.refs import is_commit_sha, is_valid_repo_id
from lineage.verify.annotate import verification_statements
from sbom.reproducible import reproducible_time

HUB_URL = "https://huggingface.co"
TOOL_NAME = "mlbom"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_licensing = get_spdx_licensing()


def _tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("mlbom")
    except Exception:  # noqa: BLE001 - not installed (running from a checkout)
        return "0.1.0"


# -- helpers shared with the SPDX 3 writer ----------------------------------------------------


def sanitize_id(text: str, allowed: str = r"A-Za-z0-9.-") -> str:
    """``text`` with every character outside ``allowed`` replaced by ``-`` (runs collapsed)."""
    out = re.sub(rf"[^{allowed}]+", "-", text).strip("-")
    return out or "x"


def hub_page_url(node: Node) -> str | None:
    """The Hub page of a resolved node (pinned to its commit when known), else ``None``."""
    if not node.resolved or not node.repo_id or not is_valid_repo_id(node.repo_id):
        return None
    base = f"{HUB_URL}/datasets/{node.repo_id}" if isinstance(node, DatasetNode) else (
        f"{HUB_URL}/{node.repo_id}"
    )
    return f"{base}/tree/{node.sha}" if node.sha and is_commit_sha(node.sha) else base


def hf_purl(node: Node) -> str | None:
    """``pkg:huggingface/<namespace>/<name>@<sha>`` for models and code repos on the Hub."""
    if isinstance(node, DatasetNode) or not node.repo_id or not is_valid_repo_id(node.repo_id):
        return None
    if not node.resolved:
        return None
    namespace, _, name = node.repo_id.rpartition("/")
    version = node.sha if node.sha and is_commit_sha(node.sha) else None
    return str(PackageURL("huggingface", namespace or None, name, version).to_string())


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
    return url if not validate_url(url) else None


def license_expression(info: LicenseInfo | None) -> LicenseExpression | None:
    """The SPDX expression of ``info`` when every symbol in it is a listed SPDX id."""
    if info is None or not info.spdx:
        return None
    try:
        expr = _licensing.parse(info.spdx, validate=True, strict=True)
    except ExpressionError:
        return None
    if expr is None or _licensing.unknown_license_keys(expr):
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
    return lines


def creation_time(created: datetime | None, reproducible: bool) -> datetime | None:
    """``created``, else the fixed reproducible time when asked, else ``None`` (now)."""
    if created is not None or not reproducible:
        return created
    return reproducible_time()


# -- the document -----------------------------------------------------------------------------


class _Ids:
    """Deterministic, collision-free SPDXIDs from node keys."""

    def __init__(self) -> None:
        self.used: dict[str, str] = {}
        self.taken: set[str] = set()  # the ids handed out (a set: 13,000 lookups per export)

    def __call__(self, key: str) -> str:
        if key in self.used:
            return self.used[key]
        base = "SPDXRef-" + sanitize_id(key[:150])
        spdx_id = base
        if spdx_id in self.taken:
            spdx_id = f"{base}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"
        self.used[key] = spdx_id
        self.taken.add(spdx_id)
        return spdx_id


def _namespace(graph: LineageGraph, created: datetime, seed: str | None) -> str:
    if seed is None:
        parts = [created.isoformat()] + sorted(f"{n.key}@{n.sha}" for n in graph.nodes())
        seed = "\n".join(parts)
    name = graph.target.name if graph.target_key else "lineage"
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"mlbom:{seed}")
    return f"https://spdx.org/spdxdocs/mlbom/{sanitize_id(name[:100])}-{ident}"


def graph_to_spdx23(
    graph: LineageGraph, *, created: datetime | None = None, namespace_seed: str | None = None
) -> Document:
    """Build the SPDX 2.3 document of ``graph`` (not validated: see ``write_spdx23_json``).

    Equal graphs with equal ``created`` and ``namespace_seed`` give equal documents; without
    ``created`` the document is stamped with the current time (whole seconds, UTC).
    """
    when = (created or datetime.now(timezone.utc)).replace(microsecond=0)
    ids = _Ids()
    keys = sorted(n.key for n in graph.nodes())
    for key in keys:
        ids(key)
    target_name = graph.target.name if graph.target_key else "lineage"
    creation = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"mlbom lineage of {target_name[:200]}",
        document_namespace=_namespace(graph, when, namespace_seed),
        creators=[Actor(ActorType.TOOL, f"{TOOL_NAME}-{_tool_version()}")],
        created=when,
        data_license="CC0-1.0",
    )
    doc = Document(creation)
    extracted: dict[str, ExtractedLicensingInfo] = {}

    for key in keys:
        node = graph.node(key)
        package = _package(node, ids(key), extracted)
        doc.packages.append(package)
        if isinstance(node, ModelNode) and node.weights:
            for wf in sorted(node.weights.files, key=lambda f: f.name):
                digest = file_digest_hex(wf.sha256)
                if digest is None:
                    continue
                file_id = ids(f"{key}#file:{wf.name}")
                doc.packages.append(
                    Package(
                        spdx_id=file_id,
                        name=f"{node.name}/{wf.name}"[:400],
                        download_location=_file_url(node, wf.name) or SpdxNoAssertion(),
                        version=package.version,
                        file_name=wf.name[:400],
                        supplier=package.supplier,
                        files_analyzed=False,
                        checksums=[Checksum(ChecksumAlgorithm.SHA256, digest)],
                        license_concluded=SpdxNoAssertion(),
                        license_declared=SpdxNoAssertion(),
                        copyright_text=SpdxNoAssertion(),
                        primary_package_purpose=PackagePurpose.FILE,
                        comment=f"weights format: {wf.format}"
                        + ("; pickle-based (unsafe to load)" if wf.unsafe else ""),
                    )
                )
                doc.relationships.append(
                    Relationship(ids(key), RelationshipType.CONTAINS, file_id)
                )

    if graph.target_key:
        doc.relationships.insert(
            0, Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, ids(graph.target_key))
        )
    for child, parent, data in sorted(graph.edges(), key=lambda e: (e[0], e[1])):
        if data.relation in LINEAGE_RELATIONS:
            rel_type = (
                RelationshipType.VARIANT_OF
                if data.relation is Relation.UNKNOWN
                else RelationshipType.DESCENDANT_OF
            )
        else:
            rel_type = RelationshipType.DEPENDS_ON
        comment = edge_comment(data.relation, [str(e)[:300] for e in data.evidence])
        doc.relationships.append(Relationship(ids(child), rel_type, ids(parent), comment))
    doc.extracted_licensing_info = [extracted[k] for k in sorted(extracted)]
    tool = Actor(ActorType.TOOL, f"{TOOL_NAME}-{_tool_version()}")
    for key in keys:  # lineage verification: the CycloneDX property, as an annotation
        for name, value in verification_statements(graph.node(key)):
            doc.annotations.append(Annotation(ids(key), AnnotationType.OTHER, tool, when,
                                              f"{name} {value}"))
    return doc


def _file_url(node: ModelNode, filename: str) -> str | None:
    if not node.resolved or not node.repo_id or not is_valid_repo_id(node.repo_id):
        return None
    rev = node.sha if node.sha and is_commit_sha(node.sha) else "main"
    return safe_url(f"{HUB_URL}/{node.repo_id}/resolve/{rev}/{filename}")


def _package(node: Node, spdx_id: str, extracted: dict[str, ExtractedLicensingInfo]) -> Package:
    supplier = supplier_name(node)
    version = node.sha or node.revision or "NOASSERTION"
    refs: list[ExternalPackageRef] = []
    purl = hf_purl(node)
    if purl:
        refs.append(ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl))
    declared = _declared_license(node.license, extracted)
    purpose = {
        "model": PackagePurpose.OTHER,
        "dataset": PackagePurpose.OTHER,
        "code": PackagePurpose.SOURCE,
    }[node.kind]
    summary = {"model": "machine-learning model", "dataset": "dataset", "code": "remote code"}
    comment_lines = describe_node(node)
    return Package(
        spdx_id=spdx_id,
        name=node.name[:400] or node.key,
        download_location=hub_page_url(node) or SpdxNoAssertion(),
        version=version[:200],
        supplier=Actor(ActorType.ORGANIZATION, supplier) if supplier else SpdxNoAssertion(),
        files_analyzed=False,
        homepage=safe_url(hub_page_url(node)) or SpdxNoAssertion(),
        license_concluded=SpdxNoAssertion(),
        license_declared=declared,
        license_comment=_license_comment(node.license),
        copyright_text=SpdxNoAssertion(),
        summary=summary[node.kind],
        comment="\n".join(comment_lines) if comment_lines else None,
        external_references=refs,
        primary_package_purpose=purpose,
    )


def _license_comment(info: LicenseInfo | None) -> str | None:
    if info is None or (info.declared is None and info.source == "none"):
        return None
    parts = [f"source: {info.source}"]
    if info.declared:
        parts.append(f"declared: {info.declared[:300]}")
    if info.family:
        parts.append(f"family: {info.family}")
    return "; ".join(parts)


def _declared_license(
    info: LicenseInfo | None, extracted: dict[str, ExtractedLicensingInfo]
) -> LicenseExpression | SpdxNoAssertion:
    expr = license_expression(info)
    if expr is not None:
        return expr
    name = hub_only_license_name(info)
    if info is None or name is None:
        return SpdxNoAssertion()
    license_id = "LicenseRef-" + sanitize_id(name[:80])
    if license_id in extracted and extracted[license_id].license_name != name:
        license_id += "-" + hashlib.sha256(name.encode()).hexdigest()[:10]
    if license_id not in extracted:
        url = safe_url(info.url)
        pointer = f"see {url}" if url else "see the license file or card of the repository"
        extracted[license_id] = ExtractedLicensingInfo(
            license_id=license_id,
            extracted_text=f"The license text is not included in this document; {pointer}.",
            license_name=name,
            cross_references=[url] if url else [],
            comment=f"Hub license id: {info.hub_id}" if info.hub_id else None,
        )
    return _licensing.parse(license_id)


_INDEX_LOCK = threading.Lock()


@contextlib.contextmanager
def indexed_lookups(doc: Document) -> Iterator[None]:
    """Let spdx-tools' full validation of ``doc`` look ids and relationships up in indexes.

    spdx-tools 0.8 answers "is this id in the document?" by rebuilding the list of every id,
    once per relationship, and "what does this package contain?" by filtering every
    relationship, once per package: quadratic, 288 s for a 5,000-node lineage (13,000
    packages, 14,300 relationships). The four lookups it does that way are swapped, for the
    duration of the block, for the same answers read from sets and dicts built once here; every
    check spdx-tools makes, and every message it writes, stays its own. The lookups fall back to
    the library's own functions for any other document, and are restored on exit.
    """
    from spdx_tools.spdx.model.file import File
    from spdx_tools.spdx.model.snippet import Snippet

    all_ids = frozenset(spdx_id_validators.get_list_of_all_spdx_ids(doc))
    by_origin: dict[tuple[RelationshipType, str], list[Relationship]] = {}
    by_target: dict[tuple[RelationshipType, object], list[Relationship]] = {}
    for rel in doc.relationships:
        by_origin.setdefault((rel.relationship_type, rel.spdx_element_id), []).append(rel)
        by_target.setdefault((rel.relationship_type, rel.related_spdx_element_id), []).append(rel)
    kinds: dict[str, type] = {p.spdx_id: Package for p in doc.packages}
    kinds.update((f.spdx_id, File) for f in doc.files)
    kinds.update((s.spdx_id, Snippet) for s in doc.snippets)

    originals = {
        (module, name): getattr(module, name)
        for module, name in ((spdx_id_validators, "get_list_of_all_spdx_ids"),
                             (package_validator, "filter_by_type_and_origin"),
                             (package_validator, "filter_by_type_and_target"),
                             (package_validator, "get_element_type_from_spdx_id"))
    }
    all_ids_of, from_origin, to_target, kind_of = originals.values()

    def ids(document: Document) -> object:
        return all_ids if document is doc else all_ids_of(document)

    def origin(rels: list[Relationship], rtype: RelationshipType, spdx_id: str) -> object:
        if rels is doc.relationships:
            return list(by_origin.get((rtype, spdx_id), ()))
        return from_origin(rels, rtype, spdx_id)

    def target(rels: list[Relationship], rtype: RelationshipType, spdx_id: str) -> object:
        if rels is doc.relationships:
            return list(by_target.get((rtype, spdx_id), ()))
        return to_target(rels, rtype, spdx_id)

    def kind(spdx_id: str, document: Document) -> object:
        return kinds.get(spdx_id) if document is doc else kind_of(spdx_id, document)

    with _INDEX_LOCK:
        for (module, name), replacement in zip(originals, (ids, origin, target, kind), strict=True):
            setattr(module, name, replacement)
        try:
            yield
        finally:
            for (module, name), original in originals.items():
                setattr(module, name, original)


def validate_spdx23(doc: Document) -> list[str]:
    """spdx-tools' full SPDX 2.3 validation of ``doc`` (in linear time): its messages."""
    with indexed_lookups(doc):
        return [m.validation_message for m in validate_full_spdx_document(doc, "SPDX-2.3")]


def write_spdx23_json(
    graph: LineageGraph,
    *,
    created: datetime | None = None,
    namespace_seed: str | None = None,
    reproducible: bool = False,
) -> str:
    """The SPDX 2.3 JSON document of ``graph``, validated with spdx-tools.

    Raises ``ValidationFailure`` naming the first messages when validation reports anything.
    ``reproducible`` (without ``created``) stamps the time the CycloneDX writer uses:
    ``SOURCE_DATE_EPOCH`` or the Unix epoch, so equal graphs give byte-identical files.
    """
    created = creation_time(created, reproducible)
    doc = graph_to_spdx23(graph, created=created, namespace_seed=namespace_seed)
    messages = validate_spdx23(doc)
    if messages:
        first = "; ".join(messages[:3])
        raise ValidationFailure(
            f"SPDX 2.3 document failed validation ({len(messages)} messages): {first}",
            subject=graph.target.name if graph.target_key else None,
        )
    out = io.StringIO()
    # drop_duplicates=False: it deep-copies the whole document (1.4 s at 5,000 nodes) to drop
    # repeated entries in list fields, and mlbom builds every such list without repeats.
    write_document_to_stream(doc, out, validate=False, drop_duplicates=False)
    return out.getvalue() + "\n"
