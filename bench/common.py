"""Shared pieces of the benchmark protocol (see bench/README.md).

A benchmark module ``bench/bench_<name>.py`` exposes ``run(smoke: bool) -> list[Row]``.
Helpers here time things, measure peak memory in a child process, and describe the machine.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    """One measured number against its goal.

    ``comparison`` says which side of the goal passes: ``"<="`` (a time, a memory peak) or
    ``">="`` (a throughput). ``goal`` None means "reported, no goal" (always passes).
    In smoke mode ``measured`` is real but meaningless; nothing is judged.
    """

    name: str
    measured: float
    unit: str
    goal: float | None
    comparison: Literal["<=", ">="] = "<="
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """measured / goal for ``<=`` rows, goal / measured for ``>=`` rows: ≤ 1 passes."""
        if self.goal is None or self.goal == 0:
            return None
        if self.comparison == "<=":
            return self.measured / self.goal
        return self.goal / self.measured if self.measured else float("inf")

    @property
    def passed(self) -> bool:
        if self.goal is None:
            return True
        if self.comparison == "<=":
            return self.measured <= self.goal
        return self.measured >= self.goal

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ratio"] = self.ratio
        d["passed"] = self.passed
        return d


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    """``with timer() as elapsed: ...; elapsed()`` → seconds (frozen when the block ends)."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_child(code: str, *args: str, timeout: float = 1800) -> tuple[str, float, float]:
    """Run ``python -c code args`` from the repo root in a fresh process.

    Returns (stdout, wall seconds, peak RSS in MiB of that child). Fresh processes keep one
    step's memory and caches from leaking into the next one's numbers.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "bench")])},
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-4000:]}")
    # ru_maxrss of children is the max over all waited-for children; a child that peaks lower
    # than an earlier one is then reported at the earlier peak, so callers run the biggest
    # step first or read the child's own number (see peak_rss_mib()).
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.stdout, wall, max(after, before) / 1024


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def machine() -> dict[str, Any]:
    """The machine the numbers came from."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib: float | None = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem_gib = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": mem_gib,
    }


def smoke_or(smoke: bool, small: int, full: int) -> int:
    return small if smoke else full
