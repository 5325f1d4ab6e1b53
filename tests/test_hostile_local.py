"""Local folder faults: symlink loops, FIFOs and unreadable files or folders are problems on
the node; the rest of the graph is still written (exit 0), never "internal error".

The suite runs as root, which reads any file whatever its mode. The unreadable cases run the
CLI in a child started through ``setpriv`` with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
dropped from its bounding set: still uid 0, but a mode-000 file now fails to open with
EACCES exactly as it would for any user.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    REPO_ROOT,
    card_text,
    components_by_ref,
    generate,
    problems,
    properties_of,
    write_folder,
)

CARD = card_text("license: mit\nbase_model: org/base")


class _SystemCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def test_symlink_loops_and_fifos_are_problems_not_crashes(tmp_path: Path,
                                                          capsys: Any) -> None:
    folder = write_folder(tmp_path / "loopy", {"README.md": CARD})
    (folder / "config.json").symlink_to("loop-b")
    (folder / "loop-b").symlink_to("config.json")
    (folder / "pytorch_model.bin").symlink_to("pytorch_model.bin")
    os.mkfifo(folder / "adapter_config.json")  # opening it would block forever
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    target = components_by_ref(bom)["local:loopy"]
    said = problems(target)
    assert any("config.json: symlink loop" in p for p in said), said
    assert any("pytorch_model.bin: symlink loop" in p for p in said), said
    assert properties_of(target, "mlbom:license:declared") == ["mit"]
    assert "model:org/base" in components_by_ref(bom)  # the rest of the graph is there


def _dropped_dac_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and util-linux setpriv")
    return subprocess.run(
        [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--",
         sys.executable, "-m", "sbom.cli", *args], cwd=REPO_ROOT, text=True,
        capture_output=True, timeout=120, check=False)


def test_unreadable_files_and_folders_are_problems_on_the_node(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "locked", {
        "README.md": CARD,
        "config.json": json.dumps({"model_type": "llama"}),
        "pytorch_model.bin": pickle.dumps(_SystemCall()),
        "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
        "shards/more.pkl": pickle.dumps(_SystemCall()),
    })
    for name in ("config.json", "pytorch_model.bin"):
        (folder / name).chmod(0)
    (folder / "shards").chmod(0)
    out = tmp_path / "bom.json"
    try:
        proc = _dropped_dac_cli(["generate", str(folder), "--offline", "-q", "-o", str(out)])
    finally:
        (folder / "shards").chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    bom = json.loads(out.read_text("utf-8"))
    target = components_by_ref(bom)["local:locked"]
    said = problems(target)
    assert any("config.json" in p and "Permission denied" in p for p in said), said
    assert any("cannot list shards" in p for p in said), said
    findings = properties_of(target, "mlbom:finding")
    assert any(f.startswith("pickle-scan-error warning pytorch_model.bin") for f in findings)
    assert any(f.startswith("weights-not-fully-checked") for f in findings), findings
    assert "model:org/base" in components_by_ref(bom)
