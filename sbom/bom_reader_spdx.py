"""Read mlbom's own SPDX 2.3 and SPDX 3.0.1 documents back into a ``LineageGraph``.

``sbom.bom_reader.read_bom`` is the one entry point (it checks size and nesting first and picks
the format); this module turns an already-parsed SPDX document into the same graph the
CycloneDX reader gives for the same lineage, as far as the SPDX document records it:

- node keys come back by trying each key form (``model:``, ``local:``, ``invalid:``, ``cycle:``)
  against the document's SPDX ids, through the one id rule in ``lineage.ids``;
- the package comment lines and relationship comments are decoded by ``sbom.spdx_common``,
  beside the functions that write them;
- what SPDX does not carry (Hub activity, signer details, GGUF keys, remote-code modules, the
  requested revision) stays empty, as it would for a CycloneDX BOM without those properties.

Anything that does not follow mlbom's SPDX output raises ``InputError`` in one line.
"""

from __future__ import annotations

import hashlib
from typing import Any

from lineage.errors import InputError
from lineage.graph import (
    CodeNode,
    DatasetNode,
    Evidence,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Node,
    WeightFile,
    WeightsInfo,
)
from lineage.ids import cycle_key, invalid_key, local_key, node_key, spdx_id_seed
from lineage.refs import is_valid_repo_id
from sbom.spdx_common import (
    NodeFacts,
    parse_edge_comment,
    parse_license_comment,
    parse_node_comment,
    parse_weight_file_comment,
)

_KIND_BY_SUMMARY = {"machine-learning model": "model", "dataset": "dataset", "remote code": "code"}
_KIND_BY_TYPE3 = {"ai_AIPackage": "model", "dataset_DatasetPackage": "dataset",
                  "software_Package": "code"}


def key_candidates(kind: str, name: str, unresolved: str | None) -> list[str]:
    """The node keys a package named ``name`` may have, most likely first."""
    first = {"local-path": local_key(name), "invalid-id": invalid_key(name),
             "cycle": cycle_key(name)}.get(unresolved or "")
    rest = [node_key(kind, name), local_key(name), invalid_key(name), cycle_key(name)]
    return [first, *rest] if first else rest


def recover_key(ident_base: str, ident: str, kind: str, name: str, unresolved: str | None,
                allowed: str = r"A-Za-z0-9.-") -> str:
    """The key whose id (``ident_base`` + seed, maybe + digest) is ``ident``, else ``ident``."""
    for key in key_candidates(kind, name, unresolved):
        base = ident_base + spdx_id_seed(key, allowed)
        if ident in (base, f"{base}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"):
            return key
    return ident


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value and value != "NOASSERTION" else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects in ``value`` when it is a list; anything else holds none."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _first_str(value: Any) -> str | None:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], str) else None


def _ends(rel: dict[str, Any], src_field: str, dst_field: str, label: str
          ) -> tuple[str, str, list[str]]:
    """(from, type, to) of a relationship; ``InputError`` unless they are ids."""
    src, rtype, dst = rel.get(src_field), rel.get("relationshipType"), rel.get(dst_field)
    targets = dst if isinstance(dst, list) else [dst]
    ids = [t for t in targets if isinstance(t, str)]
    if not isinstance(src, str) or not isinstance(rtype, str) or len(ids) != len(targets):
        raise InputError(f"{label}: a relationship's ends or type are not ids")
    return src, rtype, ids


def _objects(value: Any, what: str, label: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"{label}: {what} must be a list of objects")
    return value


def build_node(kind: str, key: str, name: str, version: str | None, facts: NodeFacts,
               license_info: LicenseInfo | None, is_target: bool) -> Node:
    """A node as the CycloneDX reader builds it: the version is the sha of a resolved node and
    the requested revision of an unresolved one."""
    repo_id = name if is_valid_repo_id(name) and facts.unresolved not in (
        "local-path", "invalid-id") else None
    common: dict[str, Any] = {
        "key": key, "name": name, "repo_id": repo_id,
        "sha": version if facts.unresolved is None else None, "revision": version,
        "unresolved": facts.unresolved, "problems": facts.problems, "license": license_info,
        "findings": facts.findings,
    }
    if kind == "dataset":
        return DatasetNode(**common, purpose=facts.purpose or "training")
    if kind == "code":
        return CodeNode(**common)
    return ModelNode(**common, is_target=is_target, signature=facts.signature,
                     remote_code=facts.remote_code, weights=facts.weights)


def _license_info(spdx: str | None, comment: str | None, problems: list[str],
                  custom: dict[str, Any] | None) -> LicenseInfo | None:
    info = LicenseInfo(source="bom")
    if custom is not None:
        info.name, info.url, info.hub_id = custom["name"], custom.get("url"), custom.get("hub_id")
    elif spdx:
        info.spdx = spdx
    info.declared, info.family = parse_license_comment(comment)
    info.problems = problems
    return None if info == LicenseInfo(source="bom") else info


