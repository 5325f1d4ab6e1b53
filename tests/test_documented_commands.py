"""Every command shown in a ```bash block of README.md and docs/*.md runs, as a user would run
it: in an empty folder holding only a link to ``fixtures/``, with ``mlbom`` on PATH (this
checkout's CLI), HOME and the data and cache folders in that folder (so the default inventory
store is a fresh SQLite file), and a Hub endpoint that refuses connections (a documented
command never needs the internet). The block must exit 0 with no traceback.

The two install/test commands at the top of the README (``python3 -m pip install ...``,
``python3 -m pytest ...``) are what ``.ci/run`` itself runs; for those the test checks that
``.ci/run`` runs the same command instead of running them here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
_CI_COMMANDS = ("python3 -m pip install", "python3 -m pytest")


def documented_blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in _BLOCK.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((f"{doc.relative_to(REPO)}:{line}", m.group(1)))
    return found


BLOCKS = documented_blocks()


def split_ci_commands(block: str) -> tuple[str, list[str]]:
    """The block without the install/test commands, and those commands."""
    kept, ci = [], []
    for line in block.splitlines():
        parts = [p.strip() for p in line.split("&&")]
        ci += [p for p in parts if p.startswith(_CI_COMMANDS)]
        rest = [p for p in parts if not p.startswith(_CI_COMMANDS)]
        if rest:
            kept.append(" && ".join(rest))
    return "\n".join(kept), ci


def ci_runs(command: str, ci_run: str) -> bool:
    """``.ci/run`` runs ``command``: the same pytest call, or a pip install of the same
    project folder (CI installs it editable, with the test extras)."""
    lines = [ln.strip() for ln in ci_run.splitlines() if not ln.lstrip().startswith("#")]
    if command.startswith("python3 -m pytest"):
        return command in lines
    spec = command.split()[-1].strip("\"'").split("[")[0]
    return any(ln.startswith("python3 -m pip install") and
               ln.split()[-1].strip("\"'").split("[")[0] == spec for ln in lines)


def test_the_docs_show_commands() -> None:
    assert len(BLOCKS) >= 6
    assert {name.split(":")[0] for name, _ in BLOCKS} >= {"README.md",
                                                          "docs/mirror-format.md"}


@pytest.mark.parametrize("name,block", BLOCKS, ids=[n for n, _ in BLOCKS])
def test_documented_command_runs(name: str, block: str, tmp_path: Path) -> None:
    script, ci = split_ci_commands(block)
    ci_run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    for command in ci:
        assert ci_runs(command, ci_run), f"{name}: .ci/run does not run {command!r}"
    if not script.strip():
        return
    work = tmp_path / "work"
    work.mkdir()
    (work / "fixtures").symlink_to(REPO / "fixtures")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "mlbom"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sbom.cli "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MLBOM_"))}
    env.update(PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(REPO),
               HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), HF_HOME=str(tmp_path / "hf"),
               HF_ENDPOINT="http://127.0.0.1:9", COLUMNS="100")
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{name} exited {run.returncode}:\n{run.stderr[-2000:]}"
    assert "Traceback" not in run.stderr
