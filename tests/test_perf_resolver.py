"""Request economy of the resolver against the fake Hub (counts, not times).

Families come from ``bench/hubgen.py`` (merges, adapters, GGUF heads, foundation configs), so
the resolver makes the same kinds of file reads a real lineage needs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from bench_resolver import graph_shape, naive_resolve  # noqa: E402
from hubgen import FamilySpec, write_families  # noqa: E402

from lineage.pipeline import RunOptions, build_graph  # noqa: E402
from lineage.sources.hub import HubSource  # noqa: E402

FAMILIES = [FamilySpec(3, 3), FamilySpec(4, 1)]


@pytest.fixture(scope="module")
def families_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("families") / "hub"
    write_families(root, FAMILIES)
    return root


def _opts(hub: object, cache: Path, **kw: object) -> RunOptions:
    return RunOptions(endpoint=hub.endpoint, cache_dir=cache, **kw)  # type: ignore[attr-defined, arg-type]


@pytest.mark.parametrize("spec", FAMILIES, ids=lambda s: s.name)
def test_one_metadata_request_per_repo_and_one_get_per_file(
        make_fake_hub: object, families_root: Path, tmp_path: Path, spec: FamilySpec) -> None:
    hub = make_fake_hub(families_root)  # type: ignore[operator]
    graph = build_graph(spec.target, _opts(hub, tmp_path))
    repos = [n for n in graph.nodes() if n.resolved]
    assert sum(1 for n in repos if n.kind == "model") == spec.n_models
    assert hub.count(kind="model_info") + hub.count(kind="dataset_info") == len(repos)
    assert hub.count(kind="file", method="HEAD") == 0  # no HEAD before each download
    files = [r.path for r in hub.requests if r.kind == "file"]
    assert len(files) == len(set(files)), "a file was requested twice"


@pytest.mark.parametrize("spec", FAMILIES, ids=lambda s: s.name)
def test_second_run_sends_no_request(make_fake_hub: object, families_root: Path,
                                     tmp_path: Path, spec: FamilySpec) -> None:
    hub = make_fake_hub(families_root)  # type: ignore[operator]
    first = build_graph(spec.target, _opts(hub, tmp_path))
    assert hub.count() > 0
    hub.reset_counts()
    second = build_graph(spec.target, _opts(hub, tmp_path))
    assert hub.requests == []
    assert graph_shape(second) == graph_shape(first)


def test_no_cache_bypasses_metadata_and_file_caches(make_fake_hub: object, families_root: Path,
                                                    tmp_path: Path) -> None:
    spec = FAMILIES[0]
    hub = make_fake_hub(families_root)  # type: ignore[operator]
    build_graph(spec.target, _opts(hub, tmp_path))
    cold_meta, cold_at_sha = _metadata(hub), _files(hub, at_sha=True)
    hub.reset_counts()
    build_graph(spec.target, _opts(hub, tmp_path, use_cache=False))
    # the same metadata again, and every file the cold run read at a pinned sha is read from
    # the Hub again (by branch name with the metadata, or at the sha: that is timing)
    assert _metadata(hub) == cold_meta
    assert cold_at_sha and cold_at_sha <= _files(hub, at_sha=False)


def _metadata(hub: Any) -> int:
    return int(hub.count(kind="model_info") + hub.count(kind="dataset_info"))


def _files(hub: Any, *, at_sha: bool) -> set[tuple[str | None, str]]:
    out = set()
    for r in hub.requests:
        if r.kind == "file" and r.status in (200, 206):
            revision, name = r.path.split("/resolve/", 1)[1].split("/", 1)
            if not at_sha or revision != "main":
                out.add((r.repo_id, name))
    return out


@pytest.mark.parametrize("spec", FAMILIES, ids=lambda s: s.name)
def test_naive_and_level_by_level_resolvers_agree(make_fake_hub: object, families_root: Path,
                                                  tmp_path: Path, spec: FamilySpec) -> None:
    hub = make_fake_hub(families_root)  # type: ignore[operator]
    graph = build_graph(spec.target, _opts(hub, tmp_path / "a", use_cache=False))
    naive = naive_resolve(spec.target, HubSource(hub.endpoint, cache_dir=tmp_path / "b",
                                                 use_cache=False))
    assert naive == graph_shape(graph)
    assert any(rel == "merge" for _, _, rel in naive[1]) or spec.width == 1
