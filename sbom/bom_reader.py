"""Read a BOM written by mlbom (CycloneDX, SPDX 2.3 or SPDX 3) back into a ``LineageGraph``.

This is what lets ``mlbom view BOM.json`` and ``mlbom licenses BOM.json`` work offline: every
output renders a graph, and this rebuilds the graph from the BOM contract (README "BOM format"):
components and ``metadata.component`` become nodes keyed by bom-ref, ``dependencies`` become
edges, ``mlbom:lineage:parent`` gives each model edge its relation (datasets are ``trained_on``,
code repos ``remote_code``), ``mlbom:lineage:evidence`` its evidence, and the ``mlbom:``
properties, licenses, hashes and model card fill the annotations.

Input is untrusted: at most 64 MiB, nesting at most ``MAX_DEPTH`` (checked before parsing), and
anything that does not follow the contract raises ``InputError`` with a one-line message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from lineage.capped_read import CappedReadError, read_capped
from lineage.errors import InputError
from lineage.graph import (
    Activity,
    CodeNode,
    DatasetNode,
    Evidence,
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
from lineage.refs import MAX_RAW_LENGTH, clip, is_commit_sha, is_valid_repo_id

MAX_BOM_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_QUOTED = re.compile(rb'"[^"]*"')
_NOT_SYNTAX = bytes(b for b in range(256) if b not in b'[]{}"')
_TYPES: dict[str, type[Node]] = {
    "machine-learning-model": ModelNode,
    "data": DatasetNode,
    "library": CodeNode,
}
_MODEL_FIELDS = frozenset(f.name for f in fields(ModelNode))  # once, not per node
_LINEAGE = {r.value: r for r in (Relation.FINETUNE, Relation.ADAPTER, Relation.QUANTIZED,
                                 Relation.MERGE, Relation.UNKNOWN)}


def read_bom(source: str | bytes | os.PathLike[str]) -> LineageGraph:
    """The lineage graph recorded in a BOM (a path, or the JSON text itself): an mlbom CycloneDX
    BOM, or an SPDX 2.3 / SPDX 3 document written by mlbom (``sbom.bom_reader_spdx``).

    Raises ``InputError`` for a file that is missing, too large, too deeply nested, not JSON,
    neither CycloneDX nor SPDX, or does not follow mlbom's contract (no target, dangling or
    cyclic refs).
    """
    doc, label = _parse(source)
    return read_bom_document(doc, label)


def _parse(source: str | bytes | os.PathLike[str]) -> tuple[Any, str]:
    raw, label = _read(source)
    _check_depth(raw, label)
    try:
        return orjson.loads(raw), label  # strict JSON (no NaN, no lone surrogates), 2x faster
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{label}: not valid JSON ({str(exc)[:120]})") from exc


def read_bom_document(doc: Any, label: str = "BOM") -> LineageGraph:
    """The lineage graph in an already parsed BOM: CycloneDX, or mlbom's SPDX 2.3 / SPDX 3."""
    kind = bom_kind(doc)
    if kind == "spdx-2.3":
        from sbom.bom_reader_spdx import read_spdx23

        return read_spdx23(doc, label)
    if kind == "spdx-3":
        from sbom.bom_reader_spdx import read_spdx3

        return read_spdx3(doc, label)
    if kind != "cyclonedx":
        raise InputError(f"{label}: not a CycloneDX BOM (no bomFormat CycloneDX), nor an "
                         "SPDX 2.3 or SPDX 3.0 JSON document")
    return _graph(doc, label)


def spdx_as_cyclonedx(doc: Any, label: str = "BOM") -> Any:
    """An SPDX document written by mlbom as the CycloneDX document of the same lineage, for a
    reader that speaks CycloneDX only (the inventory); any other document is returned as is."""
    if bom_kind(doc) not in ("spdx-2.3", "spdx-3"):
        return doc
    from sbom.cyclonedx import build_document
    from sbom.reproducible import reproducible_time

    return build_document(read_bom_document(doc, label), "1.6", reproducible_time())


