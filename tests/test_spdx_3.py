"""SPDX 3.0.1 export: deserialises with spdx-python-model, closed references, AI/Dataset types."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ntia_conformance_checker.sbom_checker import SbomChecker
from spdx_python_model import v3_0_1 as spdx3
from test_views_graphs import HOSTILE, sample_graph, single_model_graph

from sbom.spdx3 import write_spdx3_json

CREATED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
REF_KEYS = {"from", "to", "creationInfo", "createdBy", "createdUsing", "suppliedBy",
            "rootElement", "element", "dataLicense"}


def _load(text: str) -> Any:
    objset = spdx3.SHACLObjectSet()
    spdx3.JSONLDDeserializer().deserialize_data(json.loads(text), objset)
    return objset


def _graph_json(text: str) -> list[dict[str, Any]]:
    return json.loads(text)["@graph"]  # type: ignore[no-any-return]


def test_round_trips_through_spdx_python_model_with_no_missing_reference() -> None:
    text = write_spdx3_json(sample_graph(), created=CREATED)
    objset = _load(text)
    assert objset.link() == set()
    # re-serialising what was read gives the same document
    out = spdx3.JSONLDSerializer().serialize_data(objset)
    assert {o.get("spdxId") for o in out["@graph"]} == {
        o.get("spdxId") for o in _graph_json(text)
    }


def test_every_referenced_element_exists_in_the_document() -> None:
    items = _graph_json(write_spdx3_json(sample_graph(), created=CREATED))
    known = {o.get("spdxId") or o.get("@id") for o in items}
    referenced: set[str] = set()
    for obj in items:
        for key, value in obj.items():
            if key in REF_KEYS:
                referenced.update(value if isinstance(value, list) else [value])
    assert referenced
    assert referenced <= known, referenced - known


def test_types_and_relationships_follow_the_graph() -> None:
    graph = sample_graph()
    objset = _load(write_spdx3_json(graph, created=CREATED))
    objset.link()
    by_name = {o.name: o for o in objset.foreach_type(spdx3.software_Package)}
    assert type(by_name["acme/chat-q4"]) is spdx3.ai_AIPackage
    assert type(by_name["hostile/ds"]) is spdx3.dataset_DatasetPackage
    assert type(by_name["acme/modeling"]) is spdx3.software_Package
    assert len(by_name) == len(graph)

    rels = {}
    for rel in objset.foreach_type(spdx3.Relationship):
        for dst in rel.to:
            rels[(rel.from_.name, rel.relationshipType.rsplit("/", 1)[1],
                  getattr(dst, "name", None) or getattr(
                      dst, "simplelicensing_licenseExpression", None))] = rel.comment
    assert rels[("acme/chat-q4", "descendantOf", "acme/chat-merge")].startswith(
        "relation: quantized")
    assert rels[("other/base-b", "descendantOf", "common/root")].startswith("relation: adapter")
    assert rels[("common/root", "descendantOf", "./checkpoints/run1")].startswith(
        "relation: unknown")
    assert ("acme/base-a-ft", "trainedOn", "hostile/ds") in rels
    assert ("acme/chat-merge", "dependsOn", "acme/modeling") in rels
    assert ("common/root", "hasDeclaredLicense", "MIT") in rels
    assert ("acme/chat-q4", "hasDeclaredLicense", "Llama 3.1 Community License") in rels
    assert ("acme/chat-merge", "contains", "model-00001.safetensors") in rels
    # hostile license name stays a name; its javascript: link is dropped
    custom = [o for o in objset.foreach_type(spdx3.expandedlicensing_CustomLicense)
              if o.name == HOSTILE]
    assert custom and list(custom[0].expandedlicensing_seeAlso) == []


def test_weight_files_carry_sha256() -> None:
    objset = _load(write_spdx3_json(sample_graph(), created=CREATED))
    files = {f.name: f for f in objset.foreach_type(spdx3.software_File)}
    gguf = files["chat.Q4_K_M.gguf"]
    assert [(h.algorithm.rsplit("/", 1)[1], h.hashValue) for h in gguf.verifiedUsing] == [
        ("sha256", "a" * 64)
    ]


def test_deterministic_and_minimal_graph(tmp_path: Path) -> None:
    assert write_spdx3_json(sample_graph(), created=CREATED) == write_spdx3_json(
        sample_graph(), created=CREATED
    )
    path = tmp_path / "solo.spdx3.json"
    path.write_text(write_spdx3_json(single_model_graph(), created=CREATED))
    assert _load(path.read_text()).link() == set()


def test_ntia_checker_reads_the_spdx3_document(tmp_path: Path) -> None:
    path = tmp_path / "bom.spdx3.json"
    path.write_text(write_spdx3_json(sample_graph(), created=CREATED))
    checker = SbomChecker(str(path), sbom_spec="spdx3")
    assert checker.parsing_errors == []
    assert checker.components_without_names == []
    assert checker.components_without_versions == []
    assert checker.components_without_suppliers == []
