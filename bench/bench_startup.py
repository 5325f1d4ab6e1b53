"""Benchmark: start-up of the ``mlbom`` command (issue 8: ``--version`` and ``--help`` < 0.3 s).

Runs the installed console script (``mlbom`` next to this Python, else ``python -m`` on the
CLI module) ``REPEAT`` times per command as a fresh subprocess and reports the median wall
time, interpreter start-up included (that is what a user waits for). ``python -c pass`` is
reported alongside as the floor no import work can go below.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, Row

GOAL_S = 0.3
REPEAT = 10


def _command() -> list[str]:
    script = Path(sys.executable).with_name("mlbom")
    if script.is_file():
        return [str(script)]
    found = shutil.which("mlbom")
    return [found] if found else [sys.executable, "-c", "from sbom.cli import main; main()"]


def median_run(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return statistics.median(times)


def run(smoke: bool) -> list[Row]:
    repeat = 2 if smoke else REPEAT
    cmd = _command()
    floor = median_run([sys.executable, "-c", "pass"], repeat)
    rows = []
    for flag in ("--version", "--help"):
        t = median_run([*cmd, flag], repeat)
        rows.append(Row(name=f"mlbom {flag} (median of {repeat})", measured=round(t, 3),
                        unit="s", goal=GOAL_S,
                        notes=f"python -c pass: {floor:.3f} s; {Path(cmd[0]).name}"))
    return rows


if __name__ == "__main__":
    for row in run("--smoke" in sys.argv):
        print(row)
