"""Build CycloneDX BOMs for the inventory tests: mlbom-shaped ones (per the ML-BOM contract)
and foreign ones (purls, pedigree.ancestors, dependencies, nested components)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Edge = tuple[str, str, str]  # child repo id, relation, parent repo id


def _kind_ref(item: str) -> tuple[str, str, str]:
    """``dataset:org/x`` / ``code:org/x`` / ``org/x`` → (kind, bom-ref, repo id)."""
    kind, sep, rest = item.partition(":")
    if sep and kind in ("dataset", "code"):
        return kind, f"{kind}:{rest.lower()}", rest
    return "model", f"model:{item.lower()}", item


def _purl(repo_id: str, sha: str | None) -> str:
    return f"pkg:huggingface/{repo_id}" + (f"@{sha}" if sha else "")


def mlbom_bom(
    root: str, edges: Sequence[Edge], shas: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A BOM as ``mlbom generate`` writes it for ``root`` with lineage ``edges``. Parents may be
    ``dataset:ORG/NAME`` or ``code:ORG/NAME`` (relation trained_on / remote_code)."""
    shas = dict(shas or {})
    items = [root] + [x for c, _, p in edges for x in (c, p)]
    components: dict[str, dict[str, Any]] = {}
    for item in dict.fromkeys(items):
        kind, ref, repo_id = _kind_ref(item)
        ctype = {"model": "machine-learning-model", "dataset": "data", "code": "library"}[kind]
        comp: dict[str, Any] = {"type": ctype, "bom-ref": ref, "name": repo_id}
        if item in shas:
            comp["version"] = shas[item]
        if kind != "dataset":
            comp["purl"] = _purl(repo_id, shas.get(item))
        components[item] = comp
    deps: dict[str, list[str]] = {_kind_ref(i)[1]: [] for i in components}
    for child, relation, parent in edges:
        comp = components[child]
        pref = _kind_ref(parent)[1]
        deps[_kind_ref(child)[1]].append(pref)
        if _kind_ref(parent)[0] == "model":
            comp.setdefault("properties", []).append(
                {"name": "mlbom:lineage:parent", "value": f"{relation} {pref}"}
            )
            stub = {k: v for k, v in components[parent].items() if k != "bom-ref"}
            stub.pop("properties", None)
            comp.setdefault("pedigree", {"ancestors": []})["ancestors"].append(stub)
    for child in {c for c, _, _ in edges}:
        rels = [r for c, r, p in edges if c == child and _kind_ref(p)[0] == "model"]
        if rels:
            components[child].setdefault("properties", []).insert(0, {
                "name": "mlbom:lineage:relation",
                "value": rels[0] if len(rels) == 1 else "merge",
            })
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "mlbom"}]},
            "component": components[root],
        },
        "components": [c for item, c in components.items() if item != root],
        "dependencies": [{"ref": r, "dependsOn": d} for r, d in deps.items()],
    }


def write_bom(folder: Path, name: str, doc: Mapping[str, Any] | str | bytes) -> Path:
    path = folder / name
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path
