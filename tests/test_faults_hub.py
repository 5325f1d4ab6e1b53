"""Faults between mlbom and the Hub: the real huggingface_hub client against the fake Hub with
injected 429s, 5xx, resets, truncated bodies and slow answers. Transient faults are retried
within the budget; when it runs out the parent is unresolved (hub-error) with a message that
names it and says what to do, and only a target that cannot be read ends the run (exit 3)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hostile import add_model, generate, new_mirror, run_cli

from lineage.errors import HubError
from lineage.graph import LineageGraph
from lineage.pipeline import RunOptions, build_graph
from lineage.sources.hub import HubSource
from sbom.cli import EXIT_OPERATIONAL, exit_code_for


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = new_mirror(tmp_path / "mirror")
    add_model(root, "org/base", card={"license": "mit"},
              files={"config.json": '{"model_type": "llama"}'})
    add_model(root, "org/other", card={"license": "mit"})
    add_model(root, "org/child", card={"base_model": ["org/base", "org/other"]},
              files={"adapter_config.json": '{"base_model_name_or_path": "org/base"}'})
    return root


def _source(endpoint: str, **knobs: Any) -> HubSource:
    settings: dict[str, Any] = dict(use_cache=False, timeout=2.0, retry_budget=5.0,
                                    max_attempts=4, backoff_base=0.01, backoff_cap=0.05)
    settings.update(knobs)
    return HubSource(endpoint, **settings)


def _build(hub: Any, target: str = "org/child", **knobs: Any) -> LineageGraph:
    src = _source(hub.endpoint, **knobs)
    try:
        return build_graph(target, RunOptions(endpoint=hub.endpoint, use_cache=False),
                           source=src)
    finally:
        src.close()


@pytest.mark.parametrize(
    "fault",
    [
        {"action": 429, "times": 2, "retry_after": 1},
        {"action": 500, "times": 2},
        {"action": 502, "times": 2},
        {"action": 503, "times": 3},
        {"action": "reset", "times": 2},
        {"action": "truncate", "times": 2},
    ],
    ids=["429", "500", "502", "503", "reset", "truncate"],
)
def test_transient_faults_on_a_parent_are_retried(mirror: Path, make_fake_hub: Any,
                                                  fault: dict[str, Any]) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", **fault}])
    graph = _build(hub)
    base = graph.node("model:org/base")
    assert base.unresolved is None and base.sha is not None
    assert hub.count("model_info", "org/base") == fault["times"] + 1


def test_faults_on_file_downloads_are_retried(mirror: Path, make_fake_hub: Any) -> None:
    hub = make_fake_hub(mirror, faults=[
        {"path": "^/org/child/resolve/.*adapter_config.json", "action": 503, "times": 1},
        {"path": "^/org/child/resolve/.*adapter_config.json", "action": "reset", "times": 1},
    ])
    graph = _build(hub)
    child = graph.node("model:org/child")
    assert child.problems == []
    sources = {e.source for e in graph.edge("model:org/child", "model:org/base").evidence}
    assert "adapter_config" in sources
    assert hub.count("file", "org/child") >= 3


def test_retry_after_is_honoured(mirror: Path, make_fake_hub: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": 429,
                                         "retry_after": 1}])
    start = time.monotonic()
    graph = _build(hub, backoff_cap=1.0)
    assert time.monotonic() - start >= 0.95  # waited what the Hub asked, not 10 ms
    assert graph.node("model:org/base").unresolved is None


def test_a_slow_answer_times_out_and_the_retry_succeeds(mirror: Path, make_fake_hub: Any
                                                        ) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "delay",
                                         "delay": 3.0}])
    start = time.monotonic()
    graph = _build(hub, timeout=0.3)
    assert time.monotonic() - start < 2.5
    assert graph.node("model:org/base").unresolved is None


@pytest.mark.parametrize("action", [503, "reset", "truncate", "delay"])
def test_an_exhausted_budget_leaves_the_parent_unresolved(mirror: Path, make_fake_hub: Any,
                                                          action: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": action,
                                         "times": 1000, "delay": 1.0}])
    start = time.monotonic()
    graph = _build(hub, timeout=0.2, max_attempts=3)
    assert time.monotonic() - start < 5
    base = graph.node("model:org/base")
    assert base.unresolved == "hub-error"
    assert len(base.problems) == 1 and "\n" not in base.problems[0]
    assert base.problems[0].startswith("org/base: gave up after 3 attempts")
    assert "--hub-mirror" in base.problems[0] or "retry" in base.problems[0]
    other = graph.node("model:org/other")
    assert other.unresolved is None  # the rest of the graph is still reported
    if action != "delay":  # a delayed request is logged when answered, after the test
        assert hub.count("model_info", "org/base") == 3


def test_the_retry_budget_bounds_the_time_spent(mirror: Path, make_fake_hub: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": 503,
                                         "times": 1000}])
    start = time.monotonic()
    graph = _build(hub, retry_budget=0.5, max_attempts=100, backoff_base=0.1, backoff_cap=0.2)
    assert time.monotonic() - start < 2.0
    assert graph.node("model:org/base").unresolved == "hub-error"


def test_a_target_that_cannot_be_read_is_exit_3(mirror: Path, make_fake_hub: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/child", "action": 503,
                                         "times": 1000}])
    with pytest.raises(HubError) as info:
        _build(hub)
    assert exit_code_for(info.value) == EXIT_OPERATIONAL
    assert str(info.value).startswith("org/child: gave up after")


def test_cli_exit_codes_for_unreadable_and_missing_targets(tmp_path: Path, mirror: Path,
                                                           make_fake_hub: Any,
                                                           capsys: Any) -> None:
    hub = make_fake_hub(mirror)
    out = tmp_path / "bom.json"
    run, _ = generate(capsys, "org/missing", out, "--endpoint", hub.endpoint, "--no-cache")
    assert run.code == 2 and not out.exists()  # the Hub answered: no such repo (input error)
    assert run.stderr.strip().splitlines() == [
        line for line in run.stderr.strip().splitlines() if line.startswith("mlbom: error:")]
    assert "org/missing" in run.stderr
    # the same run with a parent missing instead: exit 0 and the BOM says why
    add_model(mirror, "org/lone", card={"base_model": "org/missing"})
    run, bom = generate(capsys, "org/lone", out, "--endpoint", hub.endpoint, "--no-cache")
    assert run.code == 0 and out.exists()
    debug = run_cli(["generate", "org/missing", "--endpoint", hub.endpoint, "--no-cache",
                     "--debug"], capsys)
    assert debug.code == 2 and "Traceback" in debug.stderr  # --debug adds the traceback
