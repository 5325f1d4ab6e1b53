"""Benchmark: ``mlbom check`` on a large lineage full of findings (no goal yet: reported).

The graph is built directly (no network): ``N_MODELS`` models in a tree of depth at most 50
(each model's parent is one of the previous 40, so paths are long), every model ships only a
pickle with a dangerous import and loads unpinned cross-repo code, and every tenth model has an
unresolved parent. That is several findings per node, each needing its path from the target:
the worst case for the checker. Timed: ``check_graph`` (findings, license review, policy), and
the SARIF document with its locations. Best of ``REPEAT`` runs. The machine is shared (2 cores,
8 developers): compare counts, read times as rough.
"""

from __future__ import annotations

import time

from common import Row

from lineage.graph import (
    CodeNode,
    Finding,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Relation,
    RemoteCodeInfo,
    WeightFile,
    WeightsInfo,
    code_key,
    model_key,
)

N_MODELS = 3000
REPEAT = 2


def findings_graph(n: int) -> LineageGraph:
    g = LineageGraph()
    g.add_node(CodeNode(key=code_key("org/code"), name="org/code", repo_id="org/code",
                        sha="c" * 40))
    for i in range(n):
        rid = f"org{i % 13}/model-{i}"
        lic = LicenseInfo(declared="mit", spdx="MIT", hub_id="mit", source="card")
        node = ModelNode(key=model_key(rid), name=rid, repo_id=rid, sha=f"{i:040x}",
                         is_target=i == 0, license=lic)
        node.weights = WeightsInfo(files=[WeightFile("model.bin", "pickle", unsafe=True)],
                                   formats=["pickle"], unsafe_only=True)
        node.findings.append(Finding("dangerous-pickle-import", "error",
                                     "model.bin imports os.system when unpickled", "model.bin"))
        node.remote_code = RemoteCodeInfo(needed=True, cross_repo=["org/code--m.Model"])
        g.add_node(node)
        if i:
            parent = max(0, i - 1 - (i * 7919) % 40) if i > 40 else i - 1
            g.add_edge(model_key(f"org{parent % 13}/model-{parent}"), model_key(rid),
                       Relation.FINETUNE)
        g.add_edge(model_key(rid), code_key("org/code"), Relation.REMOTE_CODE)
        if i % 10 == 5:
            lost = ModelNode(key=f"local:/ckpt/{i}", name=f"/ckpt/{i}", unresolved="local-path")
            g.add_node(lost)
            g.add_edge(model_key(rid), lost.key, Relation.FINETUNE)
    return g


def run(smoke: bool) -> list[Row]:
    from sbom.check import check_graph
    from sbom.check_formats import render_check

    n = 60 if smoke else N_MODELS
    graph = findings_graph(n)
    best_check = best_sarif = float("inf")
    findings = 0
    for _ in range(1 if smoke else REPEAT):
        t = time.perf_counter()
        report = check_graph(graph)
        best_check = min(best_check, time.perf_counter() - t)
        t = time.perf_counter()
        render_check(report, graph, "sarif")
        best_sarif = min(best_sarif, time.perf_counter() - t)
        findings = len(report.findings)
    note = f"{len(graph)} nodes, {findings} findings; shared 2-core machine"
    return [Row("check: findings of a large lineage", best_check, "s", None, notes=note),
            Row("check: SARIF with locations", best_sarif, "s", None, notes=note)]