def bom_kind(doc: Any) -> str | None:
    """``cyclonedx``, ``spdx-2.3`` or ``spdx-3`` by the document's own markers, else ``None``."""
    if not isinstance(doc, dict):
        return None
    if doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if doc.get("spdxVersion") == "SPDX-2.3":
        return "spdx-2.3"
    context = doc.get("@context")
    if isinstance(context, str) and context.startswith("https://spdx.org/rdf/3.") and \
            isinstance(doc.get("@graph"), list):
        return "spdx-3"
    return None


def _read(source: str | bytes | os.PathLike[str]) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        data, label = source, "BOM"
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        data, label = source.encode("utf-8"), "BOM"
    else:
        label = str(Path(source))
        try:
            data = read_capped(source, MAX_BOM_BYTES)
        except CappedReadError as exc:
            size = "" if exc.size is None else f"{exc.size} bytes, "
            raise InputError(exc.choose(
                unreadable=f"{label}: cannot read BOM ({exc.detail})",
                too_large=f"{label}: BOM is {size}over the 64 MiB limit")) from exc
    if len(data) > MAX_BOM_BYTES:
        raise InputError(f"{label}: BOM is over the 64 MiB limit")
    return data, label


def _check_depth(raw: bytes, label: str) -> None:
    """Reject nesting deeper than ``MAX_DEPTH`` without building anything. Escaped
    backslashes and quotes go first, then every byte but brackets and quotes (C-speed
    ``replace``/``translate``), so the string regex runs over a few hundred bytes."""
    reduced = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_SYNTAX)
    brackets = _NOT_BRACKET.sub(b"", _QUOTED.sub(b"", reduced))
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_DEPTH:
            raise InputError(f"{label}: BOM nesting is deeper than {MAX_DEPTH}")


