"""mlbom writes CycloneDX JSON directly (issue 8: the library's model cost 11 s at 5,000
nodes). These tests hold that writer to cyclonedx-python-lib: the same graph built through the
library's model (tests/cdx_oracle.py) must give the same document, key order included, and the
jsonschema-rs validation must reject what the official schema rejects."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cdx_oracle import library_document
from test_views_graphs import sample_graph

from lineage.errors import ValidationFailure
from lineage.graph import LicenseInfo, LineageGraph, ModelNode, SignatureInfo, model_key
from lineage.pipeline import RunOptions, build_graph
from sbom.cyclonedx import (
    build_document,
    graph_to_cyclonedx_json,
    validate_cyclonedx_document,
    validate_cyclonedx_json,
)

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "fixtures" / "hub"
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

sys.path.insert(0, str(ROOT / "bench"))


def _same_as_library(graph: LineageGraph, spec: str) -> None:
    ours = build_document(graph, spec, WHEN)
    lib = library_document(graph, spec, WHEN)
    # the library lists itself as a tool; mlbom no longer uses it to write the document
    tools = lib["metadata"]["tools"]["components"]
    lib["metadata"]["tools"]["components"] = [t for t in tools if t["name"] == "mlbom"]
    assert json.dumps(ours, indent=1) == json.dumps(lib, indent=1)
    validate_cyclonedx_document(ours, spec)


def _fixture_models() -> list[str]:
    return [json.loads((d / "info.json").read_text())["id"]
            for d in sorted((HUB / "models").iterdir()) if (d / "info.json").is_file()]


def test_every_fixture_model_matches_the_library_model() -> None:
    models = _fixture_models()
    assert len(models) >= 40
    for repo in models:
        graph = build_graph(repo, RunOptions(hub_mirror=HUB))
        for spec in ("1.6", "1.7"):
            _same_as_library(graph, spec)


@pytest.mark.parametrize("hostile", [True, False])
def test_hostile_and_odd_values_match_the_library_model(hostile: bool) -> None:
    graph = sample_graph(hostile=hostile)
    merge = graph.node(model_key("acme/chat-merge"))
    assert isinstance(merge, ModelNode)
    merge.license = LicenseInfo(declared="mit or apache-2.0", spdx="MIT OR Apache-2.0",
                                source="card")  # an expression, not a single id
    merge.signature = SignatureInfo(status="invalid", file="sigs/model sig [v2].sig")
    _same_as_library(graph, "1.6")


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_advisory_vulnerabilities_match_the_library_model(spec: str) -> None:
    """``generate --advisories``: OSV matches become CycloneDX ``vulnerabilities`` (VEX),
    built the same by the library's ``Vulnerability`` model and schema-valid."""
    from sbom.advisories import load_advisories, match_advisories

    graph = build_graph("acme/Atlas-Merge-7B", RunOptions(hub_mirror=HUB))
    advisories = load_advisories([ROOT / "fixtures" / "advisories"])
    graph.meta["advisory_matches"] = match_advisories(graph, advisories)
    assert {m.advisory.id for m in graph.meta["advisory_matches"]} == {
        "MLBOM-2026-0001", "MLBOM-2026-0002"}
    _same_as_library(graph, spec)
    vulns = build_document(graph, spec, WHEN)["vulnerabilities"]
    assert [v["id"] for v in vulns] == ["MLBOM-2026-0001", "MLBOM-2026-0002"]


def test_pickle_scan_findings_are_vulnerabilities_like_the_library_model() -> None:
    graph = build_graph("contoso/gpt2-pickle-ft", RunOptions(hub_mirror=HUB))
    _same_as_library(graph, "1.6")
    [vuln] = build_document(graph, "1.6", WHEN)["vulnerabilities"]
    assert vuln["id"] == "MLBOM-PICKLE-DANGEROUS"
    assert vuln["source"]["name"] == "Hugging Face Hub security scan"
    assert vuln["affects"] == [{"ref": "model:contoso/gpt2-pickle-ft"}]


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_every_scan_finding_kind_is_a_vulnerability_like_the_library_model(spec: str) -> None:
    from lineage.graph import Finding

    graph = sample_graph(hostile=False)
    target = graph.target
    target.findings += [
        Finding("hub-security-scan", "warning", "the Hub's security scan rates x.bin suspicious",
                "x.bin"),
        Finding("suspicious-pickle-import", "warning", "y.pt imports globals outside the allow "
                "list: numpy.core.multiarray._reconstruct", "y.pt"),
        Finding("dangerous-pickle-import", "error", "y.pt imports os.system when unpickled",
                "y.pt"),
        Finding("pickle-scan-error", "warning", "z.pkl: truncated", "z.pkl"),  # not a vuln
    ]
    _same_as_library(graph, spec)
    vulns = build_document(graph, spec, WHEN)["vulnerabilities"]
    assert sorted((v["id"], v["source"]["name"], v["ratings"][0]["severity"]) for v in vulns) == [
        ("MLBOM-HUB-SCAN", "Hugging Face Hub security scan", "medium"),
        ("MLBOM-PICKLE-DANGEROUS", "mlbom pickle scan (picklescan)", "high"),
        ("MLBOM-PICKLE-SUSPICIOUS", "mlbom pickle scan (picklescan)", "medium"),
    ]


def test_synthetic_lineage_with_merges_datasets_and_code_matches_the_library_model() -> None:
    from bench_export import big_graph

    _same_as_library(big_graph(120, 30, 6), "1.7")


def test_signature_file_names_the_library_cannot_take_still_give_a_valid_bom() -> None:
    graph = sample_graph(hostile=False)
    target = graph.node(model_key("acme/chat-q4"))
    assert isinstance(target, ModelNode)
    target.signature = SignatureInfo(status="verified", file="odd%zz#1#.sig")
    doc = json.loads(graph_to_cyclonedx_json(graph))
    refs = doc["metadata"]["component"]["externalReferences"]
    sig = next(r for r in refs if r["type"] == "digital-signature")
    assert sig["url"].endswith("/odd%25zz%231%23.sig")


def _valid_doc() -> dict[str, Any]:
    return json.loads(graph_to_cyclonedx_json(sample_graph(hostile=False)))


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
@pytest.mark.parametrize("fault, where", [
    ("unknown-field", "components/0"),
    ("bad-hash", "hashes/0/content"),
    ("bad-timestamp", "metadata/timestamp"),
    ("bad-url", "externalReferences/0/url"),
    ("bad-type", "components/0/type"),
    ("duplicate-entry", "components"),
])
def test_schema_violations_are_refused_naming_where(spec: str, fault: str, where: str) -> None:
    doc = _valid_doc()
    doc["specVersion"] = spec
    comps = doc["components"]
    if fault == "unknown-field":
        comps[0]["weights"] = "x"
    elif fault == "bad-hash":
        doc["metadata"]["component"]["components"][0]["hashes"][0]["content"] = "zz"
    elif fault == "bad-timestamp":
        doc["metadata"]["timestamp"] = "yesterday"
    elif fault == "bad-url":
        doc["metadata"]["component"]["externalReferences"][0]["url"] = "http://exa mple/x y"
    elif fault == "bad-type":
        comps[0]["type"] = "weights"
    else:
        comps.append(dict(comps[0]))
    with pytest.raises(ValidationFailure, match=f"CycloneDX {spec} schema validation failed"
                       ) as info:
        validate_cyclonedx_json(json.dumps(doc), spec)
    assert where in str(info.value)
