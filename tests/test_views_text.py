"""Terminal tree, JSON tree, Mermaid and DOT views, checked by parsing what they print."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET  # noqa: N817 - parses dot's own output
from pathlib import Path
from typing import Any

import pytest
from test_views_graphs import HOSTILE, sample_graph, single_model_graph

from lineage.graph import LineageGraph
from sbom.views.dot import render_dot
from sbom.views.html import render_html
from sbom.views.mermaid import render_mermaid
from sbom.views.tree import render_tree, tree_json

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- tree ----------------------------------------------------------------------------------


def test_plain_tree_shows_relations_licenses_signatures_and_flags() -> None:
    text = render_tree(sample_graph(), color=False)
    assert not ANSI.search(text)
    lines = text.splitlines()
    assert lines[0].startswith("acme/chat-q4 @1111111") and "sig:verified" in lines[0]
    assert any("quantized acme/chat-merge @2222222" in ln and "sig:invalid" in ln for ln in lines)
    assert any("adapter common/root" in ln and ln.endswith("(see above)") for ln in lines)
    assert sum("common/root @5555555  MIT" in ln for ln in lines) == 1  # expanded once
    assert "! unresolved: gated" in text and "! unresolved: local-path" in text
    assert "! unsafe weights: pickle only" in text
    assert "! remote code: needs trust_remote_code" in text
    assert "! license: parent common/root is MIT" in text
    assert "trained on hostile/ds [dataset]" in text
    assert HOSTILE in text  # rich markup in card text is shown, not interpreted


def test_tree_marks_findings_unresolved_and_verdicts_with_the_boms_words() -> None:
    from sbom.cyclonedx import graph_to_cyclonedx_json

    graph = sample_graph(hostile=False)
    graph.node("model:acme/chat-merge").verification = "contradicted"  # type: ignore[attr-defined]
    text = render_tree(graph, color=False, width=200)
    bom = json.loads(graph_to_cyclonedx_json(graph, spec_version="1.6", reproducible=True))
    props = [p for c in bom["components"] for p in c.get("properties", [])]
    findings = [p["value"] for p in props if p["name"] == "mlbom:finding"]
    unresolved = [p["value"] for p in props if p["name"] == "mlbom:lineage:unresolved"]
    assert findings and unresolved
    for value in findings:  # "kind severity file: message" in the BOM; the tree drops the file
        head, message = value.split(": ", 1)
        assert f"! finding: {' '.join(head.split()[:2])}: {message}" in text
    for value in unresolved:
        assert f"! unresolved: {value}" in text
    assert "! lineage verification: contradicted" in text
    assert "! error: dangerous import" not in text  # one wording, the BOM's


def test_colour_only_when_asked() -> None:
    coloured = render_tree(sample_graph(), color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == render_tree(sample_graph(), color=False)


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node["children"]:
        out += _walk(child)
    return out


def test_tree_json_is_nested_and_marks_repeats() -> None:
    graph = sample_graph()
    data = tree_json(graph)
    json.dumps(data)  # plain JSON types only
    assert data["format"] == "mlbom-tree/1" and data["target"] == "model:acme/chat-q4"
    nodes = _walk(data["roots"][0])
    assert {n["key"] for n in nodes} == set(graph.g.nodes)
    root_entries = [n for n in nodes if n["key"] == "model:common/root"]
    assert [n["see_above"] for n in root_entries] == [False, True]
    assert root_entries[1]["children"] == []
    gated = next(n for n in nodes if n["key"] == "model:meta-llama/llama-3.1-8b")
    assert gated["unresolved"] == "gated" and gated["relation_to_child"] == "finetune"
    assert gated["evidence"] == ["hub-base-models:baseModels=meta-llama/Llama-3.1-8B"]


# -- Mermaid -------------------------------------------------------------------------------

_M_NODE = re.compile(r'^    (n\d+)(\["|\(\["|\[\(")(?P<label>[^"\n]*)("\]|"\]\)|"\)\])$')
_M_EDGE = re.compile(r"^    (n\d+) (-->|-\.->)\|(?P<label>[a-z ]+)\| (n\d+)$")
_M_CLASSDEF = re.compile(r"^    classDef [a-z_]+ [a-z-]+:[^,;:\n]+(,[a-z-]+:[^,;:\n]+)*$")
_M_CLASS = re.compile(r"^    class (n\d+(?:,n\d+)*) [a-z_]+$")


Parsed = tuple[dict[str, str], list[tuple[str, str, str]], dict[str, set[str]]]


def parse_mermaid(text: str) -> Parsed:
    """A strict check of the subset of flowchart syntax mlbom writes."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart TD"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    classes: dict[str, set[str]] = {}
    for line in lines[1:]:
        if m := _M_NODE.match(line):
            assert m.group(1) not in nodes
            nodes[m.group(1)] = m.group("label")
        elif m := _M_EDGE.match(line):
            edges.append((m.group(1), m.group(4), m.group("label")))
        elif _M_CLASSDEF.match(line):
            pass
        elif m := _M_CLASS.match(line):
            for nid in m.group(1).split(","):
                classes.setdefault(nid, set()).add(line.rsplit(" ", 1)[1])
        else:
            raise AssertionError(f"not valid mlbom Mermaid: {line!r}")
    for a, b, _ in edges:
        assert a in nodes and b in nodes
    assert set(classes) <= set(nodes)
    return nodes, edges, classes


