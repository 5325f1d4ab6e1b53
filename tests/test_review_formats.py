"""Review output formats: JSON against its schema, SARIF 2.1.0, markdown and table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from lineage.annotate.licenses import annotate_licenses
from lineage.graph import DatasetNode, Evidence, LineageGraph, ModelNode, Relation, model_key
from sbom.policy import parse_policy
from sbom.review import RULE_IDS, Review, review_graph
from sbom.review_formats import render_review

DATA = Path(__file__).resolve().parents[1] / "sbom" / "data"


def _graph(target_card: dict[str, Any], name: str = "me/gemma-lora") -> LineageGraph:
    g = LineageGraph()
    g.add_node(ModelNode(key=model_key(name), name=name, is_target=True, card=target_card))
    g.add_node(ModelNode(key="model:google/gemma-2b", name="google/gemma-2b",
                         card={"license": "gemma"}))
    g.add_node(ModelNode(key="model:org/gone", name="org/gone", unresolved="not-found"))
    g.add_node(DatasetNode(key="dataset:org/nc", name="org/nc",
                           card={"license": "cc-by-nc-sa-4.0"}))
    ev = Evidence("adapter_config", "adapter_config.json", "base_model_name_or_path",
                  "google/gemma-2b")
    g.add_edge(model_key(name), "model:google/gemma-2b", Relation.ADAPTER, [ev])
    g.add_edge("model:google/gemma-2b", "model:org/gone", Relation.FINETUNE)
    g.add_edge(model_key(name), "dataset:org/nc", Relation.TRAINED_ON)
    annotate_licenses(g)
    return g


@pytest.fixture()
def review() -> Review:
    policy = parse_policy("deny: [noncommercial]\n", path="policy.yml")
    return review_graph(_graph({"license": "apache-2.0"}), policy)


def test_json_validates_against_the_documented_schema(review: Review) -> None:
    doc = json.loads(render_review(review, "json"))
    schema = json.loads((DATA / "review.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["summary"]["error"] == sum(1 for f in doc["findings"] if f["severity"] == "error")
    assert {f["kind"] for f in doc["findings"]} >= {
        "license-drift", "noncommercial-dataset", "unresolved-ancestor", "policy-denied"}


def test_sarif_is_valid_sarif_2_1_0_with_one_result_per_finding(review: Review) -> None:
    doc = json.loads(render_review(review, "sarif"))
    schema = json.loads((DATA / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    run = doc["runs"][0]
    assert len(run["results"]) == len(review.findings)
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == list(RULE_IDS.values())
    drift = next(r for r in run["results"] if r["ruleId"] == "MLBOM-LIC-DRIFT")
    assert rules[drift["ruleIndex"]] == "MLBOM-LIC-DRIFT"
    assert drift["level"] == "error"
    loc = drift["locations"][0]["logicalLocations"][0]
    assert loc["fullyQualifiedName"] == "me/gemma-lora > google/gemma-2b"
    assert run["properties"]["obligations"]


def test_sarif_schema_rejects_a_broken_document() -> None:
    schema = json.loads((DATA / "sarif-2.1.0.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate({"version": "2.1.0", "runs": [{}]})


def test_every_format_states_obligations_even_without_findings() -> None:
    g = LineageGraph()
    g.add_node(ModelNode(key="model:me/m", name="me/m", is_target=True, card={"license": "mit"}))
    annotate_licenses(g)
    r = review_graph(g)
    assert r.findings == ()
    assert "MIT permission notice" in render_review(r, "markdown")
    assert "MIT permission notice" in render_review(r, "table")
    assert json.loads(render_review(r, "json"))["obligations"][0]["license"] == "MIT"
    sarif = json.loads(render_review(r, "sarif"))
    assert sarif["runs"][0]["results"] == []
    assert sarif["runs"][0]["properties"]["obligations"][0]["license"] == "MIT"


def test_markdown_escapes_hostile_card_values() -> None:
    hostile = {"license": "other", "license_name": "<img src=x onerror=alert(1)>|[x](http://e)",
               "license_link": "javascript:alert(1)"}
    md = render_review(review_graph(_graph(hostile)), "markdown")
    assert "<img" not in md
    assert "](javascript" not in md
    assert "&lt;img" in md
    assert "\\|\\[x\\]" in md


def test_table_has_colour_only_when_asked(review: Review) -> None:
    plain = render_review(review, "table")
    assert "\x1b[" not in plain and "license-drift" in plain
    assert "\x1b[" in render_review(review, "table", color=True)
    assert "\x1b[" not in render_review(review, "json")


def test_table_drops_control_characters_from_cards() -> None:
    r = review_graph(_graph({"license": "other", "license_name": "evil\x1b[31mred"}))
    assert "\x1b" not in render_review(r, "table")
