"""The HTML report in a real headless Chromium (Debian's ``chromium`` package, see
``tests/chromium.py``). Skips when chromium is absent, except under CI (env ``CI`` set), where
absence fails.

The geometry test opens the report of every fixture model and reads what was drawn: node boxes,
edge paths (sampled along their length) and edge labels, in screen coordinates. No edge may
enter a box, no two labels or boxes may overlap, every line of text stays inside its box and
the name lines spell the whole name.

Set ``MLBOM_WRITE_SCREENSHOTS=1`` to also write the README pictures ``docs/img/report.png``,
``docs/img/tree.png``:
``MLBOM_WRITE_SCREENSHOTS=1 CI=true python3 -m pytest tests/test_views_html.py``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM, Browser
from test_spdx_fixtures import TARGETS, fixture_graph
from test_views_graphs import HOSTILE, sample_graph

from sbom.views.html import render_html
from sbom.views.tree import export_tree_svg

pytestmark = pytest.mark.chromium
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


def _center(b: Browser, selector: str) -> tuple[float, float]:
    rect = b.js(
        f"(function(){{var r=document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2];})()"
    )
    return float(rect[0]), float(rect[1])


def test_report_draws_every_node_and_click_shows_details(browser: Browser, tmp_path: Path) -> None:
    graph = sample_graph()
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri())

    assert browser.js("document.querySelectorAll('#graph g.node').length") == len(graph)
    assert browser.js("document.querySelectorAll('#graph g.edge').length") == len(
        list(graph.edges()))

    x, y = _center(browser, 'g.node[data-key="model:common/root"]')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert "common/root" in panel and "license: MIT" in panel
    assert "unknown → ./checkpoints/run1" in panel
    rows = browser.js("Array.from(document.querySelectorAll('#panel tr')).map("
                      "r=>Array.from(r.cells).map(c=>c.textContent))")
    assert ["source", "file", "field", "value"] in rows
    assert any(r[1:] == ["config.json", "_name_or_path", "./checkpoints/run1"] for r in rows)

    x, y = _center(browser, 'g.node[data-key="model:meta-llama/llama-3.1-8b"]')
    browser.click(x, y)
    assert "unresolved: gated" in browser.js("document.getElementById('panel').innerText")

    x, y = _center(browser, 'g.node[data-key="model:acme/chat-q4"]')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert "chat.Q4_K_M.gguf" in panel and "status: verified" in panel

    png = browser.screenshot()
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_search_highlights_matching_nodes(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_graph()), encoding="utf-8")
    browser.open(page.as_uri())
    browser.js("document.getElementById('search').focus()")
    browser.page("Input.insertText", {"text": "acme/"})
    hits = browser.js(
        "Array.from(document.querySelectorAll('g.node.hit')).map(e=>e.dataset.key).sort()")
    assert hits == ["code:acme/modeling", "model:acme/base-a-ft", "model:acme/chat-merge",
                    "model:acme/chat-q4"]
    assert browser.js("document.querySelectorAll('g.node.dim').length") == 5


def test_hostile_text_stays_text(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_graph()), encoding="utf-8")
    browser.open(page.as_uri())
    x, y = _center(browser, 'g.node[data-key="model:other/base-b"]')
    browser.click(x, y)
    panel = browser.js("document.getElementById('panel').innerText")
    assert HOSTILE in panel  # shown, literally
    assert browser.js("document.querySelectorAll('script').length") == 3
    assert browser.js("document.querySelectorAll('img, iframe, a').length") == 0
    assert browser.dialogs() == []


_GEOMETRY = r"""
(function(){
function box(e){var r=e.getBoundingClientRect();return [r.left,r.top,r.right,r.bottom];}
var nodes=Array.from(document.querySelectorAll('#graph g.node')).map(function(g){
 return {key:g.dataset.key,box:box(g.querySelector('rect')),
  name:Array.from(g.querySelectorAll('text.name')).map(function(t){return t.textContent;}).join(''),
  text:Array.from(g.querySelectorAll('text')).map(function(t){return box(t);})};});
var edges=Array.from(document.querySelectorAll('#graph g.edge')).map(function(g){
 var p=g.querySelector('path'),n=p.getTotalLength(),m=p.getScreenCTM(),pts=[];
 for(var s=0;s<=n;s+=1){var q=p.getPointAtLength(s);
  pts.push([m.a*q.x+m.c*q.y+m.e,m.b*q.x+m.d*q.y+m.f]);}
 return {from:g.dataset.from,to:g.dataset.to,label:box(g.querySelector('rect')),points:pts};});
return {nodes:nodes,edges:edges,scale:document.getElementById('world').getScreenCTM().a};
})()
"""


def _overlap(a: list[float], b: list[float], margin: float) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > margin
            and min(a[3], b[3]) - max(a[1], b[1]) > margin)


def _inside(pt: list[float], box: list[float], margin: float) -> bool:
    return box[0] + margin < pt[0] < box[2] - margin and box[1] + margin < pt[1] < box[3] - margin


def geometry_problems(geo: dict[str, Any], names: dict[str, str]) -> list[str]:
    """Every edge-box crossing, box/label overlap, text overflow and cut name in ``geo``."""
    problems = []
    tol = max(1.0, 1.5 * geo["scale"])
    boxes = [(f"box {n['key']}", n["box"]) for n in geo["nodes"]]
    labels = [(f"label {e['from']}->{e['to']}", e["label"]) for e in geo["edges"]]
    for i, (name_a, a) in enumerate(boxes + labels):
        for name_b, b in (boxes + labels)[i + 1:]:
            if _overlap(a, b, 0.5):
                problems.append(f"{name_a} overlaps {name_b}")
    for edge in geo["edges"]:
        own_label = edge["label"]
        for name, rect in boxes + labels:
            if rect is own_label:
                continue
            hits = [p for p in edge["points"] if _inside(p, rect, tol)]
            if hits:
                problems.append(f"edge {edge['from']}->{edge['to']} crosses {name} at {hits[0]}")
    for node in geo["nodes"]:
        if any(not _overlap(t, t, -1) or t[0] < node["box"][0] - 1 or t[2] > node["box"][2] + 1
               or t[1] < node["box"][1] - 1 or t[3] > node["box"][3] + 1 for t in node["text"]):
            problems.append(f"text leaves box {node['key']}")
        if node["name"].removeprefix("\u2605 ") != names[node["key"]]:
            problems.append(f"name of {node['key']} shown as {node['name']!r}")
    return problems


@pytest.mark.skipif(not TARGETS, reason="fixtures/hub is absent")
@pytest.mark.parametrize("target", TARGETS)
def test_geometry_on_every_fixture_model(browser: Browser, tmp_path: Path, target: str) -> None:
    graph = fixture_graph(target)
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri(), width=1400, height=900)
    assert browser.js("document.body.dataset.ready") == "1"
    geo = browser.js(_GEOMETRY)
    assert len(geo["nodes"]) == len(graph) and len(geo["edges"]) == len(list(graph.edges()))
    assert geometry_problems(geo, {n.key: n.name for n in graph.nodes()}) == []


def test_geometry_check_sees_a_crossing(browser: Browser, tmp_path: Path) -> None:
    """The check itself: an edge path moved through a box, and a label moved onto another."""
    graph = fixture_graph(TARGETS[0]) if TARGETS else sample_graph(hostile=False)
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_graph(hostile=False)), encoding="utf-8")
    browser.open(page.as_uri(), width=1400, height=900)
    names = {n.key: n.name for n in sample_graph(hostile=False).nodes()}
    assert geometry_problems(browser.js(_GEOMETRY), names) == []
    browser.js("(function(){var b=document.querySelector('g.node[data-key=\"model:common/root\"]')"
               ".getBBox(),t=document.querySelector('g.node[data-key=\"model:common/root\"]')"
               ".transform.baseVal[0].matrix,p=document.querySelector('g.edge path');"
               "p.setAttribute('d','M'+(t.e-50)+','+(t.f+b.height/2)+' L'+(t.e+b.width+50)+','"
               "+(t.f+b.height/2));})()")
    problems = geometry_problems(browser.js(_GEOMETRY), names)
    assert any("crosses box model:common/root" in p for p in problems)
    del graph


def test_geometry_on_a_wide_synthetic_lineage(browser: Browser, tmp_path: Path) -> None:
    """120 nodes with merges, long edges and every relation (bench/bench_report.py's graph)."""
    sys.path.insert(0, str(REPO / "bench"))
    from bench_report import synthetic_lineage

    graph = synthetic_lineage(120)
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri(), width=1400, height=900)
    geo = browser.js(_GEOMETRY)
    assert len(geo["edges"]) == len(list(graph.edges())) > 120
    assert geometry_problems(geo, {n.key: n.name for n in graph.nodes()}) == []


