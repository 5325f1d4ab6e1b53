"""What a long run shows on stderr while it works: resolving a lineage, building the index.

On a terminal, a live rich status line: models fetched / known, requests in flight, retries
waiting and the resolver's current step, redrawn in place and gone when the run ends. When
stderr is not a terminal (CI logs, a pipe), one plain line per resolver step. With ``-q``,
nothing. Library code never prints: the CLI builds a ``RunMonitor``, passes it to the resolver
as its ``progress`` callable and wraps the source in ``WatchedSource`` to count requests.
Index builds get ``rich_progress()``, a ``lineage.hubindex.BuildProgress`` drawn as bars.

Counts: "known" is the repos the resolver has queued (the target plus every level's jobs, from
its ``level N: fetching K repos`` steps, or the distinct repos asked for when it started some
early), "fetched" the metadata answers received (network or cache), "in flight" the source
calls running now, "retries waiting" the Hub client's backoff sleeps not yet over
(``HubClient.retry_listener``).
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from lineage.refs import ModelRef
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, RepoSnapshot, Source

#: Seconds between two plain status lines when stderr is not a terminal.
PLAIN_EVERY_S = 10.0
_LEVEL = re.compile(r"level \d+: fetching (\d+) repos?")


class RunMonitor:
    """Thread-safe counters, fed by the resolver (``__call__``) and by ``WatchedSource``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.started = clock()
        self.step = "starting"
        self.known = 0
        self.fetched = 0
        self.in_flight = 0
        self.retries_seen = 0
        self._asked: set[tuple[str, str]] = set()
        self._retry_ends: list[float] = []

    def __call__(self, message: str) -> None:
        """The resolver's ``progress`` callable: one step, in words."""
        with self._lock:
            self.step = message
            level = _LEVEL.match(message)
            if level:
                self.known += int(level.group(1))
            elif message.startswith("fetching ") and self.known == 0:
                self.known = 1

    def asked(self, kind: str, repo_id: str) -> None:
        """A repo's metadata was asked for (the resolver may start repos before it says so)."""
        with self._lock:
            self._asked.add((kind, repo_id.lower()))

    def answered(self) -> None:
        with self._lock:
            self.fetched += 1

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def retry(self, subject: str, delay: float) -> None:
        """``HubClient.retry_listener``: a backoff sleep of ``delay`` seconds begins."""
        with self._lock:
            self.retries_seen += 1
            self._retry_ends.append(self._clock() + delay)

    def elapsed(self) -> float:
        return self._clock() - self.started

    def retries_waiting(self) -> int:
        now = self._clock()
        with self._lock:
            self._retry_ends = [t for t in self._retry_ends if t > now]
            return len(self._retry_ends)

    def status(self) -> str:
        """``models 3 fetched / 7 known · 2 requests in flight · 1 retry waiting · <step>``."""
        waiting = self.retries_waiting()
        with self._lock:
            known = max(self.known, len(self._asked), self.fetched)
            parts = [f"models {self.fetched} fetched / {known} known",
                     f"{self.in_flight} request{'s' if self.in_flight != 1 else ''} in flight"]
            if waiting:
                parts.append(f"{waiting} retr{'ies' if waiting != 1 else 'y'} waiting")
            parts.append(self.step)
        return " · ".join(parts)


