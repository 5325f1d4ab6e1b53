"""Every command shown in a ```bash block of README.md and docs/*.md runs, as a user would run
it: in an empty folder holding only a link to ``fixtures/``, with ``mlbom`` on PATH (this
checkout's CLI), HOME and the data and cache folders in that folder (so the default inventory
store is a fresh SQLite file), and a Hub endpoint that refuses connections (a documented
command never needs the internet). Each command must exit as documented: 0, or the code a
trailing ``# exit N`` comment gives; no traceback.

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


_EXIT_NOTE = re.compile(r"#\s*exit\s+(\d+)")


def checked_script(script: str) -> str:
    """``script`` with each command (continuation lines joined) checked for its documented
    exit status."""
    commands: list[str] = []
    pending = ""
    for line in script.splitlines():
        pending += line + "\n"
        if not line.rstrip().endswith("\\"):
            commands.append(pending)
            pending = ""
    out = []
    for command in commands:
        if not command.strip():
            continue
        note = _EXIT_NOTE.search(command)
        want = int(note.group(1)) if note else 0
        first = command.strip().splitlines()[0][:60].replace("'", "")
        out.append(f"set +e\n{command}rc=$?\nset -e\n"
                   f"[ $rc -eq {want} ] || {{ echo 'exit '$rc', documented {want}: {first}' >&2;"
                   " exit 1; }\n")
    return "".join(out)


def test_the_docs_show_commands() -> None:
    assert len(BLOCKS) >= 6
    assert {name.split(":")[0] for name, _ in BLOCKS} >= {"README.md",
                                                          "docs/mirror-format.md"}


DOC_NAMES = sorted({name.split(":")[0] for name, _ in BLOCKS})


@pytest.mark.parametrize("doc", DOC_NAMES)
def test_documented_commands_run(doc: str, tmp_path: Path) -> None:
    """A document's blocks run in order in one folder, as a reader following it would (the
    README's incident walk-through fills the inventory that later sections query)."""
    work = tmp_path / "work"
    work.mkdir()
    for shared in ("fixtures", "tests"):
        (work / shared).symlink_to(REPO / shared)
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
    ci_run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    for name, block in BLOCKS:
        if name.split(":")[0] != doc:
            continue
        script, ci = split_ci_commands(block)
        for command in ci:
            assert ci_runs(command, ci_run), f"{name}: .ci/run does not run {command!r}"
        if not script.strip():
            continue
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", checked_script(script)],
                             cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{name} exited {run.returncode}:\n{run.stderr[-2000:]}"
        assert "Traceback" not in run.stderr, name
