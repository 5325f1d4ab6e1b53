"""The one BOM reader's path for CycloneDX BOMs that do not follow mlbom's contract: another
tool's SBOM, or a product BOM of ``mlbom generate --scan`` (an application root). Called by
``bom_reader.read_lineage`` after its size, nesting and format checks.

Hugging Face repos are recognised by ``pkg:huggingface/...`` purls (``lineage.ids``) and by
``model:``/``dataset:``/``code:`` bom-refs; edges come from ``dependencies``,
``pedigree.ancestors`` (nested ancestors included) and ``mlbom:lineage:parent`` properties;
nested ``components`` are walked; ``file`` components are not lineage. A relation the BOM does
not state is implied by the parent's kind (dataset: ``trained_on``, code: ``remote_code``) or
by the child's ``mlbom:lineage:relation``, else ``unknown``. An edge that would close a cycle
is dropped and counted; a malformed BOM raises ``InputError`` naming the BOM and the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lineage.errors import InputError
from lineage.graph import Relation
from lineage.ids import parse_purl
from lineage.refs import clip, is_commit_sha
from sbom.bom_reader import BomEdge, BomLineage, BomNode, stored_text

RELATIONS = frozenset(r.value for r in Relation)
_SKIPPED_TYPES = frozenset({"file"})  # weight files hashed under a model: not lineage
_clean = stored_text


def read_foreign_lineage(doc: Any, label: str) -> BomLineage:
    """The lineage rows of a CycloneDX document that is not an mlbom model BOM."""
    try:
        return _Reader(label).read(doc)
    except _Malformed as exc:
        raise InputError(f"{label}: {exc}") from None


class _Malformed(Exception):
    pass


def _kind_from_ref(ref: str) -> tuple[str, str | None] | None:
    prefix, sep, rest = ref.partition(":")
    if sep and rest and prefix in ("model", "dataset", "code"):
        return prefix, rest.lower()
    return None


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: dict[str, BomNode] = {}
        self.edges: dict[tuple[str, str], str] = {}
        self.declared_relation: dict[str, str] = {}  # mlbom:lineage:relation per component
        self.listed: set[str] = set()  # refs of components listed (not ancestor stubs)
        self.placeholders: set[str] = set()  # refs only named by an edge so far
        self.unresolved: set[str] = set()  # refs with an mlbom:lineage:unresolved property

    # -- document ----------------------------------------------------------------------------
    def read(self, doc: Any) -> BomLineage:
        if not isinstance(doc, dict):
            raise _Malformed("not a CycloneDX BOM: top level is not a JSON object")
        if doc.get("bomFormat") != "CycloneDX":
            raise _Malformed("not a CycloneDX BOM: bomFormat is not 'CycloneDX'")
        serial = doc.get("serialNumber")
        if serial is not None and not isinstance(serial, str):
            raise _Malformed("serialNumber is not a string")
        metadata = doc.get("metadata", {})
        if not isinstance(metadata, dict):
            raise _Malformed("metadata is not an object")
        root_ref: str | None = None
        if metadata.get("component") is not None:
            root_ref = self._component(metadata["component"], "metadata.component")
        for i, comp in enumerate(self._list(doc, "components", "BOM")):
            self._component(comp, f"components[{i}]")
        for i, dep in enumerate(self._list(doc, "dependencies", "BOM")):
            self._dependency(dep, i)
        if not self.nodes:
            raise _Malformed("BOM lists no components")
        if root_ref is None:
            root_ref = self._only_root()
        elif root_ref not in self.nodes:
            raise _Malformed("metadata.component is a file, not a product or model")
        edges, dropped = self._acyclic_edges(root_ref)
        return BomLineage(
            file=self.name,
            serial=_clean(serial) if serial else None,
            root_ref=root_ref,
            nodes=tuple(self.nodes.values()),
            edges=tuple(edges),
            dropped_cycle_edges=dropped,
            unresolved=len(self.unresolved),
        )

    def _list(self, obj: dict[str, Any], key: str, where: str) -> list[Any]:
        value = obj.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise _Malformed(f"{where}: {key} is not a list")
        return value

    # -- components --------------------------------------------------------------------------
    def _component(self, comp: Any, where: str, *, stub: bool = False) -> str:
        """Record ``comp`` (and its nested components and ancestors); return its ref."""
        if not isinstance(comp, dict):
            raise _Malformed(f"{where} is not an object")
        ctype = comp.get("type", "library")
        name = comp.get("name")
        version = comp.get("version")
        purl = comp.get("purl")
        raw_ref = comp.get("bom-ref")
        for field, value in (("type", ctype), ("name", name), ("version", version),
                             ("purl", purl), ("bom-ref", raw_ref)):
            if value is not None and not isinstance(value, str):
                raise _Malformed(f"{where}: {field} is not a string")
        if not name and not raw_ref and not purl:
            raise _Malformed(f"{where}: component has no name, bom-ref or purl")
        node = self._node(ctype, name, version, purl, raw_ref)
        if ctype in _SKIPPED_TYPES and not stub:
            return node.bom_ref
        ref = node.bom_ref
        existing = self.nodes.get(ref)
        if stub:
            self.nodes[ref] = node if existing is None else _merge(existing, node)
        else:
            if ref in self.listed:
                raise _Malformed(f"{where}: bom-ref {clip(ref, 80)!r} is used twice")
            self.listed.add(ref)
            if existing is None or ref in self.placeholders:
                self.nodes[ref] = node
            else:
                self.nodes[ref] = _merge(node, existing)
            self.placeholders.discard(ref)

        parents = self._properties(comp, ref, where)
        for relation, parent in parents:
            self._edge(ref, parent, relation)
        pedigree = comp.get("pedigree")
        if pedigree is not None:
            if not isinstance(pedigree, dict):
                raise _Malformed(f"{where}: pedigree is not an object")
            for i, anc in enumerate(self._list(pedigree, "ancestors", f"{where}.pedigree")):
                anc_ref = self._component(anc, f"{where}.pedigree.ancestors[{i}]", stub=True)
                if anc_ref != ref:
                    self._edge(ref, anc_ref, None)
        for i, child in enumerate(self._list(comp, "components", where)):
            self._component(child, f"{where}.components[{i}]")
        return ref

    def _node(
        self, ctype: str, name: str | None, version: str | None, purl: str | None,
        raw_ref: str | None,
    ) -> BomNode:
        hf = parse_purl(purl) if purl else None
        from_ref = _kind_from_ref(raw_ref) if raw_ref else None
        repo_id: str | None = None
        if from_ref:
            kind, repo_id = from_ref
        else:
            kind = {"machine-learning-model": "model", "data": "dataset"}.get(ctype, "other")
            if hf:
                repo_id = hf[0].lower()
                if kind == "other":
                    kind = "code" if ctype == "library" else "model"
        pinned = version if version and is_commit_sha(version.lower()) else None
        if pinned is None and hf and hf[1] and is_commit_sha(hf[1].lower()):
            pinned = hf[1]
        if raw_ref:
            ref = _clean(raw_ref)
        elif repo_id:
            ref = f"{kind}:{repo_id}"
        else:
            ref = _clean(f"component:{name or purl}@{version or ''}")
        return BomNode(
            bom_ref=ref,
            kind=kind,
            name=_clean(name or (hf[0] if hf else None) or repo_id or ref),
            repo_id=_clean(repo_id) if repo_id else None,
            sha=pinned.lower() if pinned else None,
            version=_clean(version) if version else None,
            purl=_clean(purl) if purl else None,
        )

    def _properties(self, comp: dict[str, Any], ref: str, where: str) -> list[tuple[str, str]]:
        parents: list[tuple[str, str]] = []
        for i, prop in enumerate(self._list(comp, "properties", where)):
            if not isinstance(prop, dict):
                raise _Malformed(f"{where}.properties[{i}] is not an object")
            pname, value = prop.get("name"), prop.get("value")
            if pname == "mlbom:lineage:parent":
                if not isinstance(value, str) or len(value.split(None, 1)) != 2:
                    raise _Malformed(
                        f"{where}: mlbom:lineage:parent must be '<relation> <parent bom-ref>', "
                        f"got {clip(repr(value), 80)}"
                    )
                relation, parent = value.split(None, 1)
                parents.append((relation if relation in RELATIONS else "unknown", parent))
            elif pname == "mlbom:lineage:unresolved":
                self.unresolved.add(ref)
            elif pname == "mlbom:lineage:relation" and isinstance(value, str):
                self.declared_relation[ref] = value if value in RELATIONS else "unknown"
        return parents

    # -- dependencies and edges --------------------------------------------------------------
    def _dependency(self, dep: Any, i: int) -> None:
        where = f"dependencies[{i}]"
        if not isinstance(dep, dict) or not isinstance(dep.get("ref"), str):
            raise _Malformed(f"{where} is not an object with a string ref")
        child = _clean(dep["ref"])
        for j, parent in enumerate(self._list(dep, "dependsOn", where)):
            if not isinstance(parent, str):
                raise _Malformed(f"{where}.dependsOn[{j}] is not a string")
            self._edge(child, _clean(parent), None)

    def _edge(self, child: str, parent: str, relation: str | None) -> None:
        if not child or not parent:
            raise _Malformed("an edge names an empty bom-ref")
        for ref in (child, parent):
            if ref not in self.nodes:
                self._placeholder(ref)
        if child == parent:
            return
        key = (child, parent)
        if relation is None:
            if key in self.edges:
                return
            relation = self._implied_relation(child, parent)
        if self.edges.get(key) in (None, "unknown"):
            self.edges[key] = relation

    def _implied_relation(self, child: str, parent: str) -> str:
        kind = self.nodes[parent].kind
        if kind == "dataset":
            return "trained_on"
        if kind == "code":
            return "remote_code"
        return self.declared_relation.get(child, "unknown") if kind == "model" else "unknown"

    def _placeholder(self, ref: str) -> None:
        """A ref named by an edge but not listed as a component: keep it, typed by its prefix."""
        from_ref = _kind_from_ref(ref)
        kind, repo_id = from_ref if from_ref else ("other", None)
        name = repo_id if repo_id else ref
        self.nodes[ref] = BomNode(bom_ref=ref, kind=kind, name=name, repo_id=repo_id)
        self.placeholders.add(ref)

    def _only_root(self) -> str:
        children = {c for c, _ in self.edges}
        parents = {p for _, p in self.edges}
        roots = [ref for ref in self.nodes if ref not in parents]
        if len(roots) == 1:
            return roots[0]
        connected = [r for r in roots if r in children]
        if len(connected) == 1:
            return connected[0]
        raise _Malformed(
            "no metadata.component and no single top component: cannot tell which model "
            "the product ships"
        )

    def _acyclic_edges(self, root: str) -> tuple[list[BomEdge], int]:
        """Edges in a stable order with back edges (cycles) dropped, root first."""
        out_edges: dict[str, list[str]] = {}
        for child, parent in sorted(self.edges):
            out_edges.setdefault(child, []).append(parent)
        state: dict[str, int] = {}  # 1 on the DFS stack, 2 done
        kept: list[BomEdge] = []
        dropped = 0
        order = [root] + sorted(r for r in out_edges if r != root)
        for start in order:
            if start in state:
                continue
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(out_edges.get(start, ())))]
            state[start] = 1
            while stack:
                node, it = stack[-1]
                parent = next(it, "")
                if not parent:
                    state[node] = 2
                    stack.pop()
                    continue
                if state.get(parent) == 1:
                    dropped += 1
                    continue
                kept.append(BomEdge(node, parent, self.edges[(node, parent)]))
                if parent not in state:
                    state[parent] = 1
                    stack.append((parent, iter(out_edges.get(parent, ()))))
        return kept, dropped


def _merge(old: BomNode, new: BomNode) -> BomNode:
    """Fill what ``old`` lacks from ``new`` (a listed component and a stub repeating it)."""
    kind = old.kind if old.kind != "other" else new.kind
    return BomNode(
        bom_ref=old.bom_ref,
        kind=kind,
        name=old.name if old.name != old.bom_ref else new.name,
        repo_id=old.repo_id or new.repo_id,
        sha=old.sha or new.sha,
        version=old.version or new.version,
        purl=old.purl or new.purl,
    )

