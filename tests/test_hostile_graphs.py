"""Hostile graph shapes: cycles, self references, chains deeper than the limit, merges with
hundreds of (mostly missing) parents, relation values never seen before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile import (
    add_model,
    components_by_ref,
    depends_on,
    generate,
    new_mirror,
    problems,
    properties_of,
    unresolved,
)

from lineage.resolver import DEFAULT_CONCURRENCY, DEFAULT_MAX_DEPTH, FILE_SLOTS_PER_REPO


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    return new_mirror(tmp_path / "mirror")


def test_cycles_and_self_references_end_in_cycle_stubs(tmp_path: Path, mirror: Path,
                                                       capsys: Any) -> None:
    add_model(mirror, "org/a", card={"base_model": ["org/b", "org/a"]})
    add_model(mirror, "org/b", card={"base_model": "org/c"})
    add_model(mirror, "org/c", card={"base_model": ["ORG/A", "org/c"]})  # case-insensitive
    run, bom = generate(capsys, "org/a", tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    comps = components_by_ref(bom)
    assert depends_on(bom, "model:org/a") == ["cycle:org/a", "model:org/b"]
    assert depends_on(bom, "model:org/c") == ["cycle:org/a", "cycle:org/c"]
    assert unresolved(comps["cycle:org/a"]) == ["cycle"]
    assert any("ancestor of itself" in p for p in problems(comps["cycle:org/c"]))


@pytest.fixture
def chain(mirror: Path) -> Path:
    """org/m0 -> org/m1 -> ... -> org/m119 (a foundation model)."""
    for i in range(120):
        card = {"base_model": f"org/m{i + 1}"} if i < 119 else {"license": "mit"}
        add_model(mirror, f"org/m{i}", card=card)
    return mirror


def test_a_chain_deeper_than_the_limit_stops_at_a_depth_limit_node(
        tmp_path: Path, chain: Path, capsys: Any) -> None:
    run, bom = generate(capsys, "org/m0", tmp_path / "bom.json", "--hub-mirror", str(chain))
    assert run.code == 0, run.stderr
    comps = components_by_ref(bom)
    limit = DEFAULT_MAX_DEPTH
    assert unresolved(comps[f"model:org/m{limit}"]) == []
    assert unresolved(comps[f"model:org/m{limit + 1}"]) == ["depth-limit"]
    assert f"model:org/m{limit + 2}" not in comps
    assert len([c for c in comps if c.startswith("model:")]) == limit + 2


def test_a_chain_resolves_whole_with_a_higher_max_depth(tmp_path: Path, chain: Path,
                                                        capsys: Any) -> None:
    run, bom = generate(capsys, "org/m0", tmp_path / "bom.json", "--hub-mirror", str(chain),
                        "--max-depth", "200")
    assert run.code == 0, run.stderr
    comps = components_by_ref(bom)
    assert all(unresolved(comps[f"model:org/m{i}"]) == [] for i in range(120))
    assert depends_on(bom, "model:org/m119") == []


def test_a_merge_of_300_mostly_missing_parents_keeps_concurrency_bounded(
        tmp_path: Path, mirror: Path, capsys: Any, make_fake_hub: Any) -> None:
    parents = [f"org/p{i:03d}" for i in range(300)]
    for repo_id in parents[::10]:  # 30 exist, 270 are missing (404)
        add_model(mirror, repo_id, card={"license": "mit"})
    add_model(mirror, "org/merge", card={"base_model": parents})
    hub = make_fake_hub(mirror, rtt=0.005)
    run, bom = generate(capsys, "org/merge", tmp_path / "bom.json", "--endpoint", hub.endpoint,
                        "--no-cache")
    assert run.code == 0, run.stderr
    comps = components_by_ref(bom)
    assert len(depends_on(bom, "model:org/merge")) == 300
    missing = [p for p in parents if unresolved(comps[f"model:{p}"]) == ["not-found"]]
    assert len(missing) == 270
    assert properties_of(comps["model:org/merge"], "mlbom:lineage:relation") == ["merge"]
    assert hub.count("model_info") == 301  # one request each, no retry storm on 404s
    # at most one metadata request per repo slot, and FILE_SLOTS_PER_REPO file requests each
    assert 1 < hub.max_info_in_flight <= DEFAULT_CONCURRENCY
    assert hub.max_in_flight <= DEFAULT_CONCURRENCY * (1 + FILE_SLOTS_PER_REPO)


@pytest.mark.parametrize("relation", ["distilled", "Merge ", ["merge"], 7, ""])
def test_unknown_relation_values_are_kept_as_unknown(tmp_path: Path, mirror: Path,
                                                     capsys: Any, relation: Any) -> None:
    add_model(mirror, "org/base", card={"license": "mit"})
    add_model(mirror, "org/child", card={"base_model": "org/base",
                                         "base_model_relation": relation},
              tags=["base_model:distilled:org/base"])
    run, bom = generate(capsys, "org/child", tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    child = components_by_ref(bom)["model:org/child"]
    assert depends_on(bom, "model:org/child") == ["model:org/base"]
    if relation == "Merge ":  # a known value, loosely spelt
        assert properties_of(child, "mlbom:lineage:relation") == ["merge"]
    else:
        assert properties_of(child, "mlbom:lineage:relation") == ["unknown"]
        assert any("unknown base_model_relation" in p for p in problems(child)), problems(child)
