"""The summary ``mlbom generate`` prints ends with the findings, most severe first (issue 15),
instead of one "signature unsigned, stale" line per node."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbom.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUB = str(ROOT / "fixtures" / "hub")


def summary(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["generate", *args, "--hub-mirror", HUB, "-o", str(tmp_path / "b.json")]) == 0
    return capsys.readouterr().err.rstrip("\n").splitlines()


def test_summary_ends_with_license_and_security_findings_most_severe_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = summary(tmp_path, capsys, "contoso/gpt2-pickle-ft")
    head = lines.index("findings: 1 error(s), 1 warning(s), 0 info (most severe first)")
    tail = lines[head + 1:]
    assert [line.split()[:2] for line in tail] == [["error", "dangerous-pickle-import"],
                                                   ["warning", "pickle-only-weights"]]
    assert "imports os.system" in tail[0]
    assert not any("risk" in line or "signature unsigned" in line for line in lines)


def test_one_cause_is_one_summary_line_and_advisories_are_included(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = summary(tmp_path, capsys, "contoso/Hybrid-NC-Merge-7B", "--advisories",
                    str(ROOT / "fixtures" / "advisories"))
    body = lines[lines.index(next(x for x in lines if x.startswith("findings:"))) + 1:]
    assert sum("contoso/Mistral-7B-Research-NC:" in x for x in body) == 1
    assert any("license-drift (+noncommercial-ancestor)" in x for x in body)
    assert any(x.split()[:2] == ["error", "advisory"] and "MLBOM-2026-0001" in x for x in body)


def test_a_clean_lineage_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = summary(tmp_path, capsys, "acme/mini-sentiment")
    assert lines[-1] == "findings: none"


def test_unread_parents_are_never_summarised_as_no_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = summary(tmp_path, capsys, "acme/Atlas-Merge-7B")
    assert lines[-1] == ("findings: none besides the 1 unresolved part(s) listed above "
                         "(unknown provenance: not checked)")
