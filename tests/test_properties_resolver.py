"""The resolver over random lineage graphs, cycles and missing repos included, written as
mirror folders: it terminates, the graph is closed (every edge endpoint is a node), every
``dependsOn`` ref in the BOM is a component, and reproducible runs give identical bytes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hostile import add_error, add_model, components_by_ref, new_mirror
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.pipeline import RunOptions, build_graph
from sbom.cyclonedx import graph_to_cyclonedx_json

KINDS = st.sampled_from(["card", "card", "adapter", "mergekit", "tag", "missing", "gated",
                         "dataset"])


@st.composite
def lineages(draw: Any) -> tuple[int, dict[int, tuple[str, list[int]]]]:
    n = draw(st.integers(2, 25))
    repos: dict[int, tuple[str, list[int]]] = {}
    for i in range(n):
        parents = draw(st.lists(st.integers(0, n + 3), max_size=4, unique=True))  # >= n: absent
        repos[i] = (draw(KINDS), parents)
    return n, repos


def _write(root: Path, repos: dict[int, tuple[str, list[int]]]) -> None:
    new_mirror(root)
    for i, (kind, parents) in repos.items():
        rid = f"org/m{i}"
        ids = [f"org/m{p}" for p in parents]
        if kind == "missing":
            continue
        if kind == "gated":
            add_error(root, rid, 403, "gated")
        elif kind == "adapter":
            add_model(root, rid, files={"adapter_config.json": json.dumps(
                {"base_model_name_or_path": ids[0] if ids else None})},
                card={"base_model": ids[1:]})
        elif kind == "mergekit":
            add_model(root, rid, files={"mergekit_config.yml": json.dumps(
                {"merge_method": "ties", "models": [{"model": p} for p in ids]})})
        elif kind == "tag":
            add_model(root, rid, tags=[f"base_model:quantized:{p}" for p in ids])
        elif kind == "dataset":
            add_model(root, rid, card={"base_model": ids, "datasets": ["org/d", "../d"]})
        else:
            add_model(root, rid, card={"base_model": ids, "base_model_relation": "finetune"})


def _bom(root: Path, target: str) -> tuple[Any, str]:
    graph = build_graph(target, RunOptions(hub_mirror=root, max_depth=8))
    return graph, graph_to_cyclonedx_json(graph, reproducible=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lineages())
def test_random_lineages(lineage: tuple[int, dict[int, tuple[str, list[int]]]]) -> None:
    n, repos = lineage
    if repos[0][0] in ("missing", "gated"):
        repos[0] = ("card", repos[0][1])  # the target itself must be readable
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mirror"
        _write(root, repos)
        graph, text = _bom(root, "org/m0")
        _, again = _bom(root, "org/m0")
    assert text == again  # deterministic, byte for byte
    for child, parent, _ in graph.edges():
        assert child in graph and parent in graph
    assert graph.target_key == "model:org/m0"
    bom = json.loads(text)
    refs = set(components_by_ref(bom))
    for dep in bom["dependencies"]:
        assert dep["ref"] in refs
        assert set(dep.get("dependsOn", [])) <= refs, dep
    # every resolved model in the graph is one the mirror holds
    for node in graph.models():
        if node.resolved and not node.is_target:
            index = int(node.key.split(":org/m")[1])
            assert index < n and repos[index][0] not in ("missing", "gated")
