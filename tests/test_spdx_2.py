"""SPDX 2.3 export: valid per spdx-tools, NTIA-conformant, faithful to the lineage graph."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from ntia_conformance_checker.sbom_checker import SbomChecker
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from test_views_graphs import HOSTILE, SHA, sample_graph, single_model_graph

from lineage.errors import InputError, ValidationFailure
from lineage.graph import LicenseInfo, ModelNode, Relation, model_key
from sbom.spdx2 import graph_to_spdx23, write_spdx23_json

CREATED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _doc() -> dict[str, Any]:
    return json.loads(write_spdx23_json(sample_graph(), created=CREATED))  # type: ignore[no-any-return]


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in doc["packages"]}


def _rels(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    ids = {p["SPDXID"]: p["name"] for p in doc["packages"]}
    ids["SPDXRef-DOCUMENT"] = "DOCUMENT"
    return [
        (ids[r["spdxElementId"]], r["relationshipType"], ids[r["relatedSpdxElement"]],
         r.get("comment", ""))
        for r in doc["relationships"]
    ]


def test_every_node_is_a_package_and_target_is_described() -> None:
    graph = sample_graph()
    doc = _doc()
    names = _by_name(doc)
    for node in graph.nodes():
        assert node.name in names
    assert ("DOCUMENT", "DESCRIBES", "acme/chat-q4", "") in _rels(doc)


def test_lineage_edges_become_descendant_of_with_relation_in_comment() -> None:
    rels = _rels(_doc())
    by_pair = {(a, b): (t, c) for a, t, b, c in rels}
    kind, comment = by_pair[("acme/chat-q4", "acme/chat-merge")]
    assert kind == "DESCENDANT_OF" and comment.startswith("relation: quantized")
    assert "README.md:base_model=acme/chat-merge" in comment
    assert by_pair[("acme/chat-merge", "other/base-b")][0] == "DESCENDANT_OF"
    assert by_pair[("other/base-b", "common/root")][1].startswith("relation: adapter")
    # unknown relation -> VARIANT_OF
    assert by_pair[("common/root", "./checkpoints/run1")][0] == "VARIANT_OF"
    assert by_pair[("acme/base-a-ft", "hostile/ds")] [0] == "DEPENDS_ON"
    assert by_pair[("acme/base-a-ft", "hostile/ds")][1].startswith("trained on")
    assert by_pair[("acme/chat-merge", "acme/modeling")][0] == "DEPENDS_ON"
    assert by_pair[("acme/chat-merge", "acme/modeling")][1].startswith("remote code")


def test_hub_only_licenses_become_license_refs_with_name_and_url() -> None:
    doc = _doc()
    pkg = _by_name(doc)["acme/chat-q4"]
    ref = pkg["licenseDeclared"]
    assert ref.startswith("LicenseRef-")
    extracted = {e["licenseId"]: e for e in doc["hasExtractedLicensingInfos"]}
    assert extracted[ref]["name"] == "Llama 3.1 Community License"
    assert extracted[ref]["seeAlsos"] == [
        "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/LICENSE"
    ]
    assert _by_name(doc)["common/root"]["licenseDeclared"] == "MIT"
    # hostile name survives as a name; the javascript: link is never a cross reference
    hostile = extracted[_by_name(doc)["other/base-b"]["licenseDeclared"]]
    assert hostile["name"] == HOSTILE
    assert "seeAlsos" not in hostile


def test_checksums_purls_and_noassertion() -> None:
    doc = _doc()
    pkgs = _by_name(doc)
    weights = pkgs["acme/chat-q4/chat.Q4_K_M.gguf"]
    assert weights["checksums"] == [{"algorithm": "SHA256", "checksumValue": "a" * 64}]
    assert weights["primaryPackagePurpose"] == "FILE"
    assert ("acme/chat-q4", "CONTAINS", "acme/chat-q4/chat.Q4_K_M.gguf", "") in _rels(doc)
    purls = [r["referenceLocator"] for r in pkgs["acme/chat-merge"]["externalRefs"]]
    assert purls == [f"pkg:huggingface/acme/chat-merge@{SHA['acme/chat-merge']}"]
    gated = pkgs["meta-llama/Llama-3.1-8B"]
    assert gated["downloadLocation"] == "NOASSERTION"
    assert "unresolved: gated" in gated["comment"]
    assert "externalRefs" not in pkgs["./checkpoints/run1"]
    assert pkgs["./checkpoints/run1"]["supplier"] == "NOASSERTION"


def test_output_is_deterministic_for_equal_inputs() -> None:
    a = write_spdx23_json(sample_graph(), created=CREATED)
    b = write_spdx23_json(sample_graph(), created=CREATED)
    assert a == b
    c = write_spdx23_json(sample_graph(), created=CREATED, namespace_seed="other")
    assert json.loads(a)["documentNamespace"] != json.loads(c)["documentNamespace"]


def test_written_file_parses_back_validates_and_meets_ntia(tmp_path: Path) -> None:
    path = tmp_path / "bom.spdx.json"
    path.write_text(write_spdx23_json(sample_graph(), created=CREATED))
    assert validate_full_spdx_document(parse_file(str(path))) == []
    checker = SbomChecker(str(path))
    assert checker.compliant
    # The checker only follows composition relationships from the target; lineage parents
    # are DESCENDANT_OF, so check the minimum elements on every package as well.
    all_ids = {p["SPDXID"] for p in json.loads(path.read_text())["packages"]}
    adapter = checker.adapter
    assert adapter.get_components_without_versions(all_ids) == []
    assert adapter.get_components_without_names(all_ids) == []
    assert adapter.get_components_without_identifiers(all_ids) == []
    # Only the local-path parent has no known supplier.
    assert adapter.get_components_without_suppliers(all_ids) == [
        ("./checkpoints/run1", "SPDXRef-local-.-checkpoints-run1")
    ]


def test_legacy_id_without_author_is_reported_by_ntia_not_invented(tmp_path: Path) -> None:
    path = tmp_path / "solo.spdx.json"
    path.write_text(write_spdx23_json(single_model_graph(), created=CREATED))
    assert validate_full_spdx_document(parse_file(str(path))) == []
    checker = SbomChecker(str(path))
    assert not checker.compliant
    assert checker.components_without_suppliers == [("solo", "SPDXRef-model-solo")]


def test_invalid_document_raises_validation_failure() -> None:
    graph = single_model_graph()
    node = graph.node(model_key("solo"))
    assert isinstance(node, ModelNode)
    graph.add_node(ModelNode(key=model_key("solo/child"), name="solo/child", repo_id="solo/child"))
    graph.add_edge("model:solo/child", node.key, Relation.FINETUNE)
    doc = graph_to_spdx23(graph, created=CREATED)
    doc.packages[0].spdx_id = "not an spdx id"  # a writer bug must never reach a file
    assert validate_full_spdx_document(doc)

    # A license that slips through as an SPDX expression with an unknown id stays valid:
    node.license = LicenseInfo(spdx="Made-Up-License-1.0", name="Made Up", source="card")
    out = json.loads(write_spdx23_json(graph, created=CREATED))
    solo = next(p for p in out["packages"] if p["name"] == "solo")
    assert solo["licenseDeclared"].startswith("LicenseRef-")


def test_validation_failure_is_raised_not_written(monkeypatch: pytest.MonkeyPatch) -> None:
    import sbom.spdx2 as spdx2

    original = spdx2.graph_to_spdx23

    def broken(*args: Any, **kwargs: Any) -> Any:
        doc = original(*args, **kwargs)
        doc.relationships[0].related_spdx_element_id = "SPDXRef-missing"
        return doc

    monkeypatch.setattr(spdx2, "graph_to_spdx23", broken)
    with pytest.raises(ValidationFailure, match="SPDX 2.3 document failed validation"):
        spdx2.write_spdx23_json(sample_graph(), created=CREATED)


def test_reproducible_uses_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = json.loads(write_spdx23_json(sample_graph(), reproducible=True))
    b = json.loads(write_spdx23_json(sample_graph(), reproducible=True))
    assert a == b and a["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        write_spdx23_json(sample_graph(), reproducible=True)


def _broken_documents() -> list[tuple[str, Any]]:
    """Documents with the faults the indexed lookups are involved in finding."""
    from spdx_tools.spdx.model import File, Relationship, RelationshipType

    out = []
    doc = graph_to_spdx23(sample_graph(), created=CREATED)
    doc.relationships[1].related_spdx_element_id = "SPDXRef-missing"
    out.append(("dangling relationship target", doc))
    doc = graph_to_spdx23(sample_graph(), created=CREATED)
    doc.relationships[2].spdx_element_id = "SPDXRef-ghost"
    out.append(("dangling relationship origin", doc))
    doc = graph_to_spdx23(sample_graph(), created=CREATED)
    doc.packages[2].spdx_id = doc.packages[1].spdx_id
    out.append(("duplicate id", doc))
    doc = graph_to_spdx23(sample_graph(), created=CREATED)
    owner = doc.packages[0].spdx_id  # files_analyzed is False: it may not contain files
    doc.files.append(File(name="./w.bin", spdx_id="SPDXRef-w", checksums=doc.packages[0].checksums
                          or [], license_concluded=None))
    doc.relationships.append(Relationship(owner, RelationshipType.CONTAINS, "SPDXRef-w"))
    doc.relationships.append(Relationship("SPDXRef-w", RelationshipType.CONTAINED_BY, owner))
    out.append(("package without analysed files contains a file", doc))
    return out


@pytest.mark.parametrize("case", range(4))
def test_indexed_validation_reports_what_spdx_tools_reports(case: int) -> None:
    """The linear-time validation (issue 8) finds exactly what spdx-tools' own finds."""
    from spdx_tools.spdx.validation import package_validator, spdx_id_validators

    from sbom.spdx2 import validate_spdx23

    originals = (spdx_id_validators.get_list_of_all_spdx_ids,
                 package_validator.filter_by_type_and_origin,
                 package_validator.filter_by_type_and_target,
                 package_validator.get_element_type_from_spdx_id)
    name, doc = _broken_documents()[case]
    expected = [m.validation_message for m in validate_full_spdx_document(doc, "SPDX-2.3")]
    assert expected, name
    assert validate_spdx23(doc) == expected, name
    # the library's own lookups are back afterwards
    assert (spdx_id_validators.get_list_of_all_spdx_ids,
            package_validator.filter_by_type_and_origin,
            package_validator.filter_by_type_and_target,
            package_validator.get_element_type_from_spdx_id) == originals


def test_indexed_validation_of_a_valid_document_is_empty() -> None:
    from sbom.spdx2 import validate_spdx23

    doc = graph_to_spdx23(sample_graph(), created=CREATED)
    assert validate_spdx23(doc) == []
    assert validate_full_spdx_document(doc, "SPDX-2.3") == []
