"""End to end over every model in fixtures/hub: views render and a BOM reads back the same."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_spdx_fixtures import TARGETS, fixture_graph
from test_views_text import parse_mermaid

from sbom.bom_reader import read_bom
from sbom.cyclonedx import graph_to_cyclonedx_json
from sbom.views.dot import render_dot
from sbom.views.html import report_data
from sbom.views.mermaid import render_mermaid
from sbom.views.tree import render_tree, tree_json

pytestmark = pytest.mark.skipif(not TARGETS, reason="fixtures/hub is absent")


@pytest.mark.parametrize("target", TARGETS)
def test_views_render_every_node(target: str, tmp_path: Path) -> None:
    graph = fixture_graph(target)
    assert render_tree(graph, color=False).splitlines()[0].startswith(graph.target.name)
    assert tree_json(graph)["target"] == graph.target_key
    nodes, edges, _ = parse_mermaid(render_mermaid(graph))
    assert len(nodes) == len(graph) and len(edges) == len(list(graph.edges()))
    assert len(report_data(graph)["nodes"]) == len(graph)
    dot = shutil.which("dot")
    if dot:
        src = tmp_path / "g.dot"
        src.write_text(render_dot(graph), encoding="utf-8")
        res = subprocess.run([dot, "-Tsvg", str(src)], capture_output=True, timeout=60)
        assert res.returncode == 0 and res.stderr == b""


@pytest.mark.parametrize("target", TARGETS)
def test_bom_reads_back_to_the_same_lineage(target: str) -> None:
    graph = fixture_graph(target)
    back = read_bom(graph_to_cyclonedx_json(graph, spec_version="1.6", reproducible=True))
    assert {n.key for n in back.nodes()} == {n.key for n in graph.nodes()}
    assert {(c, p, d.relation) for c, p, d in back.edges()} == {
        (c, p, d.relation) for c, p, d in graph.edges()}
    assert render_tree(back, color=False) == render_tree(graph, color=False)
