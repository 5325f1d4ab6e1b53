"""Reading mlbom's CycloneDX BOMs back: graph -> BOM -> graph keeps lineage and annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_views_graphs import HOSTILE, sample_graph, single_model_graph

from lineage.errors import InputError
from lineage.graph import LineageGraph, ModelNode
from sbom.bom_reader import MAX_DEPTH, read_bom
from sbom.cyclonedx import graph_to_cyclonedx_json
from sbom.views.mermaid import render_mermaid
from sbom.views.tree import render_tree


def _edges(g: LineageGraph) -> set[tuple[str, str, str, tuple[str, ...]]]:
    return {(c, p, d.relation.value, tuple(sorted(str(e) for e in d.evidence)))
            for c, p, d in g.edges()}


def _roundtrip(graph: LineageGraph, tmp_path: Path) -> LineageGraph:
    path = tmp_path / "bom.json"
    path.write_text(graph_to_cyclonedx_json(graph, spec_version="1.6", reproducible=True))
    return read_bom(path)


def test_roundtrip_keeps_nodes_edges_relations_and_evidence(tmp_path: Path) -> None:
    original = sample_graph()
    back = _roundtrip(original, tmp_path)
    assert back.target_key == original.target_key
    assert {(n.key, n.kind, n.name, n.sha, n.unresolved) for n in back.nodes()} == {
        (n.key, n.kind, n.name, n.sha, n.unresolved) for n in original.nodes()
    }
    assert _edges(back) == _edges(original)


def test_roundtrip_keeps_licenses_signatures_weights_and_findings(tmp_path: Path) -> None:
    original = sample_graph()
    back = _roundtrip(original, tmp_path)
    for node in original.nodes():
        got = back.node(node.key)
        if node.license is None:
            assert got.license is None
        else:
            assert got.license is not None
            for attr in ("spdx", "hub_id", "family", "declared", "problems"):
                assert getattr(got.license, attr) == getattr(node.license, attr), (node.key, attr)
            if node.license.spdx is None:
                assert got.license.name == node.license.name
        assert [(f.kind, f.severity, f.message, f.file) for f in got.findings] == [
            (f.kind, f.severity, f.message, f.file) for f in node.findings]
        if isinstance(node, ModelNode):
            assert isinstance(got, ModelNode)
            assert (got.signature.status if got.signature else None) == (
                node.signature.status if node.signature else None)
            if node.weights:
                assert got.weights is not None
                assert [(w.name, w.format, w.sha256, w.unsafe) for w in got.weights.files] == [
                    (w.name, w.format, w.sha256, w.unsafe) for w in node.weights.files]
                assert got.weights.unsafe_only == node.weights.unsafe_only
            assert (got.remote_code is not None and got.remote_code.needed) == bool(
                node.remote_code and node.remote_code.needed)
    merge = back.node("model:acme/chat-merge")
    assert isinstance(merge, ModelNode) and merge.signature is not None
    assert merge.signature.reason == "digest mismatch for model.safetensors"
    assert back.node("model:other/base-b").license.name == HOSTILE  # type: ignore[union-attr]


def test_views_of_a_read_bom_match_views_of_the_graph(tmp_path: Path) -> None:
    original = sample_graph()
    back = _roundtrip(original, tmp_path)
    assert render_tree(back, color=False) == render_tree(original, color=False)
    assert render_mermaid(back) == render_mermaid(original)


def test_single_model_and_text_input(tmp_path: Path) -> None:
    text = graph_to_cyclonedx_json(single_model_graph(), reproducible=True)
    graph = read_bom(text)
    assert [n.key for n in graph.nodes()] == ["model:solo"] and graph.target.name == "solo"


def _contract_bom() -> dict[str, Any]:
    """A BOM written by hand from the contract in the brief, independent of our writer."""
    def props(*pairs: tuple[str, str]) -> list[dict[str, str]]:
        return [{"name": k, "value": v} for k, v in pairs]

    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "mlbom"}]},
            "component": {
                "type": "machine-learning-model", "bom-ref": "model:org/child",
                "name": "org/child", "version": "a" * 40,
                "licenses": [{"license": {"id": "Apache-2.0"}}],
                "modelCard": {"modelParameters": {"task": "text-generation",
                                                  "datasets": [{"ref": "dataset:org/data"}]}},
                "properties": props(
                    ("mlbom:lineage:relation", "adapter"),
                    ("mlbom:lineage:parent", "adapter model:org/base"),
                    ("mlbom:lineage:evidence",
                     "model:org/base adapter_config:adapter_config.json:"
                     "base_model_name_or_path=org/base"),
                    ("mlbom:signature:status", "unverified-signer"),
                ),
            },
        },
        "components": [
            {"type": "machine-learning-model", "bom-ref": "model:org/base", "name": "org/base",
             "licenses": [{"license": {"name": "Gemma Terms", "url": "https://ai.google.dev/gemma/terms"}}],
             "properties": props(("mlbom:license:hub-id", "gemma"),
                                 ("mlbom:lineage:unresolved", "gated"))},
            {"type": "data", "bom-ref": "dataset:org/data", "name": "org/data",
             "properties": props(("mlbom:dataset:purpose", "training"))},
        ],
        "dependencies": [
            {"ref": "model:org/child", "dependsOn": ["dataset:org/data", "model:org/base"]},
            {"ref": "model:org/base", "dependsOn": []},
        ],
    }


def test_hand_written_contract_bom() -> None:
    graph = read_bom(json.dumps(_contract_bom()))
    assert graph.target_key == "model:org/child"
    assert _edges(graph) == {
        ("model:org/child", "model:org/base", "adapter",
         ("adapter_config.json:base_model_name_or_path=org/base",)),
        ("model:org/child", "dataset:org/data", "trained_on", ()),
    }
    base = graph.node("model:org/base")
    assert base.unresolved == "gated"
    assert base.license is not None and base.license.name == "Gemma Terms"
    assert base.license.hub_id == "gemma" and base.license.spdx is None
    target = graph.target
    assert target.task == "text-generation"
    assert target.signature is not None and target.signature.status == "unverified-signer"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("metadata"), "metadata must be an object"),
        (lambda d: d["metadata"].pop("component"), "no metadata.component"),
        (lambda d: d.update(bomFormat="SPDX"), "not a CycloneDX BOM"),
        (lambda d: d["components"][0].pop("bom-ref"), "has no bom-ref"),
        (lambda d: d["components"].append(dict(d["components"][0])), "appears twice"),
        (lambda d: d["dependencies"].append({"ref": "model:org/base",
                                              "dependsOn": ["model:missing"]}),
         "unknown bom-ref model:missing"),
        (lambda d: d["dependencies"].append({"ref": "model:org/base",
                                              "dependsOn": ["model:org/child"]}),
         "closes a cycle"),
        (lambda d: d.update(components={"a": 1}), "components must be a list"),
    ],
)
def test_malformed_boms_raise_input_error(mutate: Any, message: str) -> None:
    doc = _contract_bom()
    mutate(doc)
    with pytest.raises(InputError, match=message):
        read_bom(json.dumps(doc))


def test_limits_size_depth_and_syntax(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        read_bom("{not json")
    deep = '{"bomFormat": "CycloneDX", "x": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"
    with pytest.raises(InputError, match="deeper than"):
        read_bom(deep)
    # brackets inside strings do not count as nesting
    shallow = json.dumps(_contract_bom() | {"note": "[" * 5000})
    assert read_bom(shallow).target_key == "model:org/child"
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)
    with pytest.raises(InputError, match="over the 64 MiB limit"):
        read_bom(big)
    with pytest.raises(InputError, match="cannot read BOM"):
        read_bom(tmp_path / "missing.json")