@pytest.mark.parametrize("width", [700, 2560])
def test_report_is_readable_from_700_to_2560_px(browser: Browser, tmp_path: Path,
                                               width: int) -> None:
    target = "acme/Atlas-Merge-7B" if "acme/Atlas-Merge-7B" in TARGETS else None
    graph = fixture_graph(target) if target else sample_graph(hostile=False)
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri(), width=width, height=900)
    scale = browser.js("document.getElementById('world').getScreenCTM().a")
    assert scale >= 0.74  # 11 px text stays at least ~8 px high
    target_box = browser.js(
        "(function(){var r=document.querySelector('g.node.sel rect').getBoundingClientRect();"
        "return [r.left,r.top,r.right,r.bottom,innerWidth];})()")
    assert target_box[0] >= 0 and target_box[2] <= target_box[4]  # the target is in view
    assert browser.js("document.documentElement.scrollWidth") <= width  # no sideways scroll


def test_readme_screenshots(browser: Browser, tmp_path: Path) -> None:
    """Renders the README pictures; writes them only with MLBOM_WRITE_SCREENSHOTS=1."""
    demo = "acme/Atlas-Merge-7B"
    graph = fixture_graph(demo) if demo in TARGETS else sample_graph(hostile=False)
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri(), width=1400, height=800)
    assert geometry_problems(browser.js(_GEOMETRY), {n.key: n.name for n in graph.nodes()}) == []
    report = browser.screenshot()

    graph = sample_graph(hostile=False)

    svg = tmp_path / "tree.svg"
    svg.write_text(export_tree_svg(graph, width=100), encoding="utf-8")
    browser.open(svg.as_uri(), width=1000, height=600)
    size = browser.js(
        "(function(){var s=document.documentElement.getBBox();return [s.width,s.height];})()")
    browser.open(svg.as_uri(), width=int(size[0]) + 2, height=int(size[1]) + 2)
    tree = browser.screenshot()
    assert report.startswith(b"\x89PNG") and tree.startswith(b"\x89PNG")
    if os.environ.get("MLBOM_WRITE_SCREENSHOTS"):
        out = REPO / "docs" / "img"
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.png").write_bytes(report)
        (out / "tree.png").write_bytes(tree)


def test_findings_unresolved_and_lineage_verdicts_are_marked_on_nodes(
        browser: Browser, tmp_path: Path) -> None:
    graph = sample_graph(hostile=False)
    graph.node("model:acme/chat-merge").verification = {"verdict": "contradicted"}  # type: ignore[attr-defined]
    page = tmp_path / "report.html"
    page.write_text(render_html(graph), encoding="utf-8")
    browser.open(page.as_uri())

    def node_text(key: str) -> list[str]:
        return browser.js(  # type: ignore[no-any-return]
            f"Array.from(document.querySelectorAll('g.node[data-key=\"{key}\"] text'))"
            ".map(t=>t.textContent)")

    assert "lineage: contradicted" in node_text("model:acme/chat-merge")
    assert "unresolved: gated" in node_text("model:meta-llama/llama-3.1-8b")
    flagged = graph.node("model:acme/chat-merge")
    assert any(t.startswith("\u26a0 ") and "finding" in t for t in node_text(flagged.key))
    assert not any(t.startswith("lineage:") for t in node_text("model:common/root"))
