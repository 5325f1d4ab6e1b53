"""End to end over every model in fixtures/hub: resolve, annotate, export SPDX 2.3 and 3.0.1."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from spdx_python_model import v3_0_1 as spdx3
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from lineage.graph import LineageGraph
from lineage.pipeline import RunOptions, build_graph
from sbom.spdx2 import write_spdx23_json
from sbom.spdx3 import write_spdx3_json

HUB = Path(__file__).resolve().parents[1] / "fixtures" / "hub"
TARGETS = (json.loads((HUB / "mirror.json").read_text())["targets"]
           if (HUB / "mirror.json").is_file() else [])


@functools.cache
def fixture_graph(target: str) -> LineageGraph:
    return build_graph(target, RunOptions(hub_mirror=HUB, offline=True, use_cache=False))


@pytest.mark.skipif(not TARGETS, reason="fixtures/hub is absent")
@pytest.mark.parametrize("target", TARGETS)
def test_spdx23_validates_with_zero_messages(target: str) -> None:
    graph = fixture_graph(target)
    text = write_spdx23_json(graph, reproducible=True)
    doc = JsonLikeDictParser().parse(json.loads(text))
    assert validate_full_spdx_document(doc) == []
    names = {p.name for p in doc.packages}
    assert {n.name for n in graph.nodes()} <= names
    lineage_rels = [r for r in doc.relationships
                    if r.relationship_type.name in ("DESCENDANT_OF", "VARIANT_OF", "DEPENDS_ON")]
    assert len(lineage_rels) == len(list(graph.edges()))


@pytest.mark.skipif(not TARGETS, reason="fixtures/hub is absent")
@pytest.mark.parametrize("target", TARGETS)
def test_spdx3_round_trips_through_spdx_python_model(target: str) -> None:
    graph = fixture_graph(target)
    objset = spdx3.SHACLObjectSet()
    spdx3.JSONLDDeserializer().deserialize_data(
        json.loads(write_spdx3_json(graph, reproducible=True)), objset)
    assert objset.link() == set()
    packages = list(objset.foreach_type(spdx3.software_Package))
    assert len(packages) == len(graph)
    assert sum(type(p) is spdx3.ai_AIPackage for p in packages) == len(graph.models())
