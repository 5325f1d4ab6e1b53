"""The ML-BOM contract: golden files validated against the schema in the same test, and the
fields other tools read. Regenerate goldens with MLBOM_UPDATE_GOLDEN=1 (never silently)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lineage.pipeline import RunOptions, build_graph
from sbom.cyclonedx import graph_to_cyclonedx_json, validate_cyclonedx_json

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "fixtures" / "hub"
GOLDEN = Path(__file__).parent / "golden"
MIRROR = RunOptions(hub_mirror=HUB)


def bom(target: str, **kw: Any) -> dict[str, Any]:
    text = graph_to_cyclonedx_json(build_graph(target, MIRROR), reproducible=True, **kw)
    return json.loads(text)  # type: ignore[no-any-return]


def props(comp: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in comp.get("properties", []) if p["name"] == name]


def components(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {c["bom-ref"]: c for c in doc.get("components", [])}
    out[doc["metadata"]["component"]["bom-ref"]] = doc["metadata"]["component"]
    return out


@pytest.mark.parametrize("target", ["acme/Atlas-Merge-7B", "acme/llama31-support-lora"])
def test_golden_bom_matches_and_validates(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    text = graph_to_cyclonedx_json(build_graph(target, MIRROR), reproducible=True)
    validate_cyclonedx_json(text, "1.6")
    golden = GOLDEN / (target.replace("/", "--") + ".cdx.json")
    if os.environ.get("MLBOM_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert golden.is_file(), "golden missing: run with MLBOM_UPDATE_GOLDEN=1 once"
    validate_cyclonedx_json(golden.read_text(), "1.6")
    assert text == golden.read_text()


def test_contract_fields_for_a_multi_level_merge() -> None:
    doc = bom("acme/Atlas-Merge-7B")
    comps = components(doc)
    target = doc["metadata"]["component"]
    assert target["type"] == "machine-learning-model"
    assert target["name"] == "acme/Atlas-Merge-7B"
    sha = target["version"]
    assert target["purl"] == f"pkg:huggingface/acme/Atlas-Merge-7B@{sha}"
    assert props(target, "mlbom:lineage:relation") == ["merge"]
    assert len(props(target, "mlbom:lineage:parent")) == 4
    assert any("mergekit_config.yml" in e for e in props(target, "mlbom:lineage:evidence"))
    assert {a["name"] for a in target["pedigree"]["ancestors"]} == {
        "acme/Mistral-7B-Orca-Med", "contoso/Mistral-7B-Code-Instruct",
        "mistralai/Mistral-7B-Instruct-v0.3", "mistralai/Mistral-7B-v0.3"}
    assert [t["name"] for t in doc["metadata"]["tools"]["components"]][0] == "mlbom"
    deps = {d["ref"]: set(d.get("dependsOn", [])) for d in doc["dependencies"]}
    assert deps[target["bom-ref"]] == {
        "model:acme/mistral-7b-orca-med", "model:contoso/mistral-7b-code-instruct",
        "model:mistralai/mistral-7b-instruct-v0.3", "model:mistralai/mistral-7b-v0.3"}
    orca = comps["model:acme/mistral-7b-orca-med"]
    assert "dataset:acme/med-qa-instruct" in deps[orca["bom-ref"]]
    assert orca["modelCard"]["modelParameters"]["datasets"][0]["ref"].startswith("dataset:")
    ds = comps["dataset:acme/med-qa-instruct"]
    assert ds["type"] == "data" and ds["data"][0]["type"] == "dataset"
    assert props(comps["dataset:contoso/withdrawn-corpus"], "mlbom:lineage:unresolved") == [
        "not-found"]
    # every dependency ref is a component, and refs are unique
    refs = [c["bom-ref"] for c in comps.values()]
    assert len(refs) == len(set(refs))
    for d in doc["dependencies"]:
        assert d["ref"] in comps and set(d.get("dependsOn", [])) <= set(comps)


def test_licenses_spdx_id_or_named_with_url() -> None:
    comps = components(bom("contoso/Nova-8B-Chat"))
    named = comps["model:meta-llama/llama-3.1-8b"]["licenses"][0]["license"]
    assert named["name"] and named["url"].startswith("https://")
    assert props(comps["model:meta-llama/llama-3.1-8b"], "mlbom:license:declared") == [
        "llama3.1"]
    ds = comps["dataset:contoso/orca-style-chat"]
    assert ds["licenses"][0]["license"]["id"] == "CC-BY-4.0"


def test_unresolved_reasons_and_remote_code_properties() -> None:
    comps = components(bom("acme/Orion-13B-Chat"))
    assert props(comps["model:fabrikam/orion-13b"], "mlbom:lineage:unresolved") == ["gated"]
    code_bom = bom("acme/atlas-base-1b")
    comps = components(code_bom)
    assert props(code_bom["metadata"]["component"], "mlbom:remote-code") == ["true"]
    lib = comps["code:acme/atlas-code"]
    assert lib["type"] == "library" and len(lib["version"]) == 40


def test_spec_1_7_validates_and_reproducible_is_byte_identical(
        monkeypatch: pytest.MonkeyPatch) -> None:
    g = build_graph("contoso/Hybrid-NC-Merge-7B", MIRROR)
    v17 = graph_to_cyclonedx_json(g, spec_version="1.7", reproducible=True)
    assert json.loads(v17)["specVersion"] == "1.7"
    again = graph_to_cyclonedx_json(build_graph("contoso/Hybrid-NC-Merge-7B", MIRROR),
                                    spec_version="1.7", reproducible=True)
    assert v17 == again
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    fixed = json.loads(graph_to_cyclonedx_json(g, reproducible=True))
    assert fixed["metadata"]["timestamp"].startswith("2023-11-14T22:13:20")
    plain_a = json.loads(graph_to_cyclonedx_json(g))
    plain_b = json.loads(graph_to_cyclonedx_json(g))
    assert plain_a["serialNumber"] != plain_b["serialNumber"]
    for d in (plain_a, plain_b):
        d.pop("serialNumber")
        d["metadata"].pop("timestamp")
    assert plain_a == plain_b


def _fixture_models() -> list[str]:
    out = []
    for d in sorted((HUB / "models").iterdir()):
        if (d / "info.json").is_file():
            out.append(json.loads((d / "info.json").read_text())["id"])
    return out


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_every_fixture_model_gives_a_schema_valid_bom(spec: str) -> None:
    models = _fixture_models()
    assert len(models) >= 30
    for repo in models:
        text = graph_to_cyclonedx_json(build_graph(repo, MIRROR), spec_version=spec)
        validate_cyclonedx_json(text, spec)  # raises with the first schema error
