"""Reading ahead without giving up pinning, and second runs that parse nothing.

The resolver asks for ``config.json`` by branch name in the same round trip as a model's
metadata (a foundation model reads it right after its metadata, at the end of every chain).
Those bytes count only when the commit the Hub answered them from is the sha the metadata
pinned; a guess that misses (404) is not a problem of the repo. Facts extracted at a commit
are cached, and a cached run must give the very bytes a cold one gives.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fakehub import FaultRule
from hostile import add_model, fake_sha, new_mirror

from lineage.extract import extract_repo_facts, facts_from_json, facts_to_json
from lineage.graph import LineageGraph
from lineage.pipeline import RunOptions, build_graph
from lineage.refs import ModelRef
from lineage.resolver import ResolveOptions, resolve_lineage
from lineage.sources.hub import HubSource
from lineage.sources.mirror import MirrorSource
from sbom.cyclonedx import graph_to_cyclonedx_json

HUB = Path(__file__).resolve().parents[1] / "fixtures" / "hub"
SHA_A = fake_sha("commit A")
SHA_B = fake_sha("commit B")


def _config(name_or_path: str) -> str:
    return json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                       "_name_or_path": name_or_path})


def _foundation(root: Path, config_parent: str, sha: str) -> Path:
    """``org/base``: no parent in its card, so its config.json hint is read."""
    return add_model(root, "org/base", card={"license": "mit"},
                     files={"config.json": _config(config_parent)},
                     info_overrides={"sha": sha})


def _parents(graph: LineageGraph, key: str) -> list[str]:
    return sorted(p.name for p, _ in graph.parents(key))


def _file_paths(hub: Any, repo_id: str = "org/base") -> list[str]:
    return sorted(r.path for r in hub.requests if r.kind == "file" and r.repo_id == repo_id)


def test_a_file_read_with_the_metadata_is_used_and_not_read_again(
        make_fake_hub: Any, tmp_path: Path) -> None:
    root = new_mirror(tmp_path / "hub")
    _foundation(root, "org/pretrain-run", SHA_A)
    hub = make_fake_hub(root)
    graph = build_graph("org/base", RunOptions(endpoint=hub.endpoint, cache_dir=tmp_path / "c"))
    assert _parents(graph, "model:org/base") == ["org/pretrain-run"]
    # both early reads (the card, for recipes in its body, and config.json) are used as read
    assert _file_paths(hub) == ["/org/base/resolve/main/README.md",
                                "/org/base/resolve/main/config.json"]
    assert graph.node("model:org/base").problems == []


def test_a_file_read_early_from_a_moved_branch_is_read_again_at_the_pinned_sha(
        make_fake_hub: Any, tmp_path: Path) -> None:
    root = new_mirror(tmp_path / "hub")
    repo = _foundation(root, "org/run-at-commit-a", SHA_A)
    # the early read of config.json is answered only after the branch has moved
    hub = make_fake_hub(root, faults=[FaultRule(path=r"^/org/base/resolve/main/config\.json",
                                                action="delay", delay=0.6)])

    def move_main_to_commit_b() -> None:
        deadline = time.monotonic() + 10
        while hub.count(kind="model_info", repo_id="org/base") == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        old = repo / "revisions" / SHA_A
        old.mkdir(parents=True)
        shutil.copytree(repo / "files", old / "files")
        shutil.copy(repo / "info.json", old / "info.json")
        _foundation(root, "org/run-at-commit-b", SHA_B)

    mover = threading.Thread(target=move_main_to_commit_b)
    mover.start()
    try:
        graph = build_graph("org/base", RunOptions(endpoint=hub.endpoint,
                                                   cache_dir=tmp_path / "c"))
    finally:
        mover.join()
    node = graph.node("model:org/base")
    assert node.sha == SHA_A
    assert _parents(graph, "model:org/base") == ["org/run-at-commit-a"]
    assert node.problems == []
    assert _file_paths(hub) == [f"/org/base/resolve/{SHA_A}/config.json",
                                "/org/base/resolve/main/README.md",  # answered before the move
                                "/org/base/resolve/main/config.json"]
    # each commit's bytes are cached under that commit only
    hub.reset_counts()
    cache = HubSource(hub.endpoint, cache_dir=tmp_path / "c")
    assert cache.read_file("org/base", SHA_A, "config.json") == _config("org/run-at-commit-a"
                                                                        ).encode()
    assert cache.read_file("org/base", SHA_B, "config.json") == _config("org/run-at-commit-b"
                                                                        ).encode()
    assert hub.requests == []


def test_an_early_read_that_finds_no_file_leaves_no_problem(make_fake_hub: Any,
                                                            tmp_path: Path) -> None:
    root = new_mirror(tmp_path / "hub")
    _foundation(root, "org/pretrain-run", SHA_A)
    add_model(root, "org/lora", card={"base_model": "org/base", "library_name": "peft"},
              files={"adapter_config.json": json.dumps(
                  {"base_model_name_or_path": "org/base", "peft_type": "LORA"})})
    hub = make_fake_hub(root)
    graph = build_graph("org/lora", RunOptions(endpoint=hub.endpoint, cache_dir=tmp_path / "c"))
    missing = [r for r in hub.requests if r.path == "/org/lora/resolve/main/config.json"]
    assert [r.status for r in missing] == [404]  # the guess was made, and missed
    lora = graph.node("model:org/lora")
    assert lora.problems == [] and lora.unresolved is None
    assert [(p.name, d.relation.value) for p, d in graph.parents("model:org/lora")] == [
        ("org/base", "adapter")]
    assert _parents(graph, "model:org/base") == ["org/pretrain-run"]


def test_one_repo_at_a_time_leaves_no_slot_for_guessing(make_fake_hub: Any,
                                                           tmp_path: Path) -> None:
    root = new_mirror(tmp_path / "hub")
    _foundation(root, "org/pretrain-run", SHA_A)
    hub = make_fake_hub(root, rtt=0.02)
    source = HubSource(hub.endpoint, cache_dir=tmp_path / "c", use_cache=False)
    graph = resolve_lineage(ModelRef("org/base"), source, ResolveOptions(concurrency=1))
    assert _file_paths(hub) == [f"/org/base/resolve/{SHA_A}/config.json"]
    assert hub.max_in_flight == 1
    assert _parents(graph, "model:org/base") == ["org/pretrain-run"]


def test_offline_with_a_source_reads_the_target_and_starts_nothing_else(
        fake_hub: Any, tmp_path: Path) -> None:
    fake_hub.reset_counts()
    source = HubSource(fake_hub.endpoint, cache_dir=tmp_path, use_cache=False)
    graph = resolve_lineage(ModelRef("acme/Atlas-Merge-7B"), source,
                            ResolveOptions(offline=True))
    assert {n.unresolved for n, _ in graph.parents(graph.target_key)} == {"offline"}
    assert {r.repo_id for r in fake_hub.requests} == {"acme/Atlas-Merge-7B"}


def test_metadata_fetched_again_at_the_same_sha_is_not_hidden_by_cached_facts(
        make_fake_hub: Any, tmp_path: Path) -> None:
    root = new_mirror(tmp_path / "hub")
    add_model(root, "org/base", card={"license": "mit"})
    add_model(root, "org/other", card={"license": "mit"})
    add_model(root, "org/child", card={"base_model": "org/base"})
    hub = make_fake_hub(root)

    def parents_of_child() -> list[str]:
        source = HubSource(hub.endpoint, cache_dir=tmp_path / "c", ref_ttl=0)  # never fresh
        return _parents(resolve_lineage(ModelRef("org/child"), source), "model:org/child")

    assert parents_of_child() == ["org/base"]
    # the Hub now records a second parent in the answer at the same commit
    info_path = root / "models" / "org--child" / "info.json"
    info = json.loads(info_path.read_text())
    info["tags"] = ["base_model:adapter:org/other"]
    time.sleep(0.02)  # file times are coarse: the refetched metadata must be newer
    info_path.write_text(json.dumps(info))
    assert parents_of_child() == ["org/base", "org/other"]


def _fixture_targets() -> list[str]:
    return sorted(json.loads((d / "info.json").read_text())["id"]
                  for d in (HUB / "models").iterdir() if (d / "info.json").is_file())


def test_cached_facts_decode_to_what_was_extracted() -> None:
    source = MirrorSource(HUB)
    for repo_id in _fixture_targets():
        snap = source.model_info(ModelRef(repo_id))
        facts = extract_repo_facts(
            snap, lambda n, s=snap: source.read_file(s.repo_id, s.sha, n),  # type: ignore[misc]
            lambda n, k, s=snap: source.read_head(s.repo_id, s.sha, n, k))  # type: ignore[misc]
        assert facts_from_json(facts_to_json(facts)) == facts, repo_id


@pytest.mark.parametrize("target", _fixture_targets())
def test_a_cached_second_run_writes_the_same_bom(fake_hub: Any, tmp_path: Path,
                                                 target: str) -> None:
    opts = RunOptions(endpoint=fake_hub.endpoint, cache_dir=tmp_path)
    try:
        cold = graph_to_cyclonedx_json(build_graph(target, opts), reproducible=True)
    except Exception as exc:  # a target that cannot be read must fail the same way twice
        with pytest.raises(type(exc)):
            build_graph(target, opts)
        return
    warm = graph_to_cyclonedx_json(build_graph(target, opts), reproducible=True)
    uncached = graph_to_cyclonedx_json(
        build_graph(target, RunOptions(endpoint=fake_hub.endpoint, use_cache=False)),
        reproducible=True)
    assert warm == cold
    assert uncached == cold
