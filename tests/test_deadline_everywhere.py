"""``--deadline`` on every command that talks to the Hub, with one meaning: what was read is
written, what was not is named as partial, and the exit code is 3 (an operational failure), so
a gate never takes a cut answer for a whole one. Through the real client and the fake Hub,
whose answers a ``delay`` fault holds back past the deadline.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.hostile import run_cli

LEVEL_2 = r"filter=base_model%3AQwen%2FQwen2\.5-7B-Instruct(&|$)"


def test_hub_descendants_cut_by_the_deadline_are_partial_and_exit_3(
        make_fake_hub: Any, capsys: Any) -> None:
    hub = make_fake_hub(faults=[{"path": LEVEL_2, "action": "delay", "delay": 5, "times": 10}])
    start = time.monotonic()
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                   hub.endpoint, "--deadline", "1", "--format", "json"], capsys)
    assert time.monotonic() - start < 4
    assert run.code == 3, run.stderr
    doc = json.loads(run.stdout)
    # the first level was read and is there; the second is named as not listed
    assert [d["repo_id"] for d in doc["descendants"]] == ["Qwen/Qwen2.5-7B-Instruct"]
    assert doc["complete"] is False and "--deadline" in doc["cut"] and "depth 2" in doc["cut"]
    assert "partial" in run.stderr and "exit 3" in run.stderr


def test_hub_descendants_within_the_deadline_are_whole_and_exit_0(
        fake_hub: Any, capsys: Any) -> None:
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                   fake_hub.endpoint, "--deadline", "30", "--format", "json"], capsys)
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    assert len(doc["descendants"]) == 6 and "complete" not in doc


def test_a_list_cut_by_limit_says_more_may_exist(fake_hub: Any, capsys: Any) -> None:
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                   fake_hub.endpoint, "--limit", "2"], capsys)
    assert run.code == 0, run.stderr
    assert "2 public model(s) derived from Qwen/Qwen2.5-7B (PARTIAL: stopped at --limit 2: " \
        "more may exist)" in " ".join(run.stdout.split())
    assert "partial" in run.stderr


def test_index_build_from_hub_stops_at_the_deadline_and_resumes(
        make_fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    hub = make_fake_hub(page_size=5, faults=[
        {"path": r"^/api/models\?.*cursor=", "action": "delay", "delay": 5, "times": 1}])
    db = f"sqlite:///{tmp_path / 'index.db'}"
    start = time.monotonic()
    run = run_cli(["index", "build", "--from-hub", "--endpoint", hub.endpoint, "--db", db,
                   "--deadline", "1"], capsys)
    assert time.monotonic() - start < 4
    assert run.code == 3, run.stderr
    assert "(5 read from" in run.stderr and "build incomplete" in run.stderr
    assert "--deadline was reached on page 2" in run.stderr
    # nothing was lost: the next build resumes after the page that was written
    run = run_cli(["index", "build", "--from-hub", "--endpoint", hub.endpoint, "--db", db],
                  capsys)
    assert run.code == 0, run.stderr
    assert "resumed" in run.stderr and "incomplete" not in run.stderr


def test_a_cut_in_an_earlier_run_never_marks_the_next_one_partial(fake_hub: Any,
                                                                   capsys: Any) -> None:
    """In one process (a test suite, a service calling the CLI's main), a thread of an earlier
    run may still be ending a request its deadline cut after the next run has started: that
    cut belongs to its own run, and the next run's whole answer is not called partial."""
    import pytest

    from lineage.errors import HubError
    from lineage.sources import hub_client

    hub_client.forget_deadline_cuts()
    earlier = hub_client.HubClient(fake_hub.endpoint, run_deadline=time.monotonic() - 1)
    hub_client.forget_deadline_cuts()  # the next run starts
    with pytest.raises(HubError, match="--deadline"):  # the earlier run's late request
        earlier.get(f"{fake_hub.endpoint}/api/models/Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B",
                    max_bytes=1 << 20)
    assert not hub_client.deadline_cut_a_request()
    now = hub_client.HubClient(fake_hub.endpoint, run_deadline=time.monotonic() - 1)
    with pytest.raises(HubError, match="--deadline"):
        now.get(f"{fake_hub.endpoint}/api/models/Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B",
                max_bytes=1 << 20)
    assert hub_client.deadline_cut_a_request()  # a cut of this run's own client counts
    # and through the CLI: a whole run after that exits 0
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                   fake_hub.endpoint, "--deadline", "30", "--format", "json"], capsys)
    assert run.code == 0, run.stderr
