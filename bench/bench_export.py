"""Benchmark: exporting a 5,000-node lineage (issue 8: CycloneDX <= 3 s, SPDX 2.3 <= 5 s).

The graph is built directly (no network): 4,000 models in a merge-bearing tree, each with a
license (SPDX ids and Hub-only ``LicenseRef`` licenses), two weight files with SHA-256, Hub
activity, a task and an architecture; 900 training datasets; 100 remote-code repos. Each
export is timed end to end as the CLI runs it, validation included: CycloneDX 1.6 through
``graph_to_cyclonedx_json`` (official schema, jsonschema-rs), SPDX 2.3 through
``write_spdx23_json`` (spdx-tools' full validation, with indexed lookups). Best of ``REPEAT``
runs, after one warm-up run on a small graph that pays for imports and the validators' schema
loading.
"""

from __future__ import annotations

import json
import time

from common import Row

from lineage.graph import (
    Activity,
    CodeNode,
    DatasetNode,
    Evidence,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Relation,
    WeightFile,
    WeightsInfo,
    code_key,
    dataset_key,
    model_key,
)

GOAL_CDX_S = 3.0
GOAL_SPDX_S = 5.0
REPEAT = 3
RELATIONS = (Relation.FINETUNE, Relation.ADAPTER, Relation.QUANTIZED, Relation.FINETUNE)


def _sha(i: int, salt: str) -> str:
    return f"{i:08x}{salt}".encode().hex()[:40].ljust(40, "0")


def _license(i: int) -> LicenseInfo:
    if i % 5 == 4:
        return LicenseInfo(declared="other", hub_id="llama3.1", name="Llama 3.1 Community License",
                           url="https://llama.meta.com/llama3_1/license/", family="llama",
                           source="card-other")
    spdx = ("Apache-2.0", "MIT", "CC-BY-NC-4.0", "Apache-2.0")[i % 4]
    return LicenseInfo(declared=spdx.lower(), spdx=spdx, hub_id=spdx.lower(), source="card")


def big_graph(n_models: int = 4000, n_datasets: int = 900, n_code: int = 100) -> LineageGraph:
    """A deterministic lineage of ``n_models + n_datasets + n_code`` nodes."""
    g = LineageGraph()
    g.meta.update(source="hub", endpoint="https://huggingface.co", max_depth=50, offline=False)
    for i in range(n_models):
        rid = f"org{i % 97}/model-{i}"
        node = ModelNode(
            key=model_key(rid), name=rid, repo_id=rid, sha=_sha(i, "m"), is_target=i == 0,
            depth=0, license=_license(i), task="text-generation", architecture="llama",
            library_name="transformers",
            activity=Activity(downloads=i * 7, likes=i % 13, created_at="2024-01-01T00:00:00Z",
                              last_modified="2024-06-01T00:00:00Z", author=f"org{i % 97}"),
            weights=WeightsInfo(files=[
                WeightFile(f"model-0000{k}-of-00002.safetensors", "safetensors",
                           4_000_000_000, hashlib_sha256(f"{rid}/{k}")) for k in (1, 2)],
                formats=["safetensors"]),
            card={"license": _license(i).declared},
        )
        g.add_node(node)
        if i:
            parent = (i - 1) // 3
            rel = RELATIONS[i % 4]
            prid = f"org{parent % 97}/model-{parent}"
            g.add_edge(node.key, model_key(prid), rel,
                       [Evidence("card", "README.md", "base_model", prid)])
            if i % 10 == 0 and parent > 0:  # a merge: a second parent
                other = parent - 1
                orid = f"org{other % 97}/model-{other}"
                g.edge(node.key, model_key(prid)).relation = Relation.MERGE
                g.add_edge(node.key, model_key(orid), Relation.MERGE,
                           [Evidence("mergekit", "mergekit_config.yml", "models", orid)])
    for j in range(n_datasets):
        did = f"data{j % 31}/set-{j}"
        g.add_node(DatasetNode(key=dataset_key(did), name=did, repo_id=did, sha=_sha(j, "d"),
                               license=_license(j)))
        for m in (j * 4 % n_models, (j * 4 + 1) % n_models):
            g.add_edge(model_key(f"org{m % 97}/model-{m}"), dataset_key(did),
                       Relation.TRAINED_ON, [Evidence("card", "README.md", "datasets", did)])
    for c in range(n_code):
        cid = f"code{c % 7}/modeling-{c}"
        g.add_node(CodeNode(key=code_key(cid), name=cid, repo_id=cid, sha=_sha(c, "c"),
                            modules=["modeling.Model"]))
        m = c * 37 % n_models
        g.add_edge(model_key(f"org{m % 97}/model-{m}"), code_key(cid), Relation.REMOTE_CODE,
                   [Evidence("config", "config.json", "auto_map", f"{cid}--modeling.Model")])
    return g


def hashlib_sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _best(fn: object, repeat: int) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(smoke: bool) -> list[Row]:
    from sbom.cyclonedx import graph_to_cyclonedx_json
    from sbom.spdx2 import write_spdx23_json

    sizes = (40, 8, 2) if smoke else (4000, 900, 100)
    graph = big_graph(*sizes)
    n = len(graph)
    repeat = 1 if smoke else REPEAT
    small = big_graph(40, 8, 2)
    graph_to_cyclonedx_json(small)  # warm-up: imports, schema loading
    write_spdx23_json(small)
    cdx_s, cdx = _best(lambda: graph_to_cyclonedx_json(graph), repeat)
    doc = json.loads(cdx)
    assert len(doc["components"]) + 1 == n, "every node is a component"
    spdx_s, spdx = _best(lambda: write_spdx23_json(graph), repeat)
    assert len(json.loads(spdx)["packages"]) >= n, "every node is a package"
    return [
        Row(name=f"CycloneDX 1.6 export + schema validation, {n} nodes", measured=round(cdx_s, 3),
            unit="s", goal=GOAL_CDX_S, notes=f"{len(cdx) / 1e6:.1f} MB; best of {repeat}"),
        Row(name=f"SPDX 2.3 export + spdx-tools validation, {n} nodes",
            measured=round(spdx_s, 3), unit="s", goal=GOAL_SPDX_S,
            notes=f"{len(spdx) / 1e6:.1f} MB; best of {repeat}"),
    ]


if __name__ == "__main__":
    import sys

    for row in run("--smoke" in sys.argv):
        print(row)
