"""SPDX 3.0.1 JSON-LD export of the annotated ``LineageGraph`` (AI and Dataset profiles).

Built with spdx-python-model's 3.0.1 bindings (not ``spdx_tools.spdx3``, which writes a
pre-release model). Models are ``ai_AIPackage``, datasets ``dataset_DatasetPackage``, code repos
``software_Package``; weight files are ``software_File`` elements with the Hub's LFS SHA-256
(SPDX 3 accepts SHA-256 alone, unlike 2.3). Relationships: ``descendantOf`` child → parent with
the relation and evidence in the comment, ``trainedOn`` model → dataset, ``dependsOn`` model →
remote-code repo, ``contains`` model → weight file, ``hasDeclaredLicense`` package → license
(``simplelicensing_LicenseExpression`` for SPDX expressions, ``expandedlicensing_CustomLicense``
for Hub-only licenses). Element ids are IRIs under the document namespace, seeded from node keys.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

from spdx_python_model import v3_0_1 as spdx3

from lineage.errors import ValidationFailure
from lineage.graph import (
    CodeNode,
    DatasetNode,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Node,
    Relation,
    verification_statements,
)
from lineage.ids import UniqueIds, node_hub_url, node_purl, sanitize_id, spdx_id_seed
from lineage.text_safety import escape_json_text
from sbom.spdx_common import (
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

PROFILES = ("core", "software", "ai", "dataset", "simpleLicensing", "expandedLicensing")

_RELATION_TYPE = {
    Relation.TRAINED_ON: spdx3.RelationshipType.trainedOn,
    Relation.REMOTE_CODE: spdx3.RelationshipType.dependsOn,
}


class _Builder:
    def __init__(self, graph: LineageGraph, created: datetime, seed: str | None) -> None:
        self.graph = graph
        self.ns = document_namespace(graph, created, seed)
        self.objects: list[Any] = []
        self.unique = UniqueIds()
        self.ci = spdx3.CreationInfo(specVersion="3.0.1", created=created)
        agent = spdx3.Tool(
            spdxId=f"{self.ns}/tool/mlbom", name=f"mlbom {tool_version()}", creationInfo=self.ci
        )
        org = spdx3.SoftwareAgent(
            spdxId=f"{self.ns}/agent/mlbom", name="mlbom", creationInfo=self.ci
        )
        self.ci.createdBy = [org]
        self.ci.createdUsing = [agent]
        self.objects += [agent, org]
        self.suppliers: dict[str, Any] = {}
        self.licenses: dict[str, Any] = {}

    def iri(self, kind: str, key: str) -> str:
        base = f"{self.ns}/{kind}/{spdx_id_seed(key, r'A-Za-z0-9._-')}"
        return self.unique(repr((kind, key)), base, digest_of=key)

    def supplier(self, node: Node) -> Any | None:
        name = supplier_name(node)
        if name is None:
            return None
        if name not in self.suppliers:
            org = spdx3.Organization(
                spdxId=self.iri("organization", name), name=name, creationInfo=self.ci
            )
            self.suppliers[name] = org
            self.objects.append(org)
        return self.suppliers[name]

    def license(self, info: LicenseInfo | None) -> Any | None:
        expr = license_expression(info)
        if expr is not None:
            text = str(expr)
            if text not in self.licenses:
                lic = spdx3.simplelicensing_LicenseExpression(
                    spdxId=self.iri("license", text),
                    simplelicensing_licenseExpression=text,
                    creationInfo=self.ci,
                )
                self.licenses[text] = lic
                self.objects.append(lic)
            return self.licenses[text]
        name = hub_only_license_name(info)
        if info is None or name is None:
            return None
        if f"custom:{name}" not in self.licenses:
            url = safe_url(info.url)
            pointer = f"see {url}" if url else "see the license file or card of the repository"
            custom = spdx3.expandedlicensing_CustomLicense(
                spdxId=self.iri("license", "LicenseRef-" + sanitize_id(name[:80])),
                name=name,
                simplelicensing_licenseText=(
                    f"The license text is not included in this document; {pointer}."
                ),
                creationInfo=self.ci,
            )
            if url:
                custom.expandedlicensing_seeAlso = [url]
            if info.hub_id:
                custom.comment = f"Hub license id: {info.hub_id}"
            self.licenses[f"custom:{name}"] = custom
            self.objects.append(custom)
        return self.licenses[f"custom:{name}"]

    def package(self, node: Node) -> Any:
        iri = self.iri(node.kind, node.key)
        common: dict[str, Any] = {
            "spdxId": iri,
            "name": node.name[:400] or node.key,
            "creationInfo": self.ci,
            "software_downloadLocation": node_hub_url(node, exact=True),
            "software_homePage": node_hub_url(node, exact=True),
            "software_packageVersion": (node.sha or node.revision or None),
            "software_packageUrl": node_purl(node, exact=True),
        }
        lines = describe_node(node)
        if lines:
            common["comment"] = "\n".join(lines)
        supplier = self.supplier(node)
        if supplier is not None:
            common["suppliedBy"] = supplier
        common = {k: v for k, v in common.items() if v is not None}
        pkg: Any
        if isinstance(node, ModelNode):
            pkg = spdx3.ai_AIPackage(
                software_primaryPurpose=spdx3.software_SoftwarePurpose.model, **common
            )
            if node.architecture:
                pkg.ai_typeOfModel = [node.architecture[:200]]
            if node.task:
                pkg.ai_informationAboutApplication = f"task: {node.task[:200]}"
            datasets = [p.name for p, d in self.graph.parents(node.key)
                        if d.relation is Relation.TRAINED_ON]
            if datasets:
                pkg.ai_informationAboutTraining = "trained on: " + ", ".join(datasets)
        elif isinstance(node, DatasetNode):
            pkg = spdx3.dataset_DatasetPackage(
                software_primaryPurpose=spdx3.software_SoftwarePurpose.data,
                dataset_datasetType=[spdx3.dataset_DatasetType.noAssertion],
                **common,
            )
            if node.purpose:
                pkg.dataset_intendedUse = node.purpose
        else:
            assert isinstance(node, CodeNode)
            pkg = spdx3.software_Package(
                software_primaryPurpose=spdx3.software_SoftwarePurpose.source, **common
            )
        self.objects.append(pkg)
        return pkg

    def weight_files(self, node: Node) -> list[Any]:
        """One ``software_File`` per weight file with a SHA-256, in name order."""
        files = []
        for wf, digest in hashed_weight_files(node):
            f = spdx3.software_File(
                spdxId=self.iri("file", f"{node.key}/{wf.name}"),
                name=wf.name[:400],
                creationInfo=self.ci,
                verifiedUsing=[spdx3.Hash(algorithm=spdx3.HashAlgorithm.sha256, hashValue=digest)],
                comment=weight_file_comment(wf),
            )
            self.objects.append(f)
            files.append(f)
        return files

    def relationship(
        self, kind: str, src: Any, rel_type: str, dst: list[Any], comment: str | None = None
    ) -> Any:
        rel = spdx3.Relationship(
            spdxId=self.iri("relationship", kind),
            from_=src,
            to=dst,
            relationshipType=rel_type,
            creationInfo=self.ci,
        )
        if comment:
            rel.comment = comment
        self.objects.append(rel)
        return rel


def graph_to_spdx3_objects(
    graph: LineageGraph, *, created: datetime | None = None, namespace_seed: str | None = None
) -> Any:
    """The ``SHACLObjectSet`` holding the SPDX 3.0.1 document of ``graph``."""
    when = (created or datetime.now(timezone.utc)).replace(microsecond=0)
    b = _Builder(graph, when, namespace_seed)
    packages: dict[str, Any] = {}
    for node in sorted(graph.nodes(), key=lambda n: n.key):
        pkg = packages[node.key] = b.package(node)
        lic = b.license(node.license)
        if lic is not None:
            b.relationship(f"{node.key}#license", pkg, spdx3.RelationshipType.hasDeclaredLicense,
                           [lic])
        files = b.weight_files(node)
        if files:
            b.relationship(f"{node.key}#files", pkg, spdx3.RelationshipType.contains, files)

        for i, (name, value) in enumerate(verification_statements(node)):
            b.objects.append(spdx3.Annotation(  # the CycloneDX property, as an annotation
                spdxId=b.iri("annotation", f"{node.key}#verification-{i}"), creationInfo=b.ci,
                annotationType=spdx3.AnnotationType.other, subject=pkg,
                statement=f"{name} {value}"))

    for child, parent, data in sorted(graph.edges(), key=lambda e: (e[0], e[1])):
        rel_type = _RELATION_TYPE.get(data.relation, spdx3.RelationshipType.descendantOf)
        b.relationship(
            f"{child}->{parent}", packages[child], rel_type, [packages[parent]],
            edge_comment(data.relation, [str(e)[:300] for e in data.evidence]),
        )

    roots = [packages[graph.target_key]] if graph.target_key else list(packages.values())[:1]
    target_name = graph.target.name if graph.target_key else "lineage"
    sbom = spdx3.software_Sbom(
        spdxId=f"{b.ns}/sbom",
        name=f"mlbom lineage of {target_name[:200]}",
        creationInfo=b.ci,
        rootElement=roots,
        element=list(b.objects),
        software_sbomType=[spdx3.software_SbomType.analyzed],
        profileConformance=[getattr(spdx3.ProfileIdentifierType, p) for p in PROFILES],
    )
    document = spdx3.SpdxDocument(
        spdxId=f"{b.ns}/document",
        name=f"mlbom lineage of {target_name[:200]}",
        creationInfo=b.ci,
        rootElement=[sbom],
        element=[sbom, *b.objects],
        profileConformance=[getattr(spdx3.ProfileIdentifierType, p) for p in PROFILES],
        dataLicense=b.license(LicenseInfo(spdx="CC0-1.0")),
    )
    return spdx3.SHACLObjectSet([document, sbom, *b.objects])


def write_spdx3_json(
    graph: LineageGraph,
    *,
    created: datetime | None = None,
    namespace_seed: str | None = None,
    reproducible: bool = False,
) -> str:
    """The SPDX 3.0.1 JSON-LD document of ``graph``.

    Raises ``ValidationFailure`` when spdx-python-model rejects a value or a reference does not
    resolve inside the document. Equal graphs with equal ``created`` (or ``reproducible``: see
    ``sbom.spdx2.write_spdx23_json``) give equal output.
    """
    subject = graph.target.name if graph.target_key else None
    created = creation_time(created, reproducible)
    try:
        objects = graph_to_spdx3_objects(graph, created=created, namespace_seed=namespace_seed)
        missing = objects.link()
        if missing:
            raise ValidationFailure(
                f"SPDX 3 document refers to missing elements: {sorted(missing)[:3]}",
                subject=subject,
            )
        out = io.BytesIO()
        spdx3.JSONLDSerializer().write(objects, out, indent=2, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValidationFailure(f"SPDX 3 document is invalid: {exc}", subject=subject) from exc
    return escape_json_text(out.getvalue().decode("utf-8")) + "\n"
