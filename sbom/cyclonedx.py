"""The CycloneDX ML-BOM writer: an annotated ``LineageGraph`` in, a validated JSON document out.

Built with cyclonedx-python-lib. That library (11.x) has no model for ``modelCard`` or for a
component's ``data``, so ``_add_model_cards_and_data`` adds those to the serialised JSON: that
is the one place where mlbom edits the library's output. Every document is validated with the
library's strict JSON validator against the official schema before it is returned; one that
fails raises ``ValidationFailure`` and is never written.

The same graph gives byte-identical output apart from ``serialNumber`` and ``timestamp``; with
``reproducible=True`` those are fixed too (timestamp from ``SOURCE_DATE_EPOCH`` when set,
serial number derived from the content). The contract is documented in README "BOM format".
"""

from __future__ import annotations

import functools
import json
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

from lineage import __version__
from lineage.errors import InputError, ValidationFailure
from lineage.graph import (
    LINEAGE_RELATIONS,
    CodeNode,
    DatasetNode,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Node,
)
from sbom.reproducible import reproducible_time

SPEC_VERSIONS = ("1.6", "1.7")
HUB = "https://huggingface.co"
MAX_PROBLEMS_PER_NODE = 20


def hub_url(node: Node) -> str | None:
    if not node.repo_id or node.unresolved in ("local-path", "invalid-id"):
        return None
    if isinstance(node, DatasetNode):
        return f"{HUB}/datasets/{node.repo_id}"
    return f"{HUB}/{node.repo_id}"


def node_purl(node: Node) -> str | None:
    """``pkg:huggingface/<namespace>/<name>@<sha>`` for models and code repos on the Hub."""
    if isinstance(node, DatasetNode) or not node.repo_id or \
            node.unresolved in ("local-path", "invalid-id"):
        return None
    from packageurl import PackageURL

    namespace, _, name = node.repo_id.rpartition("/")
    return str(PackageURL(type="huggingface", namespace=namespace or None, name=name,
                          version=node.sha or None))


def _node_properties(graph: LineageGraph, node: Node) -> list[tuple[str, str]]:
    props: list[tuple[str, str]] = []
    add = props.append
    if node.unresolved:
        add(("mlbom:lineage:unresolved", node.unresolved))
    for problem in node.problems[:MAX_PROBLEMS_PER_NODE]:
        add(("mlbom:lineage:problem", problem))
    if node.revision and node.revision != node.sha:
        add(("mlbom:lineage:requested-revision", node.revision))
    lineage_parents = graph.parents(node.key, lineage_only=True)
    if lineage_parents:
        rel = graph.lineage_relation(node.key)
        if rel:
            add(("mlbom:lineage:relation", rel))
    for parent, data in graph.parents(node.key):
        if data.relation in LINEAGE_RELATIONS:
            add(("mlbom:lineage:parent", f"{data.relation.value} {parent.key}"))
        for ev in data.evidence:
            add(("mlbom:lineage:evidence", f"{parent.key} {ev.source}:{ev}"))
    lic = node.license
    if lic is not None:
        if lic.declared is not None:
            add(("mlbom:license:declared", lic.declared))
        if lic.hub_id:
            add(("mlbom:license:hub-id", lic.hub_id))
        if lic.family:
            add(("mlbom:license:family", lic.family))
        if lic.license_file:
            add(("mlbom:license:file", lic.license_file))
        for p in lic.problems[:MAX_PROBLEMS_PER_NODE]:
            add(("mlbom:license:problem", p))
    for f in node.findings[:200]:
        where = f" {f.file}" if f.file else ""
        add(("mlbom:finding", f"{f.kind} {f.severity}{where}: {f.message}"))
    act = node.activity
    if act is not None:
        for key, value in (("downloads", act.downloads), ("likes", act.likes),
                           ("created", act.created_at), ("last-modified", act.last_modified),
                           ("gated", act.gated), ("author", act.author),
                           ("private", act.private)):
            if value is not None:
                add((f"mlbom:hub:{key}", str(value).lower() if isinstance(value, bool)
                     else str(value)))
    if isinstance(node, ModelNode):
        props.extend(_model_properties(node))
    if isinstance(node, DatasetNode) and not node.unresolved:
        add(("mlbom:dataset:purpose", node.purpose))
    if isinstance(node, CodeNode):
        for m in node.modules:
            add(("mlbom:remote-code:module", m))
    return props


def _model_properties(node: ModelNode) -> list[tuple[str, str]]:
    props: list[tuple[str, str]] = []
    add = props.append
    rc = node.remote_code
    if node.resolved or node.is_target:
        add(("mlbom:remote-code", "true" if rc and rc.needed else "false"))
    if rc:
        for m in rc.local_modules:
            add(("mlbom:remote-code:module", m))
        for m in rc.cross_repo:
            add(("mlbom:remote-code:module", m))
        for f in rc.code_files[:100]:
            add(("mlbom:remote-code:file", f))
    if node.quantization:
        add(("mlbom:quantization", node.quantization))
    if node.relation_declared:
        add(("mlbom:lineage:relation-declared", node.relation_declared))
    for k, v in sorted(node.gguf.items()):
        add((f"mlbom:gguf:{k}", str(v)))
    for ds in node.eval_datasets[:100]:
        add(("mlbom:dataset:evaluation", ds))
    w = node.weights
    if w is not None:
        for fmt in w.formats:
            add(("mlbom:weights:format", fmt))
        if w.unsafe_only:
            add(("mlbom:weights:unsafe-format", "true"))
    s = node.signature
    if s is not None:
        add(("mlbom:signature:status", s.status))
        for key, value in (("signer", s.signer), ("issuer", s.issuer), ("method", s.method),
                           ("reason", s.reason), ("trust-root", s.trust_root),
                           ("file", s.file)):
            if value:
                add((f"mlbom:signature:{key}", value))
    return props


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


