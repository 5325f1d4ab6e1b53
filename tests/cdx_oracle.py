"""The reference CycloneDX writer: the same BOM built through cyclonedx-python-lib's model.

mlbom's writer (``sbom.cyclonedx``) emits the JSON directly, because the library's model and
serialiser cost 11 s for a 5,000-node lineage against the 3 s goal of issue 8. This module is
the previous, library-built writer, kept as the oracle: ``tests/test_cyclonedx_oracle.py``
checks that both give the same document for every fixture model and for synthetic graphs.
"""

from __future__ import annotations

import json
from typing import Any

from lineage import __version__
from lineage.graph import CodeNode, DatasetNode, LicenseInfo, LineageGraph, ModelNode, Node
from lineage.ids import node_hub_url as hub_url
from lineage.ids import node_purl
from sbom.cyclonedx import (
    _dataset_data,
    _is_http_url,
    _model_card,
    _node_properties,
)


def _licenses(lic: LicenseInfo | None) -> list[Any]:
    from cyclonedx.model import XsUri
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from cyclonedx.spdx import is_supported_id

    if lic is None:
        return []
    if lic.spdx:
        if is_supported_id(lic.spdx):
            return [DisjunctiveLicense(id=lic.spdx)]
        return [LicenseExpression(lic.spdx)]
    if lic.name or lic.hub_id:
        url = XsUri(lic.url) if lic.url and _is_http_url(lic.url) else None
        return [DisjunctiveLicense(name=lic.name or lic.hub_id, url=url)]
    return []


def _component(graph: LineageGraph, node: Node) -> Any:
    from cyclonedx.model import (
        ExternalReference,
        ExternalReferenceType,
        HashAlgorithm,
        HashType,
        Property,
        XsUri,
    )
    from cyclonedx.model.bom_ref import BomRef
    from cyclonedx.model.component import Component, ComponentType, Pedigree
    from packageurl import PackageURL

    if isinstance(node, DatasetNode):
        ctype = ComponentType.DATA
    elif isinstance(node, CodeNode):
        ctype = ComponentType.LIBRARY
    else:
        ctype = ComponentType.MACHINE_LEARNING_MODEL
    purl = node_purl(node)
    refs = []
    url = hub_url(node)
    if url:
        refs.append(ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(url)))
    sub: list[Any] = []
    if isinstance(node, ModelNode):
        sig = node.signature
        if sig is not None and sig.file:
            target = f"{url}/blob/{node.sha or 'main'}/{sig.file}" if url else sig.file
            refs.append(ExternalReference(type=ExternalReferenceType.DIGITAL_SIGNATURE,
                                          url=XsUri(target), comment=f"status: {sig.status}"))
        if node.weights is not None:
            for wf in node.weights.files:
                hashes = [HashType(alg=HashAlgorithm.SHA_256, content=wf.sha256)] \
                    if wf.sha256 else []
                sub.append(Component(
                    type=ComponentType.FILE, name=wf.name, bom_ref=f"{node.key}#file:{wf.name}",
                    hashes=hashes,
                    properties=[Property(name="mlbom:weights:format", value=wf.format)] + (
                        [Property(name="mlbom:weights:unsafe-format", value="true")]
                        if wf.unsafe else []),
                ))
    pedigree = None
    ancestors = []
    for parent, data in graph.parents(node.key, lineage_only=True):
        ppurl = node_purl(parent)
        ancestors.append(Component(
            type=ComponentType.MACHINE_LEARNING_MODEL, name=parent.name,
            version=parent.sha or None, bom_ref=f"{node.key}#ancestor:{parent.key}",
            purl=PackageURL.from_string(ppurl) if ppurl else None,
            properties=[Property(name="mlbom:lineage:relation", value=data.relation.value)],
        ))
    if ancestors:
        pedigree = Pedigree(ancestors=ancestors)
    return Component(
        type=ctype,
        name=node.name or node.key,
        version=node.sha or None,
        bom_ref=BomRef(node.key),
        purl=PackageURL.from_string(purl) if purl else None,
        licenses=_licenses(node.license),
        external_references=refs,
        properties=[Property(name=k, value=v) for k, v in _node_properties(graph, node)],
        components=sub,
        pedigree=pedigree,
    )


def build_bom(graph: LineageGraph) -> Any:
    """The cyclonedx-python-lib ``Bom`` for ``graph`` (no modelCard/data: see module doc)."""
    from cyclonedx.contrib.this.builders import this_component as lib_component
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.dependency import Dependency

    bom = Bom()
    bom.metadata.tools.components.clear()
    bom.metadata.tools.components.add(Component(
        type=ComponentType.APPLICATION, name="mlbom", version=__version__,
        group=None, bom_ref="tool:mlbom"))
    bom.metadata.tools.components.add(lib_component())
    components = {}
    for key in sorted(graph.g.nodes):
        components[key] = _component(graph, graph.node(key))
    target_key = graph.target_key
    if target_key is None:
        raise ValueError("graph has no target")
    bom.metadata.component = components[target_key]
    for key, comp in components.items():
        if key != target_key:
            bom.components.add(comp)
    # One Dependency per node, built directly: Bom.register_dependency searches the whole
    # dependency set on every call (quadratic: 2.7 s of a 1,000-node export).
    for key in sorted(graph.g.nodes):
        bom.dependencies.add(Dependency(ref=components[key].bom_ref, dependencies=[
            Dependency(ref=components[p].bom_ref) for p in sorted(graph.g.successors(key))]))
    meta_props = [("mlbom:source", str(graph.meta.get("source", "")))]
    for k in ("endpoint", "max_depth", "offline", "trust_root"):
        if graph.meta.get(k) not in (None, ""):
            meta_props.append((f"mlbom:{k.replace('_', '-')}", str(graph.meta[k]).lower()
                               if isinstance(graph.meta[k], bool) else str(graph.meta[k])))
    for name, value in meta_props:
        bom.metadata.properties.add(Property(name=name, value=value))
    return bom




