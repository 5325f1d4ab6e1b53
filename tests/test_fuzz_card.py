"""The card parser's atheris fuzz target (``tests/fuzz_card.py``), run for a bounded time.

Skipped where atheris does not install. A crash makes libFuzzer exit non-zero and write the
input to ``crash-*`` in the work folder, which the failure message names.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

FUZZ_SECONDS = int(os.environ.get("MLBOM_FUZZ_SECONDS", "20"))
TARGET = Path(__file__).with_name("fuzz_card.py")


def test_card_parser_survives_fuzzing(tmp_path: Path) -> None:
    from fuzz_card import SEEDS

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(SEEDS):
        (corpus / f"seed{i}").write_bytes(seed)
    proc = subprocess.run(
        [sys.executable, str(TARGET), f"-max_total_time={FUZZ_SECONDS}", "-max_len=4096",
         "-rss_limit_mb=1024", "-timeout=5", str(corpus)],
        cwd=tmp_path, capture_output=True, text=True, timeout=FUZZ_SECONDS + 60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TARGET.parents[1]),
                                                          os.environ.get("PYTHONPATH", "")])},
    )
    crashes = sorted(p.name for p in tmp_path.glob("crash-*")) + sorted(
        p.name for p in tmp_path.glob("timeout-*"))
    assert proc.returncode == 0 and not crashes, (crashes, proc.stderr[-3000:])
    assert "Done" in proc.stderr or "DONE" in proc.stderr, proc.stderr[-1000:]
