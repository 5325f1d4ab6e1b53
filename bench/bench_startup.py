"""Benchmark: start-up of the ``mlbom`` command (``--version`` and ``--help`` < 0.3 s, also when
the machine is busy: issue 18).

Runs this checkout's console-script entry point (``sbom.entry:main``, what ``pip install``
makes ``mlbom`` call) ``REPEAT`` times per command as a fresh subprocess and reports the median
wall time, interpreter start-up included (that is what a user waits for), first on the machine
as it is, then with one busy-loop process per core running (as in CI's benchmark smoke run on
a 2-core machine). ``python -c pass`` is reported alongside as the floor no import work can go
below, and the number of modules each command imports as a count that timing noise does not
blur.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

from common import REPO, Row

GOAL_S = 0.3
REPEAT = 10
ENTRY = "import sys; from sbom.entry import main; sys.argv[0] = 'mlbom'; sys.exit(main())"


def _command() -> list[str]:
    return [sys.executable, "-c", ENTRY]


def median_run(argv: list[str], repeat: int) -> float:
    return median_runs(argv, repeat)[0]


def median_runs(argv: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of the child, in seconds. CPU time
    hardly moves when other processes compete for the cores; wall time does."""
    times, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return statistics.median(times), statistics.median(cpu)


def modules_imported(flag: str) -> int:
    code = ENTRY.replace("sys.exit(main())",
                         "rc = main(); print(len(sys.modules), file=sys.stderr); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, flag], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    return int(proc.stderr.strip().splitlines()[-1])


@contextlib.contextmanager
def busy_cores(n: int) -> Iterator[None]:
    """``n`` processes spinning at 100% CPU for the duration (stopped by their pid)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(n)]
    try:
        time.sleep(0.3)
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def run(smoke: bool) -> list[Row]:
    repeat = 2 if smoke else REPEAT
    cmd = _command()
    rows = []
    for label, load in (("", contextlib.nullcontext()), (", 2 cores busy", busy_cores(2))):
        with load:
            floor, floor_cpu = median_runs([sys.executable, "-c", "pass"], repeat)
            for flag in ("--version", "--help"):
                t, cpu = median_runs([*cmd, flag], repeat)
                rows.append(Row(name=f"mlbom {flag}{label} (median of {repeat})",
                                measured=round(t, 3), unit="s", goal=GOAL_S,
                                notes=f"CPU {cpu:.3f} s; python -c pass: {floor:.3f} s, CPU "
                                      f"{floor_cpu:.3f} s; machine shared (load "
                                      f"{os.getloadavg()[0]:.1f})"))
    bare = subprocess.run([sys.executable, "-c", "import sys; print(len(sys.modules))"],
                          capture_output=True, text=True, timeout=60).stdout.strip()
    for flag in ("--version", "--help"):
        rows.append(Row(name=f"modules imported by mlbom {flag}", measured=modules_imported(flag),
                        unit="modules", goal=None, notes=f"python -c pass: {bare} modules"))
    return rows


if __name__ == "__main__":
    for row in run("--smoke" in sys.argv):
        print(row)