def _is_http_url(value: str) -> bool:
    """An absolute http(s) URL that RFC 3986 accepts (card text is untrusted)."""
    from rfc3986_validator import validate_rfc3986

    return value.startswith(("https://", "http://")) and len(value) < 2000 and bool(
        validate_rfc3986(value, rule="URI"))


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


def _timestamp(graph: LineageGraph, reproducible: bool) -> datetime:
    if not reproducible:
        return datetime.now(tz=timezone.utc).replace(microsecond=0)
    return reproducible_time()


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


def _add_model_cards_and_data(doc: dict[str, Any], graph: LineageGraph) -> None:
    """Add ``modelCard`` to model components and ``data`` to dataset components.

    cyclonedx-python-lib 11 has no model for either, so they are added here, to the
    serialised JSON, and the whole document is schema-validated afterwards.
    """
    comps = list(doc.get("components", []))
    if "component" in doc.get("metadata", {}):
        comps.append(doc["metadata"]["component"])
    for comp in comps:
        key = comp.get("bom-ref")
        if key not in graph:
            continue
        node = graph.node(key)
        if isinstance(node, ModelNode) and not node.unresolved:
            params: dict[str, Any] = {}
            if node.task:
                params["task"] = node.task
            if node.architecture:
                params["architectureFamily"] = node.architecture
            datasets = [{"ref": p.key} for p, d in graph.parents(node.key)
                        if isinstance(p, DatasetNode)]
            if datasets:
                params["datasets"] = datasets
            comp["modelCard"] = {"bom-ref": f"{key}#model-card", "modelParameters": params}
        elif isinstance(node, DatasetNode):
            entry: dict[str, Any] = {"type": "dataset", "name": node.name}
            url = hub_url(node)
            if url:
                entry["contents"] = {"url": url}
            entry["description"] = "training data" if node.purpose == "training" else \
                node.purpose
            comp["data"] = [entry]


def _skip_lark_iri_checker() -> None:
    """Keep jsonschema from loading ``rfc3987_syntax``.

    That optional package (pulled in by jsonschema's ``format-nongpl`` extra) compiles 39 lark
    grammars when imported (4.7 s here) and then parses every ``iri-reference`` with them
    (1.8 s for a six-model BOM). Without it jsonschema still checks ``uri`` formats with
    rfc3986-validator; the only URLs mlbom writes are Hub URLs built from validated ids and
    card URLs that ``_is_http_url`` checked with that same validator.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _json_key(value: Any) -> str:
    """A canonical text for JSON equality: key order ignored, ``true`` unlike ``1``, ``1.0``
    like ``1`` (jsonschema's notion of equal)."""
    def norm(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    return json.dumps(norm(value), sort_keys=True)


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    """``uniqueItems`` in linear time. jsonschema compares objects pairwise (quadratic: 6.6 s
    of an 11 s validation of a 1,000-component BOM); equal items have equal canonical keys."""
    from jsonschema.exceptions import ValidationError

    if unique and validator.is_type(instance, "array"):
        seen: set[str] = set()
        for item in instance:
            key = _json_key(item)
            if key in seen:
                yield ValidationError(f"{instance!r} has non-unique elements"[:300])
                return
            seen.add(key)


@functools.lru_cache(maxsize=4)
def _validator(spec_version: str) -> Any:
    """cyclonedx-python-lib's strict Draft 7 validator (its schema, registry and format
    checker), with ``uniqueItems`` checked in linear time."""
    _skip_lark_iri_checker()
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from jsonschema import validators

    inner = JsonStrictValidator(SchemaVersion.from_version(spec_version))._validator
    fast = validators.extend(type(inner), {"uniqueItems": _unique_items})
    return fast(inner.schema, registry=inner._registry, format_checker=inner.format_checker)


def validate_cyclonedx_json(text: str, spec_version: str) -> None:
    """Strict schema validation; ``ValidationFailure`` names the first error."""
    error = next(_validator(spec_version).iter_errors(json.loads(text)), None)
    if error is not None:
        detail = " ".join(str(error).split())[:300]
        raise ValidationFailure(f"CycloneDX {spec_version} schema validation failed: {detail}")


def graph_to_cyclonedx_json(graph: LineageGraph, *, spec_version: str = "1.6",
                            reproducible: bool = False) -> str:
    """Serialise, complete, validate. Raises ``ValidationFailure`` for an invalid document."""
    from cyclonedx.output.json import BY_SCHEMA_VERSION
    from cyclonedx.schema import SchemaVersion

    if spec_version not in SPEC_VERSIONS:
        raise InputError(f"unsupported CycloneDX version {spec_version}; use 1.6 or 1.7")
    bom = build_bom(graph)
    bom.metadata.timestamp = _timestamp(graph, reproducible)
    bom.serial_number = uuid.UUID(int=0)
    # The writer calls the deprecated Bom.validate(), whose first step registers every
    # component's dependency entry by scanning all entries (quadratic: ~20 s at 5,000 nodes).
    # build_bom gave every node its entry and only refs to nodes of the graph, which is all
    # the rest of it checks; the full schema validation below still runs.
    bom.validate = lambda: True
    writer = BY_SCHEMA_VERSION[SchemaVersion.from_version(spec_version)](bom)
    doc = json.loads(writer.output_as_string())
    _add_model_cards_and_data(doc, graph)
    if reproducible:
        content = json.dumps(doc, sort_keys=True).encode()
        serial = uuid.uuid5(uuid.NAMESPACE_URL, "mlbom:" + _sha(content))
    else:
        serial = uuid.uuid4()
    doc["serialNumber"] = serial.urn
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    validate_cyclonedx_json(text, spec_version)
    return text


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
