"""Hang mlbom's ML-BOMs under an application: ``mlbom merge`` and the product BOM of a scan.

``merge_ml_bom(base, ml, under=REF)`` adds every component of the ML-BOM ``ml`` (its
``metadata.component`` included) to ``base``, makes ``under`` depend on the ML-BOM's root,
and carries over dependencies and vulnerabilities. What callers may rely on:

- components are deduplicated by purl first (the application SBOM's entry wins and the ML
  side's references are renamed to it), then by bom-ref; two different components under one
  bom-ref (``model:org/x`` pinned at two commits by two ML-BOMs) keep both, the second renamed
  ``<ref>@<version>``, so no dependency is ever pointed at the wrong commit;
- every ``dependsOn`` and ``affects`` ref of the ML side is renamed the same way;
- ``base`` keeps its spec version, serial number and root; its ``version`` goes up by one
  (CycloneDX: a modified BOM of the same serial number); mlbom joins ``metadata.tools``;
- nothing is dropped: a dependency entry of the ML side is merged into the base's entry for
  the same ref.

The result is validated against the schema of the base's spec version (1.5 or later: ML
model components need 1.5) by the caller, ``sbom.cyclonedx.validate_cyclonedx_document``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from lineage import __version__
from lineage.errors import InputError
from sbom.cyclonedx import mlbom_tool


def _walk_components(components: list[Any]) -> Iterator[dict[str, Any]]:
    stack = [c for c in components if isinstance(c, dict)]
    while stack:
        comp = stack.pop()
        yield comp
        stack.extend(c for c in comp.get("components", []) or [] if isinstance(c, dict))


def root_ref(doc: dict[str, Any], label: str) -> str:
    """The bom-ref of ``doc``'s ``metadata.component``, given one when it has none."""
    meta = doc.setdefault("metadata", {})
    root = meta.get("component")
    if not isinstance(root, dict):
        raise InputError(f"{label}: no metadata.component: cannot tell which component is the "
                         "application to hang the models under")
    if not isinstance(root.get("bom-ref"), str) or not root["bom-ref"]:
        root["bom-ref"] = "application-root"
    ref: str = root["bom-ref"]
    return ref


class _Merger:
    def __init__(self, base: dict[str, Any]) -> None:
        self.base = base
        self.components: list[dict[str, Any]] = base.setdefault("components", [])
        root = base["metadata"]["component"]
        every = [root, *_walk_components(self.components)]
        self.by_purl = {c["purl"]: c["bom-ref"] for c in every
                        if isinstance(c.get("purl"), str) and isinstance(c.get("bom-ref"), str)}
        self.by_ref = {c["bom-ref"]: c for c in every if isinstance(c.get("bom-ref"), str)}
        self.rename: dict[str, str] = {}

    def add_component(self, comp: dict[str, Any]) -> str | None:
        ref = comp.get("bom-ref")
        if not isinstance(ref, str):
            self.components.append(comp)
            return None
        purl = comp.get("purl")
        if isinstance(purl, str) and purl in self.by_purl:
            self.rename[ref] = self.by_purl[purl]
            return self.rename[ref]
        if ref in self.by_ref:
            if _same(self.by_ref[ref], comp):
                return ref
            new = f"{ref}@{comp.get('version') or len(self.by_ref)}"
            while new in self.by_ref:
                new += "'"
            self.rename[ref] = new
            comp = {**comp, "bom-ref": new}
            ref = new
        self.by_ref[ref] = comp
        if isinstance(purl, str):
            self.by_purl[purl] = ref
        self.components.append(comp)
        return ref

    def ref(self, value: str) -> str:
        return self.rename.get(value, value)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """One component twice: equal identity, or ``b`` a stub (no version, no purl) of ``a``."""
    if a.get("type") != b.get("type") or a.get("name") != b.get("name"):
        return False
    if b.get("version") is None and b.get("purl") is None:
        return True
    return a.get("version") == b.get("version") and a.get("purl") == b.get("purl")


