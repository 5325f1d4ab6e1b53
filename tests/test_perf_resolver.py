"""Request economy of the resolver against the fake Hub (counts, not times).

Families come from ``bench/hubgen.py`` (merges, adapters, GGUF heads, foundation configs), so
the resolver makes the same kinds of file reads a real lineage needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from bench_resolver import graph_shape, naive_resolve  # noqa: E402
from hubgen import FamilySpec, write_families  # noqa: E402

from lineage.extract import READ_EARLY  # noqa: E402
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


def _sent(hub: object) -> list[tuple[str, str, int]]:
    return sorted((r.kind, r.path, r.status) for r in hub.requests)  # type: ignore[attr-defined]


def test_no_cache_bypasses_metadata_and_file_caches(make_fake_hub: object, families_root: Path,
                                                    tmp_path: Path) -> None:
    spec = FAMILIES[0]
    hub = make_fake_hub(families_root)  # type: ignore[operator]
    build_graph(spec.target, _opts(hub, tmp_path))
    cold = _sent(hub)
    hub.reset_counts()
    build_graph(spec.target, _opts(hub, tmp_path, use_cache=False))
    assert _sent(hub) == cold  # the very same requests, not only as many
    assert hub.count(kind="file") > 0


@pytest.mark.parametrize("slow", ["", r"^/api/models/", r"/resolve/main/"],
                         ids=["even", "metadata-late", "guesses-late"])
def test_the_requests_sent_do_not_depend_on_timing(make_fake_hub: object, families_root: Path,
                                                   tmp_path: Path, slow: str) -> None:
    """Which guessed (read-early) reads are sent, and which are read again at the pinned sha,
    once depended on whether a guess or its metadata answer came first (``assert 19 == 18``
    from a fresh clone). Slowing either side must not change a single request."""
    spec = FAMILIES[0]
    even = make_fake_hub(families_root)  # type: ignore[operator]
    build_graph(spec.target, _opts(even, tmp_path / "even"))
    faults = [{"path": slow, "action": "delay", "delay": 0.15, "times": 1000}] if slow else []
    hub = make_fake_hub(families_root, faults=faults)  # type: ignore[operator]
    build_graph(spec.target, _opts(hub, tmp_path / "slow"))
    assert _sent(hub) == _sent(even)
    guesses = [p for k, p, _ in _sent(hub) if k == "file" and "/resolve/main/" in p]
    # one guess per early file with every model read from the network
    assert len(guesses) == spec.n_models * len(READ_EARLY)


@pytest.mark.parametrize("spec", FAMILIES, ids=lambda s: s.name)
def test_naive_and_level_by_level_resolvers_agree(make_fake_hub: object, families_root: Path,
                                                  tmp_path: Path, spec: FamilySpec) -> None:
    hub = make_fake_hub(families_root)  # type: ignore[operator]
    graph = build_graph(spec.target, _opts(hub, tmp_path / "a", use_cache=False))
    naive = naive_resolve(spec.target, HubSource(hub.endpoint, cache_dir=tmp_path / "b",
                                                 use_cache=False))
    assert naive == graph_shape(graph)
    assert any(rel == "merge" for _, _, rel in naive[1]) or spec.width == 1