def _add_edge(graph: LineageGraph, child: str, parent: str, comment: str | None,
              label: str) -> None:
    relation, evidence = parse_edge_comment(comment)
    if child == parent or graph.would_close_cycle(child, parent):
        raise InputError(f"{label}: relationship {child} -> {parent} closes a cycle")
    found = []
    for where, field, value in evidence:
        source = guess_evidence_source(where, field)
        found.append(Evidence(source, None if where == source else where, field, value))
    found.sort(key=lambda e: f"{e.source}:{e}")
    graph.add_edge(child, parent, relation, found)


def _attach_file(graph: LineageGraph, key: str, wf: WeightFile) -> None:
    node = graph.node(key)
    if not isinstance(node, ModelNode):
        return
    if node.weights is None:
        node.weights = WeightsInfo()
    node.weights.files.append(wf)


def _weight_file(name: str, sha256: str | None, comment: str | None) -> WeightFile:
    fmt, unsafe = parse_weight_file_comment(comment)
    return WeightFile(name=name, format=fmt, sha256=sha256, unsafe=unsafe)


def _with_known_facts(info: LicenseInfo | None) -> LicenseInfo | None:
    """What SPDX does not carry about a license (SPDX 3: the family; both: the Hub id) from
    the license knowledge base, the same table the license annotator read them from."""
    from lineage.licenses import FAMILIES, FAMILY_ORDER, facts_for_info

    known = facts_for_info(info)
    if info is None:
        return None
    if not known:
        info.family = info.family or "unknown"
        return info
    if info.family is None:
        families = [f.family for f in known]
        info.family = min(families, key=lambda f: FAMILY_ORDER.index(f) if f in FAMILIES else 0)
    if info.hub_id is None and len(known) == 1:
        info.hub_id = known[0].hub_id
    return info


def guess_evidence_source(where: str, field: str) -> str:
    """The parser that wrote an evidence whose text is ``where:field=value``.

    SPDX comments keep the text, not the source, and the CycloneDX reader orders an edge's
    evidence by source: guessing it back from the file and field gives the same order.
    """
    if "." not in where:
        return where  # no file: the text starts with the source itself (hub-tags, ...)
    if field == "base_model_name_or_path":
        return "adapter_config"
    if where == "config.json":
        return "config"
    if where.lower().endswith(".gguf"):
        return "gguf"
    if where.startswith("mergekit_config."):
        return "mergekit"
    return "card" if field in ("base_model", "datasets") else "card-mergekit"


# -- SPDX 2.3 ---------------------------------------------------------------------------------
def read_spdx23(doc: dict[str, Any], label: str) -> LineageGraph:
    """The graph recorded in an SPDX 2.3 JSON document written by mlbom."""
    rels = _objects(doc.get("relationships"), "relationships", label)
    ends = [_ends(r, "spdxElementId", "relatedSpdxElement", label) for r in rels]
    described = [dst[0] for _, rtype, dst in ends if rtype == "DESCRIBES"]
    extracted = {str(e.get("licenseId")): _extracted(e) for e in
                 _objects(doc.get("hasExtractedLicensingInfos"), "hasExtractedLicensingInfos",
                          label)}
    graph, keys, files = LineageGraph(), {}, {}
    graph.meta["read_from"] = label
    for pkg in _objects(doc.get("packages"), "packages", label):
        sid, name = pkg.get("SPDXID"), _str(pkg.get("name"))
        if not isinstance(sid, str) or name is None:
            raise InputError(f"{label}: a package has no SPDXID or name")
        if pkg.get("primaryPackagePurpose") == "FILE":
            files[sid] = pkg
            continue
        kind = _KIND_BY_SUMMARY.get(str(pkg.get("summary")))
        if kind is None:
            continue  # not a package mlbom writes for a node
        facts = parse_node_comment(_str(pkg.get("comment")))
        key = recover_key("SPDXRef-", sid, kind, name, facts.unresolved)
        declared = _str(pkg.get("licenseDeclared")) or ""
        lic = _with_known_facts(_license_info(declared, _str(pkg.get("licenseComments")),
                                              facts.license_problems, extracted.get(declared)))
        node = build_node(kind, key, name, _str(pkg.get("versionInfo")), facts, lic,
                          sid in described[:1])
        if key in graph:
            raise InputError(f"{label}: package {name[:120]!r} appears twice")
        graph.add_node(node)
        keys[sid] = key
    if not described or described[0] not in keys:
        raise InputError(f"{label}: the document DESCRIBES no model package (the target)")
    for rel, (src, rtype, dst) in zip(rels, ends, strict=True):
        _spdx23_relationship(graph, (src, rtype, dst[0], _str(rel.get("comment"))), keys, files,
                             label)
    return graph


def _extracted(entry: dict[str, Any]) -> dict[str, Any]:
    comment = _str(entry.get("comment")) or ""
    return {"name": _str(entry.get("name")),
            "url": _first_str(entry.get("seeAlsos")) or _first_str(entry.get("crossRefs")),
            "hub_id": comment.removeprefix("Hub license id: ") if comment else None}


