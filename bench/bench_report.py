"""Benchmark: the HTML report of a 500-node lineage (issue 18): layout time and file size.

Builds a synthetic lineage (a target over fine-tune chains, merges with two or three parents,
adapters, quantizations and training datasets; deterministic for a seed), renders it with
``render_html`` and opens it in headless Chromium (Debian's ``chromium``, driven as in
``tests/chromium.py``). Reports the time dagre takes to lay the graph out and draw it in the
page (the report records it in ``body[data-layout-ms]``: text measuring, ``dagre.layout``, edge
routing), the whole load until the page is ready, and the file size. Without chromium only the
size and the Python render time are reported.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, Row

sys.path.insert(0, str(REPO / "tests"))

from lineage.graph import (  # noqa: E402
    DatasetNode,
    Evidence,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Relation,
    dataset_key,
    model_key,
)
from sbom.views.html import render_html  # noqa: E402

NODES = 500
LAYOUT_GOAL_MS = 2000.0  # opening a 500-node report should not take longer than this
SIZE_GOAL_BYTES = 1_000_000
_FAMILIES = (("Apache-2.0", "permissive"), ("MIT", "permissive"), ("CC-BY-SA-4.0", "share-alike"),
             ("CC-BY-NC-4.0", "noncommercial"), ("llama3.1", "llama"), (None, "unknown"))


def synthetic_lineage(nodes: int, seed: int = 18) -> LineageGraph:
    """A lineage of ``nodes`` nodes: node 0 is the target, every other node is a parent of an
    earlier one (so it is a DAG), 15% of models get a second parent (merges), 10% are datasets."""
    rnd = random.Random(seed)
    graph = LineageGraph()
    keys: list[str] = []
    for i in range(nodes):
        spdx, family = rnd.choice(_FAMILIES)
        lic = LicenseInfo(spdx=spdx, family=family, source="card")
        if i and rnd.random() < 0.10:
            name = f"synth-org-{i % 17}/corpus-{i}"
            node: ModelNode | DatasetNode = DatasetNode(
                key=dataset_key(name), name=name, license=lic)
        else:
            name = f"synth-org-{i % 23}/Model-{i}-7B-Instruct-v0.{i % 9}"
            node = ModelNode(key=model_key(name), name=name, repo_id=name, license=lic,
                             is_target=i == 0, sha=f"{i:040x}")
        graph.add_node(node)
        keys.append(node.key)
    for i in range(1, nodes):
        children = [j for j in range(max(0, i - 40), i) if keys[j].startswith("model:")]
        picks = {rnd.choice(children)}
        if keys[i].startswith("model:") and rnd.random() < 0.15:
            picks.add(rnd.choice(children))
        for j in picks:
            if keys[i].startswith("dataset:"):
                rel = Relation.TRAINED_ON
            else:
                rel = rnd.choice((Relation.FINETUNE, Relation.ADAPTER, Relation.QUANTIZED,
                                  Relation.MERGE))
            ev = Evidence("card", "README.md", "base_model", graph.node(keys[i]).name)
            graph.add_edge(keys[j], keys[i], rel, [ev])
    return graph


def run(smoke: bool) -> list[Row]:
    nodes = 60 if smoke else NODES
    graph = synthetic_lineage(nodes)
    t0 = time.perf_counter()
    page = render_html(graph)
    render_s = time.perf_counter() - t0
    size = len(page.encode("utf-8"))
    edges = len(list(graph.edges()))
    rows = [Row(f"report file size, {nodes} nodes / {edges} edges", size, "bytes",
                SIZE_GOAL_BYTES, notes="dagre 3.1.3 inlined (49 kB)"),
            Row(f"render_html in Python, {nodes} nodes", round(render_s * 1000, 1), "ms", None)]
    from chromium import CHROMIUM, Browser

    if CHROMIUM is None:
        return rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        path.write_text(page, encoding="utf-8")
        browser = Browser(Path(tmp) / "profile")
        try:
            t0 = time.perf_counter()
            browser.open(path.as_uri(), width=1400, height=900)
            load_s = time.perf_counter() - t0
            layout_ms = float(browser.js("document.body.dataset.layoutMs"))
            drawn = browser.js("document.querySelectorAll('#graph g.node').length")
        finally:
            browser.close()
    if drawn != nodes:
        raise RuntimeError(f"the report drew {drawn} of {nodes} nodes")
    rows += [Row(f"layout in Chromium (dagre), {nodes} nodes", round(layout_ms, 1), "ms",
                 LAYOUT_GOAL_MS, notes="text measuring + dagre.layout; machine shared"),
             Row(f"open until ready in Chromium, {nodes} nodes", round(load_s * 1000, 1), "ms",
                 None, notes="navigation, parse, layout and drawing")]
    return rows


if __name__ == "__main__":
    for row in run("--smoke" in sys.argv):
        print(row)