def merge_ml_bom(base: dict[str, Any], ml: dict[str, Any], *, under: str,
                 label: str = "ML-BOM") -> str:
    """Merge ``ml`` into ``base`` (in place) below ``under``; returns the ML root's ref."""
    ml = copy.deepcopy(ml)
    ml_root = ml.get("metadata", {}).get("component")
    if not isinstance(ml_root, dict) or not isinstance(ml_root.get("bom-ref"), str):
        raise InputError(f"{label}: no metadata.component with a bom-ref")
    merger = _Merger(base)
    # The ML-BOM's own names first, so each rename is known before refs are rewritten.
    added_root = merger.add_component(ml_root) or ml_root["bom-ref"]
    for comp in ml.get("components", []) or []:
        if isinstance(comp, dict):
            merger.add_component(comp)
    _merge_dependencies(base, ml, merger, under, added_root)
    _merge_vulnerabilities(base, ml, merger)
    _merge_metadata(base, ml)
    return added_root


def _merge_dependencies(base: dict[str, Any], ml: dict[str, Any], merger: _Merger,
                        under: str, ml_root: str) -> None:
    deps: list[dict[str, Any]] = base.setdefault("dependencies", [])
    index = {d["ref"]: d for d in deps if isinstance(d, dict) and isinstance(d.get("ref"), str)}

    def entry(ref: str) -> dict[str, Any]:
        if ref not in index:
            index[ref] = {"ref": ref}
            deps.append(index[ref])
        return index[ref]

    def depend(ref: str, on: list[str]) -> None:
        e = entry(ref)
        have = list(e.get("dependsOn", []))
        for target in on:
            if target != ref and target not in have:
                have.append(target)
        if have:
            e["dependsOn"] = have

    depend(under, [ml_root])
    for dep in ml.get("dependencies", []) or []:
        if isinstance(dep, dict) and isinstance(dep.get("ref"), str):
            depend(merger.ref(dep["ref"]),
                   [merger.ref(t) for t in dep.get("dependsOn", []) if isinstance(t, str)])


def _merge_vulnerabilities(base: dict[str, Any], ml: dict[str, Any], merger: _Merger) -> None:
    vulns = ml.get("vulnerabilities") or []
    if not vulns:
        return
    out: list[dict[str, Any]] = base.setdefault("vulnerabilities", [])
    seen = {(v.get("id"), v.get("bom-ref")) for v in out if isinstance(v, dict)}
    for v in vulns:
        if not isinstance(v, dict):
            continue
        for aff in v.get("affects", []) or []:
            if isinstance(aff, dict) and isinstance(aff.get("ref"), str):
                aff["ref"] = merger.ref(aff["ref"])
        key = (v.get("id"), v.get("bom-ref"))
        if key not in seen:
            seen.add(key)
            out.append(v)


def _merge_metadata(base: dict[str, Any], ml: dict[str, Any]) -> None:
    meta = base.setdefault("metadata", {})
    tools = meta.get("tools")
    if isinstance(tools, dict):
        comps = tools.setdefault("components", [])
        if not any(isinstance(c, dict) and c.get("name") == "mlbom" for c in comps):
            comps.append(mlbom_tool())
    elif isinstance(tools, list):  # the pre-1.5 array of tools
        if not any(isinstance(t, dict) and t.get("name") == "mlbom" for t in tools):
            tools.append({"vendor": "mlbom", "name": "mlbom", "version": __version__})
    else:
        meta["tools"] = {"components": [mlbom_tool()]}
    props: list[dict[str, Any]] = meta.setdefault("properties", [])
    have = {(p.get("name"), p.get("value")) for p in props if isinstance(p, dict)}
    for p in ml.get("metadata", {}).get("properties", []) or []:
        if isinstance(p, dict) and (p.get("name"), p.get("value")) not in have:
            have.add((p.get("name"), p.get("value")))
            props.append(p)
    if not props:
        del meta["properties"]


def bump_version(doc: dict[str, Any]) -> None:
    version = doc.get("version")
    doc["version"] = version + 1 if isinstance(version, int) and version >= 1 else 1