def _spdx23_relationship(graph: LineageGraph, rel: tuple[str, str, str, str | None],
                         keys: dict[str, str], files: dict[str, dict[str, Any]],
                         label: str) -> None:
    src, rtype, dst, comment = rel
    if rtype == "CONTAINS" and src in keys and dst in files:
        f = files[dst]
        digest = next((_str(c.get("checksumValue")) for c in _dicts(f.get("checksums"))
                       if c.get("algorithm") == "SHA256"), None)
        name = _str(f.get("packageFileName")) or _str(f.get("name")) or dst
        _attach_file(graph, keys[src], _weight_file(name, digest, _str(f.get("comment"))))
    elif rtype in ("DESCENDANT_OF", "VARIANT_OF", "DEPENDS_ON"):
        if src not in keys or dst not in keys:
            raise InputError(f"{label}: relationship {src[:80]} -> {dst[:80]} names "
                             "an unknown package")
        _add_edge(graph, keys[src], keys[dst], comment, label)


# -- SPDX 3.0.1 -------------------------------------------------------------------------------
def read_spdx3(doc: dict[str, Any], label: str) -> LineageGraph:
    """The graph recorded in an SPDX 3.0.1 JSON-LD document written by mlbom."""
    objects = _objects(doc.get("@graph"), "@graph", label)
    by_id = {o["spdxId"]: o for o in objects if isinstance(o.get("spdxId"), str)}
    sbom = next((o for o in objects if o.get("type") == "software_Sbom"), None)
    root = _first_str(sbom.get("rootElement")) if sbom is not None else None
    if sbom is None or root is None:
        raise InputError(f"{label}: SPDX 3 document has no software_Sbom with a root element")
    ns = str(sbom.get("spdxId", "")).removesuffix("/sbom")
    rels = [(_ends(o, "from", "to", label), _str(o.get("comment"))) for o in objects
            if o.get("type") == "Relationship"]
    licenses = {src: by_id.get(to[0]) for (src, rtype, to), _ in rels
                if rtype == "hasDeclaredLicense" and to}
    graph, keys = LineageGraph(), {}
    graph.meta["read_from"] = label
    for obj in objects:
        kind = _KIND_BY_TYPE3.get(str(obj.get("type")))
        if kind is None:
            continue
        if not isinstance(obj.get("spdxId"), str):
            raise InputError(f"{label}: a package has no spdxId")
        node = _spdx3_node(obj, kind, ns, licenses.get(obj["spdxId"]), obj["spdxId"] == root)
        if node.key in graph:
            raise InputError(f"{label}: package {node.name[:120]!r} appears twice")
        graph.add_node(node)
        keys[obj["spdxId"]] = node.key
    if root not in keys:
        raise InputError(f"{label}: the SBOM's root element is not a package mlbom wrote")
    for (src, rtype, to), comment in rels:
        _spdx3_relationship(graph, (src, rtype, to, comment), keys, by_id, label)
    return graph


def _spdx3_node(obj: dict[str, Any], kind: str, ns: str, lic: dict[str, Any] | None,
                is_target: bool) -> Node:
    name = _str(obj.get("name")) or str(obj["spdxId"])
    facts = parse_node_comment(_str(obj.get("comment")))
    key = recover_key(f"{ns}/{kind}/", str(obj["spdxId"]), kind, name, facts.unresolved,
                      r"A-Za-z0-9._-")
    custom = None
    spdx = None
    if lic is not None and lic.get("type") == "expandedlicensing_CustomLicense":
        comment = _str(lic.get("comment")) or ""
        custom = {"name": _str(lic.get("name")),
                  "url": _first_str(lic.get("expandedlicensing_seeAlso")),
                  "hub_id": comment.removeprefix("Hub license id: ") if comment else None}
    elif lic is not None:
        spdx = _str(lic.get("simplelicensing_licenseExpression"))
    info = _with_known_facts(_license_info(spdx, None, facts.license_problems, custom))
    node = build_node(kind, key, name, _str(obj.get("software_packageVersion")), facts, info,
                      is_target)
    if isinstance(node, ModelNode):
        task = _str(obj.get("ai_informationAboutApplication")) or ""
        node.task = task.removeprefix("task: ") or None
        node.architecture = _first_str(obj.get("ai_typeOfModel"))
    if isinstance(node, DatasetNode):
        node.purpose = _str(obj.get("dataset_intendedUse")) or node.purpose
    return node


def _spdx3_relationship(graph: LineageGraph, rel: tuple[str, str, list[str], str | None],
                        keys: dict[str, str], by_id: dict[str, dict[str, Any]],
                        label: str) -> None:
    src, rtype, targets, comment = rel
    if rtype == "contains" and src in keys:
        for fid in targets:
            f = by_id.get(fid, {})
            digest = next((_str(h.get("hashValue")) for h in _dicts(f.get("verifiedUsing"))
                           if h.get("algorithm") == "sha256"), None)
            name = _str(f.get("name")) or fid
            _attach_file(graph, keys[src], _weight_file(name, digest, _str(f.get("comment"))))
    elif rtype in ("descendantOf", "trainedOn", "dependsOn"):
        for dst in targets:
            if src not in keys or dst not in keys:
                raise InputError(f"{label}: relationship {src[:80]} -> {dst[:80]} "
                                 "names an unknown package")
            _add_edge(graph, keys[src], keys[dst], comment, label)
