"""Ctrl-C or a kill in the middle of a run leaves no partial output: the output file is absent
(or the previous complete version is intact), no temp file is left, exit 3, no traceback."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from hostile import add_model, cli_subprocess, new_mirror

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")


@pytest.fixture
def slow_hub(tmp_path: Path, make_fake_hub: Any) -> Any:
    root = new_mirror(tmp_path / "mirror")
    for i in range(40):
        add_model(root, f"org/m{i}", card={"base_model": f"org/m{i + 1}"} if i < 39 else {})
    return make_fake_hub(root, rtt=0.25)  # 40 levels: at least 10 s unless interrupted


def _interrupt(hub: Any, out: Path, sig: int) -> tuple[int, str]:
    proc = cli_subprocess(["generate", "org/m0", "--endpoint", hub.endpoint, "--no-cache",
                           "-o", str(out)])
    deadline = time.monotonic() + 20
    while hub.count("model_info") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # mid-run: the walk has started
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=20)
    return proc.returncode, stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("previous", [False, True], ids=["fresh", "overwrite"])
def test_an_interrupted_run_leaves_no_partial_output(tmp_path: Path, slow_hub: Any, sig: int,
                                                     previous: bool) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "bom.json"
    old = json.dumps({"bomFormat": "CycloneDX", "previous": True})
    if previous:
        out.write_text(old)
    code, stderr = _interrupt(slow_hub, out, sig)
    assert code == 3, (code, stderr)
    assert "Traceback" not in stderr, stderr
    assert "interrupted" in stderr
    assert [p.name for p in outdir.iterdir()] == (["bom.json"] if previous else [])
    if previous:
        assert out.read_text() == old
