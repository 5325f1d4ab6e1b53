"""The progress display of resolving commands (``sbom/progress.py``), against the real resolver
and Hub client on the loopback fake Hub: the counts it shows, live on a terminal, plain lines
in a log, nothing with ``-q``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hostile import generate

from lineage.pipeline import RunOptions, build_graph
from lineage.sources.hub import HubSource
from sbom.progress import RunMonitor, WatchedSource, progress_display

TARGET = "acme/Atlas-Merge-7B"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _watched_build(endpoint: str, monitor: RunMonitor, **knobs: Any) -> Any:
    settings: dict[str, Any] = dict(use_cache=False, timeout=2.0, retry_budget=10.0,
                                    max_attempts=5, backoff_base=0.05, backoff_cap=0.1)
    settings.update(knobs)
    src = HubSource(endpoint, **settings)
    try:
        return build_graph(TARGET, RunOptions(endpoint=endpoint, use_cache=False),
                           source=WatchedSource(src, monitor), progress=monitor)
    finally:
        src.close()


def test_counts_match_what_the_resolver_fetched(make_fake_hub: Any) -> None:
    hub = make_fake_hub()
    monitor = RunMonitor()
    graph = _watched_build(hub.endpoint, monitor)
    fetched_nodes = [n for n in graph.nodes() if n.sha]  # answered with a pinned commit
    assert monitor.fetched == len(fetched_nodes) == 8
    assert monitor.known == len(graph) == 9  # the withdrawn dataset was asked for too
    assert monitor.in_flight == 0 and monitor.retries_waiting() == 0
    assert monitor.status().startswith("models 8 fetched / 9 known · 0 requests in flight")


def test_retries_are_counted_while_they_wait(make_fake_hub: Any) -> None:
    hub = make_fake_hub(faults=[{"path": "^/api/models/mistralai/Mistral-7B-v0.3",
                                 "action": 503, "times": 2}])
    monitor = RunMonitor()
    _watched_build(hub.endpoint, monitor)
    assert monitor.retries_seen == 2
    now = [100.0]
    clocked = RunMonitor(clock=lambda: now[0])
    clocked.retry("org/x", 2.0)
    assert clocked.retries_waiting() == 1 and "1 retry waiting" in clocked.status()
    now[0] = 102.5
    assert clocked.retries_waiting() == 0 and "retr" not in clocked.status()


def test_plain_lines_in_a_log_live_line_on_a_terminal_nothing_when_quiet(
        make_fake_hub: Any) -> None:
    hub = make_fake_hub(rtt=0.05)
    outputs = {}
    for name, stream, quiet in (("log", io.StringIO(), False), ("tty", _Tty(), False),
                                ("quiet", _Tty(), True)):
        monitor = RunMonitor()
        with progress_display(monitor, quiet=quiet, stream=stream, plain_every=0.05):
            _watched_build(hub.endpoint, monitor)
        outputs[name] = stream.getvalue()
    log = outputs["log"].splitlines()
    assert log and all(ln.startswith("mlbom: models ") and " known · " in ln for ln in log)
    assert "\x1b[" not in outputs["log"]
    assert "fetched / " in outputs["tty"] and "\x1b[" in outputs["tty"]  # redrawn in place
    assert outputs["quiet"] == ""


def test_generate_quiet_prints_nothing_on_stderr(capsys: Any, tmp_path: Path) -> None:
    run, _ = generate(capsys, TARGET, tmp_path / "bom.json", "--hub-mirror",
                      str(Path(__file__).resolve().parents[1] / "fixtures" / "hub"), "-q")
    assert run.code == 0 and run.stderr == ""