def _obj(value: Any, what: str, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{label}: {what} must be an object")
    return value


def _list(value: Any, what: str, label: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{label}: {what} must be a list")
    return value


def _props(comp: dict[str, Any], label: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for prop in _list(comp.get("properties"), "properties", label):
        if isinstance(prop, dict) and isinstance(prop.get("name"), str):
            value = prop.get("value")
            out.setdefault(prop["name"], []).append(value if isinstance(value, str) else "")
    return out


def _first(props: dict[str, list[str]], name: str) -> str | None:
    values = props.get(name)
    return values[0] if values else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _graph(doc: dict[str, Any], label: str) -> LineageGraph:
    metadata = _obj(doc.get("metadata"), "metadata", label)
    if "component" not in metadata:
        raise InputError(f"{label}: BOM has no metadata.component (the target model)")
    target = _obj(metadata["component"], "metadata.component", label)
    comps = [target] + [
        _obj(c, "component", label) for c in _list(doc.get("components"), "components", label)
    ]
    graph = LineageGraph()
    for prop_name, values in _props(metadata, label).items():
        if prop_name.startswith("mlbom:") and values:
            graph.meta[prop_name[len("mlbom:"):].replace("-", "_")] = values[0]
    graph.meta["read_from"] = label

    props_by_key: dict[str, dict[str, list[str]]] = {}
    if _is_product(target):  # mlbom generate --scan: the product is the root of the graph
        graph.meta["product"] = str(target.get("name", ""))
    for comp in comps:
        node_type = _TYPES.get(str(comp.get("type")))
        if comp is target and _is_product(comp):
            node_type = ModelNode  # the root node; its "parents" are the models it loads
        if node_type is None:
            if comp is target:
                raise InputError(f"{label}: metadata.component is not a machine-learning-model")
            continue
        key = comp.get("bom-ref")
        if not isinstance(key, str) or not key:
            raise InputError(f"{label}: component {str(comp.get('name'))[:80]!r} has no bom-ref")
        if key in graph:
            raise InputError(f"{label}: bom-ref {key[:120]!r} appears twice")
        props = _props(comp, label)
        props_by_key[key] = props
        graph.add_node(_node(node_type, comp, key, props, comp is target, label))

    for dep in _list(doc.get("dependencies"), "dependencies", label):
        dep = _obj(dep, "dependency", label)
        child = dep.get("ref")
        if child not in graph:
            continue  # tool and file components have dependency entries too
        for parent in _list(dep.get("dependsOn"), "dependsOn", label):
            if parent not in graph:
                raise InputError(f"{label}: {child} depends on unknown bom-ref {str(parent)[:120]}")
            _add_edge(graph, str(child), str(parent), props_by_key[str(child)], label)
    for child, props in props_by_key.items():  # parents recorded only as properties
        for value in props.get("mlbom:lineage:parent", []):
            _, _, parent = value.partition(" ")
            if parent in graph and not graph.has_edge(child, parent):
                _add_edge(graph, child, parent, props, label)
    return graph


def _is_product(comp: dict[str, Any]) -> bool:
    """The root of a product BOM written by ``mlbom generate --scan``."""
    ref = comp.get("bom-ref")
    return comp.get("type") == "application" and isinstance(ref, str) and \
        ref.startswith("product:")


def _add_edge(
    graph: LineageGraph, child: str, parent: str, props: dict[str, list[str]], label: str
) -> None:
    relation = Relation.UNKNOWN
    parent_node = graph.node(parent)
    if isinstance(parent_node, DatasetNode):
        relation = Relation.TRAINED_ON
    elif isinstance(parent_node, CodeNode):
        relation = Relation.REMOTE_CODE
    for value in props.get("mlbom:lineage:parent", []):
        rel, _, key = value.partition(" ")
        if key == parent and rel in _LINEAGE:
            relation = _LINEAGE[rel]
    if child == parent or graph.would_close_cycle(child, parent):
        raise InputError(f"{label}: dependency {child} -> {parent} closes a cycle")
    graph.add_edge(child, parent, relation, list(_evidence(props, parent)))


def _evidence(props: dict[str, list[str]], parent: str) -> Iterable[Evidence]:
    """Evidence values are ``<parent key> <source>:<file or source>:<field>=<value>``."""
    for value in props.get("mlbom:lineage:evidence", []):
        if not value.startswith(parent + " "):
            continue
        rest = value[len(parent) + 1:]
        source, _, rest = rest.partition(":")
        where, _, rest = rest.partition(":")
        field, sep, raw = rest.partition("=")
        if not sep:
            continue
        yield Evidence(source, None if where == source else where, field, raw)


def _license(comp: dict[str, Any], props: dict[str, list[str]]) -> LicenseInfo | None:
    info = LicenseInfo(source="bom")
    for entry in comp.get("licenses") or []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            info.spdx = entry["expression"]
        lic = entry.get("license")
        if isinstance(lic, dict):
            if isinstance(lic.get("id"), str):
                info.spdx = lic["id"]
            if isinstance(lic.get("name"), str):
                info.name = lic["name"]
            if isinstance(lic.get("url"), str):
                info.url = lic["url"]
    info.declared = _first(props, "mlbom:license:declared")
    info.hub_id = _first(props, "mlbom:license:hub-id")
    info.family = _first(props, "mlbom:license:family")
    info.license_file = _first(props, "mlbom:license:file")
    info.problems = list(props.get("mlbom:license:problem", []))
    if info == LicenseInfo(source="bom"):
        return None
    return info


def _finding(value: str) -> Finding:
    head, _, message = value.partition(": ")
    parts = head.split(" ", 2)
    kind = parts[0] if parts else "finding"
    severity = parts[1] if len(parts) > 1 else "info"
    return Finding(kind, severity, message, parts[2] if len(parts) > 2 else None)


def _node(
    node_type: type[Node], comp: dict[str, Any], key: str, props: dict[str, list[str]],
    is_target: bool, label: str,
) -> Node:
    name = comp.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{label}: component {key[:120]} has no name")
    version = comp.get("version") if isinstance(comp.get("version"), str) else None
    unresolved = _first(props, "mlbom:lineage:unresolved")
    repo_id = name if is_valid_repo_id(name) and unresolved not in (
        "local-path", "invalid-id") else None
    common: dict[str, Any] = {
        "key": key, "name": name, "repo_id": repo_id, "sha": version or None,
        "revision": _first(props, "mlbom:lineage:requested-revision") or version or None,
        "unresolved": unresolved,
        "renamed_from": _first(props, "mlbom:lineage:renamed-from"),
        "problems": list(props.get("mlbom:lineage:problem", [])),
        "license": _license(comp, props),
        "findings": [_finding(v) for v in props.get("mlbom:finding", [])],
    }
    hub = {k[len("mlbom:hub:"):]: v[0] for k, v in props.items() if k.startswith("mlbom:hub:")}
    if hub:
        common["activity"] = Activity(
            downloads=_int(hub.get("downloads")), likes=_int(hub.get("likes")),
            created_at=hub.get("created"), last_modified=hub.get("last-modified"),
            gated=hub.get("gated"), author=hub.get("author"),
            private={"true": True, "false": False}.get(hub.get("private", "")),
        )
    if node_type is DatasetNode:
        return DatasetNode(**common, purpose=_first(props, "mlbom:dataset:purpose") or "training")
    if node_type is CodeNode:
        return CodeNode(**common, modules=list(props.get("mlbom:remote-code:module", [])))
    return _model(comp, common, props, is_target, label)


def _model(
    comp: dict[str, Any], common: dict[str, Any], props: dict[str, list[str]], is_target: bool,
    label: str,
) -> ModelNode:
    card = comp.get("modelCard")
    card = card if isinstance(card, dict) else {}
    params = card.get("modelParameters")
    params = params if isinstance(params, dict) else {}
    extra: dict[str, Any] = {
        "is_target": is_target,
        "task": params.get("task") if isinstance(params.get("task"), str) else None,
        "architecture": params.get("architectureFamily")
        if isinstance(params.get("architectureFamily"), str) else None,
        "relation_declared": _first(props, "mlbom:lineage:relation-declared"),
        "eval_datasets": list(props.get("mlbom:dataset:evaluation", [])),
        "gguf": {k[len("mlbom:gguf:"):]: v[0] for k, v in props.items()
                 if k.startswith("mlbom:gguf:")},
    }
    if "quantization" in _MODEL_FIELDS:
        extra["quantization"] = _first(props, "mlbom:quantization")
    status = _first(props, "mlbom:signature:status")
    if status:
        extra["signature"] = SignatureInfo(
            status=status, file=_first(props, "mlbom:signature:file"),
            signer=_first(props, "mlbom:signature:signer"),
            issuer=_first(props, "mlbom:signature:issuer"),
            method=_first(props, "mlbom:signature:method"),
            reason=_first(props, "mlbom:signature:reason"),
            trust_root=_first(props, "mlbom:signature:trust-root"),
        )
    remote = _first(props, "mlbom:remote-code")
    modules = props.get("mlbom:remote-code:module", [])
    code_files = props.get("mlbom:remote-code:file", [])
    if remote is not None or modules or code_files:
        extra["remote_code"] = RemoteCodeInfo(
            needed=remote == "true",
            local_modules=[m for m in modules if "--" not in m],
            cross_repo=[m for m in modules if "--" in m],
            code_files=list(code_files),
        )
    files = []
    for sub in _list(comp.get("components"), "components", label):
        if not isinstance(sub, dict) or sub.get("type") != "file":
            continue
        sub_props = _props(sub, label)
        sha256 = next((h.get("content") for h in sub.get("hashes") or []
                       if isinstance(h, dict) and h.get("alg") == "SHA-256"), None)
        fname = str(sub.get("name", ""))
        files.append(WeightFile(
            name=fname, format=_first(sub_props, "mlbom:weights:format") or "other",
            sha256=sha256 if isinstance(sha256, str) else None,
            unsafe=_first(sub_props, "mlbom:weights:unsafe-format") == "true",
        ))
    formats = list(props.get("mlbom:weights:format", []))
    if files or formats:
        extra["weights"] = WeightsInfo(
            files=files, formats=formats,
            unsafe_only=_first(props, "mlbom:weights:unsafe-format") == "true",
        )
    return ModelNode(**common, **extra)


# -- the front door for readers that need the document itself (the inventory) ---------------
def load_cyclonedx(source: str | bytes | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """The JSON object of a CycloneDX BOM (a path, or the JSON text itself) and its label,
    under the limits every BOM reader applies (those of ``read_bom``): at most 64 MiB,
    nesting at most ``MAX_DEPTH`` (checked before parsing), ``bomFormat`` CycloneDX. An SPDX
    2.3 or SPDX 3 document written by mlbom comes back as the CycloneDX document of the same
    lineage. ``InputError`` names the BOM and the problem."""
    doc, label = _parse(source)
    doc = spdx_as_cyclonedx(doc, label)
    if not isinstance(doc, dict):
        raise InputError(f"{label}: not a CycloneDX BOM: top level is not a JSON object")
    if doc.get("bomFormat") != "CycloneDX":
        raise InputError(f"{label}: not a CycloneDX BOM: bomFormat is not 'CycloneDX'")
    return doc, label


def written_by_mlbom(doc: dict[str, Any]) -> bool:
    """Whether ``metadata.tools`` names mlbom, i.e. the BOM follows mlbom's contract."""
    metadata = doc.get("metadata")
    tools = metadata.get("tools") if isinstance(metadata, dict) else None
    listed = tools.get("components") if isinstance(tools, dict) else tools
    return isinstance(listed, list) and any(
        isinstance(t, dict) and t.get("name") == "mlbom" for t in listed)


# -- lineage rows: what a store of lineages (the inventory) reads, without the annotations ---
_ROW_KINDS = {"machine-learning-model": "model", "data": "dataset", "library": "code"}
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # controls, lone surrogates
_UNUSABLE_IDS = ("local-path", "invalid-id")


class BomNode(NamedTuple):
    """One component of a BOM's lineage: ``kind`` is model, dataset, code or other;
    ``repo_id`` is lower-case (for matching), ``sha`` the full commit when the BOM pins one,
    ``version`` the version as written. Text is as ``stored_text`` leaves it."""

    bom_ref: str
    kind: str
    name: str
    repo_id: str | None = None
    sha: str | None = None
    version: str | None = None
    purl: str | None = None


class BomEdge(NamedTuple):
    """child → parent, with the ``Relation`` value (``unknown`` when the BOM does not say)."""

    child: str
    parent: str
    relation: str


@dataclass(frozen=True)
class BomLineage:
    """The lineage of one BOM as rows: nodes in document order (``root_ref``, the model the
    BOM describes, among them), edges child → parent forming a DAG. ``dropped_cycle_edges``
    counts edges of a foreign BOM left out because they closed a cycle; ``unresolved`` the
    components mlbom marked unresolved."""

    file: str
    serial: str | None
    root_ref: str
    nodes: tuple[BomNode, ...]
    edges: tuple[BomEdge, ...]
    dropped_cycle_edges: int = 0
    unresolved: int = 0


def stored_text(value: str) -> str:
    """``value`` with control characters and lone surrogates (which no UTF-8 store takes) as
    ``?``, cut to ``MAX_RAW_LENGTH``."""
    if len(value) <= MAX_RAW_LENGTH and value.isprintable():
        return value  # the common case, without the regex
    return clip(_UNSTORABLE.sub("?", value))


def read_lineage(source: str | bytes | os.PathLike[str], label: str | None = None) -> BomLineage:
    """The lineage rows of a BOM (a path, or the JSON text itself), under ``read_bom``'s
    limits, for any CycloneDX BOM and mlbom's SPDX:

    - a model BOM written by mlbom is read by its contract, like ``read_bom`` and with every
      check ``read_bom`` makes, but without building the graph and its annotations;
    - mlbom's SPDX 2.3 / SPDX 3 as the CycloneDX document of the same lineage;
    - any other CycloneDX BOM (another tool's, or a product BOM of ``generate --scan``) by its
      dependencies, pedigree and Hugging Face purls (``sbom.bom_reader_foreign``).

    ``label`` names the BOM in messages (default: its path, or ``BOM``). ``InputError`` names
    the BOM and the problem."""
    try:
        doc, read_label = _parse(source)
    except InputError as exc:  # a BOM given as text is "BOM" there: name it
        if label is None or not exc.message.startswith("BOM: "):
            raise
        raise InputError(label + exc.message[len("BOM"):]) from None
    label = label or read_label
    doc = spdx_as_cyclonedx(doc, label)
    if not isinstance(doc, dict):
        raise InputError(f"{label}: not a CycloneDX BOM: top level is not a JSON object")
    if doc.get("bomFormat") != "CycloneDX":
        raise InputError(f"{label}: not a CycloneDX BOM: bomFormat is not 'CycloneDX'")
    metadata = doc.get("metadata")
    root = metadata.get("component") if isinstance(metadata, dict) else None
    if written_by_mlbom(doc) and isinstance(root, dict) and \
            root.get("type") == "machine-learning-model":
        return _mlbom_lineage(doc, label)
    from sbom.bom_reader_foreign import read_foreign_lineage

    return read_foreign_lineage(doc, label)


def _mlbom_lineage(doc: dict[str, Any], label: str) -> BomLineage:
    """``_graph``'s reading of the contract, keeping only the lineage."""
    metadata = _obj(doc.get("metadata"), "metadata", label)
    if "component" not in metadata:
        raise InputError(f"{label}: BOM has no metadata.component (the target model)")
    target = _obj(metadata["component"], "metadata.component", label)
    _list(metadata.get("properties"), "properties", label)
    comps = [target] + [
        _obj(c, "component", label) for c in _list(doc.get("components"), "components", label)
    ]
    nodes: dict[str, BomNode] = {}
    declared: dict[str, list[str]] = {}  # mlbom:lineage:parent values per bom-ref
    unresolved = 0
    for comp in comps:
        row = _lineage_node(comp, comp is target, nodes, label)
        if row is None:
            continue
        key, node, parents, is_unresolved = row
        nodes[key] = node
        declared[key] = parents
        unresolved += is_unresolved
    edges = _lineage_edges(doc, nodes, declared, label)
    clean = {key: node.bom_ref for key, node in nodes.items()}
    serial = doc.get("serialNumber")
    return BomLineage(
        file=label, serial=stored_text(serial) if isinstance(serial, str) else None,
        root_ref=clean[str(target.get("bom-ref"))], nodes=tuple(nodes.values()),
        edges=tuple(BomEdge(clean[c], clean[p], rel) for c, ps in edges.items()
                    for p, rel in ps.items()),
        unresolved=unresolved,
    )


def _lineage_node(
    comp: dict[str, Any], is_target: bool, seen: dict[str, BomNode], label: str
) -> tuple[str, BomNode, list[str], bool] | None:
    """(bom-ref, row, its mlbom:lineage:parent values, unresolved?) of a lineage component;
    ``None`` for other components (tools, files)."""
    kind = _ROW_KINDS.get(str(comp.get("type")))
    if is_target and _is_product(comp):
        kind = "model"
    if kind is None:
        if is_target:
            raise InputError(f"{label}: metadata.component is not a machine-learning-model")
        return None
    key = comp.get("bom-ref")
    if not isinstance(key, str) or not key:
        raise InputError(f"{label}: component {str(comp.get('name'))[:80]!r} has no bom-ref")
    if key in seen:
        raise InputError(f"{label}: bom-ref {key[:120]!r} appears twice")
    parents: list[str] = []
    unresolved: str | None = None
    for prop in _list(comp.get("properties"), "properties", label):
        if isinstance(prop, dict):
            pname, value = prop.get("name"), prop.get("value")
            value = value if isinstance(value, str) else ""
            if pname == "mlbom:lineage:parent":
                parents.append(value)
            elif pname == "mlbom:lineage:unresolved" and unresolved is None:
                unresolved = value
    name = comp.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{label}: component {key[:120]} has no name")
    if kind == "model":  # the checks _model makes of the files under a model
        for sub in _list(comp.get("components"), "components", label):
            if isinstance(sub, dict) and sub.get("type") == "file":
                _list(sub.get("properties"), "properties", label)
    version = comp.get("version")
    sha = version if isinstance(version, str) and version else None
    repo_id = name.lower() if unresolved not in _UNUSABLE_IDS and is_valid_repo_id(name) \
        else None
    pinned = sha.lower() if sha and is_commit_sha(sha.lower()) else None
    node = BomNode(stored_text(key), kind, stored_text(name),
                   stored_text(repo_id) if repo_id else None, pinned,
                   stored_text(sha) if sha else None)
    return key, node, parents, bool(unresolved)


def _lineage_edges(
    doc: dict[str, Any], nodes: dict[str, BomNode], declared: dict[str, list[str]], label: str
) -> dict[str, dict[str, str]]:
    """child → {parent: relation}, in ``_graph``'s order: dependencies, then parents that only
    a ``mlbom:lineage:parent`` property names. A cycle is refused with ``_graph``'s message."""
    edges: dict[str, dict[str, str]] = {key: {} for key in nodes}

    def relation(child: str, parent: str) -> str:
        kind = nodes[parent].kind
        rel = "trained_on" if kind == "dataset" else "remote_code" if kind == "code" \
            else "unknown"
        for value in declared[child]:
            name, _, key = value.partition(" ")
            if key == parent and name in _LINEAGE:
                rel = name
        return rel

    for dep in _list(doc.get("dependencies"), "dependencies", label):
        dep = _obj(dep, "dependency", label)
        child = dep.get("ref")
        if not isinstance(child, str) or child not in nodes:
            continue  # tool and file components have dependency entries too
        for parent in _list(dep.get("dependsOn"), "dependsOn", label):
            if not isinstance(parent, str) or parent not in nodes:
                raise InputError(f"{label}: {child} depends on unknown bom-ref {str(parent)[:120]}")
            if parent not in edges[child]:
                edges[child][parent] = relation(child, parent)
    for child, values in declared.items():
        for value in values:
            parent = value.partition(" ")[2]
            if parent in nodes and parent not in edges[child]:
                edges[child][parent] = relation(child, parent)
    if _has_cycle(edges):
        _graph(doc, label)  # raises, naming the first edge that closes a cycle
        raise InputError(f"{label}: the lineage has a cycle")
    return edges


def _has_cycle(edges: dict[str, dict[str, str]]) -> bool:
    """Whether child → parent ``edges`` hold a cycle (a self-loop included)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in edges:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(edges[start]))]
        while stack:
            node, it = stack[-1]
            parent = next(it, None)
            if parent is None:
                state[node] = 2
                stack.pop()
            elif state.get(parent) == 1:
                return True
            elif parent not in state:
                state[parent] = 1
                stack.append((parent, iter(edges[parent])))
    return False