class WatchedSource(Source):
    """A ``Source`` that forwards every call to ``inner`` and counts it on ``monitor``."""

    def __init__(self, inner: Source, monitor: RunMonitor) -> None:
        self.inner = inner
        self.monitor = monitor
        self.name = inner.name
        client: Any = getattr(inner, "client", None)  # HubSource's one HTTP client
        if client is not None and hasattr(client, "retry_listener"):
            client.retry_listener = monitor.retry

    def __getattr__(self, name: str) -> Any:  # endpoint, counts, ... of the inner source
        return getattr(self.inner, name)

    def _info(self, kind: str, ref: ModelRef, call: Callable[[], RepoSnapshot]) -> RepoSnapshot:
        self.monitor.asked(kind, ref.repo_id)
        with self.monitor.request():
            snap = call()
        self.monitor.answered()
        return snap

    def model_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("model", ref, lambda: self.inner.model_info(ref))

    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("dataset", ref, lambda: self.inner.dataset_info(ref))

    def info_if_cached(self, kind: str, ref: ModelRef) -> RepoSnapshot | None:
        snap = self.inner.info_if_cached(kind, ref)
        if snap is not None:
            self.monitor.asked(kind, ref.repo_id)
            self.monitor.answered()
        return snap

    def read_file(self, repo_id: str, sha: str | None, filename: str, *,
                  max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
        with self.monitor.request():
            return self.inner.read_file(repo_id, sha, filename, max_bytes=max_bytes)

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        with self.monitor.request():
            return self.inner.read_head(repo_id, sha, filename, n_bytes)

    def read_file_early(self, repo_id: str, revision: str | None, filename: str, *,
                        max_bytes: int = MAX_SMALL_FILE_BYTES) -> tuple[bytes, str] | None:
        with self.monitor.request():
            return self.inner.read_file_early(repo_id, revision, filename, max_bytes=max_bytes)

    def load_derived(self, repo_id: str, sha: str, name: str) -> bytes | None:
        return self.inner.load_derived(repo_id, sha, name)

    def store_derived(self, repo_id: str, sha: str, name: str, data: bytes) -> None:
        self.inner.store_derived(repo_id, sha, name, data)

    def read_range(self, repo_id: str, sha: str | None, filename: str, offset: int,
                   n_bytes: int) -> bytes:
        with self.monitor.request():
            return self.inner.read_range(repo_id, sha, filename, offset, n_bytes)

    def close(self) -> None:
        self.inner.close()

    def cancel(self) -> None:  # Ctrl-C: the inner source must stop its sleeps and sockets
        self.inner.cancel()


@contextmanager
def progress_display(monitor: RunMonitor, *, quiet: bool = False, stream: TextIO | None = None,
                     plain_every: float = PLAIN_EVERY_S) -> Iterator[None]:
    """Show ``monitor`` on ``stream`` (stderr) while the block runs: live on a terminal, a
    plain status line every ``plain_every`` seconds otherwise (a run shorter than that prints
    nothing), nothing when ``quiet``."""
    out = stream or sys.stderr
    if quiet:
        yield
        return
    if not out.isatty():
        with _plain_lines(monitor, out, plain_every):
            yield
        return
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    class _Status:
        def __rich__(self) -> Text:
            return Text(f"… {monitor.status()}  {monitor.elapsed():.1f} s", style="dim",
                        no_wrap=True, overflow="ellipsis")

    console = Console(file=out, highlight=False)
    with Live(_Status(), console=console, refresh_per_second=8, transient=True):
        yield


@contextmanager
def _plain_lines(monitor: RunMonitor, out: TextIO, every: float) -> Iterator[None]:
    done = threading.Event()

    def tick() -> None:
        while not done.wait(every):
            out.write(f"mlbom: {monitor.status()} ({monitor.elapsed():.0f} s)\n")
            out.flush()

    thread = threading.Thread(target=tick, name="mlbom-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def build_graph_with_progress(target: str, opts: Any, *, quiet: bool = False,
                              plain_every: float = PLAIN_EVERY_S, **build: Any) -> Any:
    """``lineage.pipeline.build_graph`` (``build``: its other keywords) with the progress
    display of this module."""
    from lineage.pipeline import build_graph, open_source

    monitor = RunMonitor()
    src = open_source(opts)
    watched = WatchedSource(src, monitor) if src is not None else None
    try:
        with progress_display(monitor, quiet=quiet, plain_every=plain_every):
            return build_graph(target, opts, source=watched, progress=monitor, **build)
    finally:
        if src is not None:
            src.close()


# -- index builds --------------------------------------------------------------------------------
class RichProgress:
    """``BuildProgress`` drawn with rich: bytes for a dump, models for a Hub listing."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def update(self, done: int, total: int | None, phase: str) -> None:
        if self._progress is None:
            return
        task = self._tasks.get(phase)
        if task is None:
            task = self._progress.add_task(phase, total=total)
            self._tasks[phase] = task
        self._progress.update(task, completed=done, total=total)


@contextmanager
def rich_progress(stream: TextIO | None = None) -> Iterator[RichProgress]:
    """Yield a progress reporter drawing on ``stream`` (stderr), disabled when not a TTY."""
    out = stream or sys.stderr
    if not out.isatty():
        yield RichProgress(None)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=out)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:
        yield RichProgress(bar)
