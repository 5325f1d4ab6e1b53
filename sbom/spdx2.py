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
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from license_expression import LicenseExpression
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
from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

from lineage.errors import ValidationFailure
from lineage.graph import (
    LINEAGE_RELATIONS,
    LicenseInfo,
    LineageGraph,
    Node,
    Relation,
    verification_statements,
)
from lineage.ids import (
    UniqueIds,
    file_ref,
    hub_file_url,
    node_hub_url,
    node_purl,
    node_ref,
    spdx_id_seed,
)
from lineage.ids import sanitize_id as sanitize_id
from lineage.text_safety import escape_json_text
from sbom.spdx_common import (
    LICENSING,
    TOOL_NAME,
    creation_time,
    describe_node,
    document_namespace,
    edge_comment,
    hashed_weight_files,
    hub_only_license_name,
    license_expression,
    safe_url,
    supplier_name,
    tool_version,
    weight_file_comment,
)

# -- the document -----------------------------------------------------------------------------


def graph_to_spdx23(
    graph: LineageGraph, *, created: datetime | None = None, namespace_seed: str | None = None
) -> Document:
    """Build the SPDX 2.3 document of ``graph`` (not validated: see ``write_spdx23_json``).

    Equal graphs with equal ``created`` and ``namespace_seed`` give equal documents; without
    ``created`` the document is stamped with the current time (whole seconds, UTC).
    """
    when = (created or datetime.now(timezone.utc)).replace(microsecond=0)
    unique = UniqueIds()

    def ids(key: str) -> str:
        return unique(key, "SPDXRef-" + spdx_id_seed(key))

    keys = sorted(n.key for n in graph.nodes())
    for key in keys:
        ids(key)
    doc = Document(_creation_info(graph, when, namespace_seed))
    extracted: dict[str, ExtractedLicensingInfo] = {}
    for key in keys:
        node = graph.node(key)
        package = _package(node, ids(key), extracted)
        doc.packages.append(package)
        for file_package in _weight_packages(node, package, ids):
            doc.packages.append(file_package)
            doc.relationships.append(
                Relationship(ids(key), RelationshipType.CONTAINS, file_package.spdx_id)
            )
    if graph.target_key:
        doc.relationships.insert(
            0, Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, ids(graph.target_key))
        )
    for child, parent, data in sorted(graph.edges(), key=lambda e: (e[0], e[1])):
        comment = edge_comment(data.relation, [str(e)[:300] for e in data.evidence])
        doc.relationships.append(
            Relationship(ids(child), _relationship_type(data.relation), ids(parent), comment)
        )
    doc.extracted_licensing_info = [extracted[k] for k in sorted(extracted)]
    tool = Actor(ActorType.TOOL, f"{TOOL_NAME}-{tool_version()}")
    for key in keys:  # lineage verification: the CycloneDX property, as an annotation
        for name, value in verification_statements(graph.node(key)):
            doc.annotations.append(Annotation(ids(key), AnnotationType.OTHER, tool, when,
                                              f"{name} {value}"))
    return doc


def _creation_info(graph: LineageGraph, when: datetime, seed: str | None) -> CreationInfo:
    target_name = graph.target.name if graph.target_key else "lineage"
    return CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"mlbom lineage of {target_name[:200]}",
        document_namespace=document_namespace(graph, when, seed),
        creators=[Actor(ActorType.TOOL, f"{TOOL_NAME}-{tool_version()}")],
        created=when,
        data_license="CC0-1.0",
    )


def _relationship_type(relation: Relation) -> RelationshipType:
    """Lineage is ``DESCENDANT_OF`` (``VARIANT_OF`` when unknown); data and code ``DEPENDS_ON``."""
    if relation not in LINEAGE_RELATIONS:
        return RelationshipType.DEPENDS_ON
    return RelationshipType.VARIANT_OF if relation is Relation.UNKNOWN else \
        RelationshipType.DESCENDANT_OF


def _weight_packages(node: Node, package: Package, ids: Callable[[str], str]) -> list[Package]:
    """One ``FILE`` package per weight file with a SHA-256, in name order."""
    out = []
    for wf, digest in hashed_weight_files(node):
        out.append(Package(
            spdx_id=ids(file_ref(node.key, wf.name)),
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
            comment=weight_file_comment(wf),
        ))
    return out


def _file_url(node: Node, filename: str) -> str | None:
    ref = node_ref(node, exact=True)
    return safe_url(hub_file_url(ref, filename)) if ref is not None else None


def _package(node: Node, spdx_id: str, extracted: dict[str, ExtractedLicensingInfo]) -> Package:
    supplier = supplier_name(node)
    version = node.sha or node.revision or "NOASSERTION"
    refs: list[ExternalPackageRef] = []
    purl = node_purl(node, exact=True)
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
        download_location=node_hub_url(node, exact=True) or SpdxNoAssertion(),
        version=version[:200],
        supplier=Actor(ActorType.ORGANIZATION, supplier) if supplier else SpdxNoAssertion(),
        files_analyzed=False,
        homepage=safe_url(node_hub_url(node, exact=True)) or SpdxNoAssertion(),
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
    return LICENSING.parse(license_id)


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
    return escape_json_text(out.getvalue()) + "\n"