def _mermaid_unescape(label: str) -> str:
    return re.sub(r"#(\w+);", lambda m: {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}.get(
        m.group(1), chr(int(m.group(1))) if m.group(1).isdigit() else m.group(0)), label)


def test_mermaid_declares_every_node_and_edge_with_escaped_labels() -> None:
    graph = sample_graph()
    nodes, edges, classes = parse_mermaid(render_mermaid(graph))
    assert len(nodes) == len(graph)
    assert len(edges) == len(list(graph.edges()))
    by_name = {_mermaid_unescape(lbl.split("<br/>")[0]).split(" @")[0]: nid
               for nid, lbl in nodes.items()}
    assert ("quantized" in {lbl for a, b, lbl in edges
                            if a == by_name["acme/chat-q4"] and b == by_name["acme/chat-merge"]})
    hostile_label = nodes[by_name["other/base-b"]]
    assert "<" not in hostile_label.replace("<br/>", "")
    assert _mermaid_unescape(hostile_label).split("<br/>")[1] == HOSTILE
    assert "lic_permissive" in classes[by_name["common/root"]]
    assert "sig_verified" in classes[by_name["acme/chat-q4"]]
    assert "sig_invalid" in classes[by_name["acme/chat-merge"]]
    assert "unresolved" in classes[by_name["meta-llama/Llama-3.1-8B"]]


def test_mermaid_of_a_single_node() -> None:
    nodes, edges, _ = parse_mermaid(render_mermaid(single_model_graph()))
    assert len(nodes) == 1 and edges == []


# -- DOT -----------------------------------------------------------------------------------

DOT = shutil.which("dot")


def _hostile_graph() -> LineageGraph:
    g = sample_graph()
    node = g.node("model:other/base-b")
    node.name = 'evil"] ; x [label="pwned\\" \\N \\\\'
    return g


@pytest.mark.skipif(DOT is None, reason="graphviz not installed (apt-get install graphviz)")
@pytest.mark.parametrize("factory", [sample_graph, single_model_graph, _hostile_graph])
def test_graphviz_renders_dot_without_errors(factory: Any, tmp_path: Path) -> None:
    graph = factory()
    src = tmp_path / "g.dot"
    src.write_text(render_dot(graph), encoding="utf-8")
    res = subprocess.run([DOT or "dot", "-Tjson", str(src)], capture_output=True, timeout=60)
    assert res.returncode == 0 and res.stderr == b"", res.stderr
    drawn = json.loads(res.stdout)
    names = {o["name"] for o in drawn.get("objects", [])}
    assert names == set(graph.g.nodes)  # no node injected by a label
    assert len(drawn.get("edges", [])) == len(list(graph.edges()))
    if factory is _hostile_graph:  # the label renders as the literal text, nothing more
        svg = subprocess.run([DOT or "dot", "-Tsvg", str(src)], capture_output=True, timeout=60)
        root = ET.fromstring(svg.stdout)
        texts = [t.text for g in root.iter("{http://www.w3.org/2000/svg}g")
                 if g.get("class") == "node"
                 and g.findtext("{http://www.w3.org/2000/svg}title") == "model:other/base-b"
                 for t in g.iter("{http://www.w3.org/2000/svg}text")]
        assert texts[0] == graph.node("model:other/base-b").name + " @4444444"
        assert texts[1] == HOSTILE
    edge_labels = sorted(e["label"] for e in drawn.get("edges", []))
    assert edge_labels == sorted(d.relation.value.replace("_", " ") for _, _, d in graph.edges())


# -- HTML (static) --------------------------------------------------------------


def test_html_is_self_contained_and_embeds_hostile_text_inertly() -> None:
    page = render_html(sample_graph())
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page.split('<script id="mlbom-data"')[0]
    assert "<script>alert" not in page and "<img" not in page
    assert "innerHTML" not in page
    start = page.index('type="application/json">') + len('type="application/json">')
    data = json.loads(page[start:page.index("</script>", start)])
    assert any(n["license"] == HOSTILE for n in data["nodes"])
    assert len(page) < 120_000  # dagre (49 kB) is inlined; the rest is the graph
    assert page.count("Copyright (c) 2012-2014 Chris Pettitt") == 1  # dagre's MIT notice


def test_html_legend_names_every_license_family_and_signature_status() -> None:
    from lineage.licenses import FAMILY_ORDER
    from sbom.views.common import SIGNATURE_WORDS

    legend = render_html(sample_graph()).split('<div id="legend">')[1].split("</div>")[0]
    for family in FAMILY_ORDER:
        assert f"</i>{family}</span>" in legend
    for words in SIGNATURE_WORDS.values():
        assert f"</i>{words}</span>" in legend


def test_share_alike_dataset_has_its_own_colour_not_restricted() -> None:
    from lineage.graph import DatasetNode, LicenseInfo, dataset_key
    from sbom.views.common import license_family

    node = DatasetNode(key=dataset_key("x/sa"), name="x/sa", license=LicenseInfo(
        spdx="CC-BY-SA-4.0", family="share-alike", source="card"))
    assert license_family(node) == "share-alike"
    nc = DatasetNode(key=dataset_key("x/nc"), name="x/nc", license=LicenseInfo(
        spdx="CC-BY-NC-4.0", family="noncommercial", source="card"))
    assert license_family(nc) == "noncommercial"