def add_vulnerabilities(bom: Any, graph: LineageGraph) -> None:
    """The advisory matches and the pickle / Hub scan findings, built through the library's
    ``Vulnerability`` model from the same facts mlbom's writer reads."""
    import hashlib

    from cyclonedx.model import Property, XsUri
    from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus as Status
    from cyclonedx.model.impact_analysis import ImpactAnalysisState
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        Vulnerability,
        VulnerabilityAdvisory,
        VulnerabilityAnalysis,
        VulnerabilityRating,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )

    from sbom.finding_kinds import kind_info

    by_id: dict[str, list[Any]] = {}
    for m in graph.meta.get("advisory_matches") or []:
        by_id.setdefault(m.advisory.id, []).append(m)
    for adv_id, matches in by_id.items():
        adv = matches[0].advisory
        targets = []
        for m in matches:
            node = graph.node(m.node_key)
            status = Status.AFFECTED if m.status == "affected" else Status.UNKNOWN
            targets.append(BomTarget(ref=node.key, versions=[
                BomTargetVersionRange(version=node.sha, status=status)] if node.sha else []))
        props = [Property(name="mlbom:advisory:source", value=adv.source)] + [
            Property(name="mlbom:advisory:path", value=" > ".join(
                graph.node(k).name for k in graph.path_to(m.node_key))) for m in matches]
        bom.vulnerabilities.add(Vulnerability(
            bom_ref=f"vuln:{adv_id}", id=adv_id, source=VulnerabilitySource(name="OSV advisory"),
            description=adv.summary or None, detail=adv.details or None, affects=targets,
            advisories=[VulnerabilityAdvisory(url=XsUri(u)) for u in adv.references
                        if _is_http_url(u)],
            analysis=VulnerabilityAnalysis(state=ImpactAnalysisState.IN_TRIAGE, detail=(
                "mlbom matched the advisory to this component's commit in the lineage; "
                "exploitability in the product is not analysed")),
            properties=props))
    severity = {"error": VulnerabilitySeverity.HIGH, "warning": VulnerabilitySeverity.MEDIUM,
                "info": VulnerabilitySeverity.INFO}
    for node in graph.nodes():
        for f in node.findings:
            if f.kind not in ("dangerous-pickle-import", "suspicious-pickle-import",
                              "hub-security-scan"):
                continue
            hub = f.kind == "hub-security-scan" or f.message.startswith("the Hub's scan")
            source = VulnerabilitySource(
                name="Hugging Face Hub security scan",
                url=XsUri("https://huggingface.co/docs/hub/security")) if hub else \
                VulnerabilitySource(name="mlbom pickle scan (picklescan)")
            tag = hashlib.sha256(f"{f.file}\x1f{f.message}".encode()).hexdigest()[:12]
            props = [Property(name="mlbom:finding:kind", value=f.kind)]
            if f.file:
                props.append(Property(name="mlbom:finding:file", value=f.file))
            bom.vulnerabilities.add(Vulnerability(
                bom_ref=f"vuln:{node.key}#{f.kind}:{tag}", id=kind_info(f.kind).rule_id,
                source=source, description=f.message, affects=[BomTarget(ref=node.key)],
                ratings=[VulnerabilityRating(severity=severity[f.severity])],
                properties=props))


def library_document(graph: LineageGraph, spec_version: str, timestamp: Any) -> dict[str, Any]:
    """The document as cyclonedx-python-lib serialises it (serial number left as zeros)."""
    import uuid

    from cyclonedx.output.json import BY_SCHEMA_VERSION
    from cyclonedx.schema import SchemaVersion

    bom = build_bom(graph)
    add_vulnerabilities(bom, graph)
    bom.metadata.timestamp = timestamp
    bom.serial_number = uuid.UUID(int=0)
    bom.validate = lambda: True
    writer = BY_SCHEMA_VERSION[SchemaVersion.from_version(spec_version)](bom)
    doc: dict[str, Any] = json.loads(writer.output_as_string())
    comps = list(doc.get("components", [])) + [doc["metadata"]["component"]]
    for comp in comps:  # the library has no model for these two: mlbom's own code adds them
        node = graph.node(comp["bom-ref"])
        if isinstance(node, ModelNode) and not node.unresolved:
            comp["modelCard"] = _model_card(graph, node)
        elif isinstance(node, DatasetNode):
            comp["data"] = _dataset_data(node)
    return doc
