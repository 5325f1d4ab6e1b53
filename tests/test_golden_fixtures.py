"""What a user sees, frozen: every output format for every model in fixtures/hub, through the CLI.

Each (model, format) pair runs the real ``mlbom`` command line against the bundled mirror in
reproducible mode and compares the bytes written with a snapshot under
``tests/golden/fixtures/`` (the older CycloneDX 1.6 goldens in ``tests/golden/`` are reused
where they exist). A model the mirror records as unreadable snapshots the exit code and the
one-line error instead. A refactoring must leave every snapshot byte-identical; a change that
alters output on purpose regenerates them explicitly with ``MLBOM_UPDATE_GOLDEN=1`` and says why
in its commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sbom.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "fixtures" / "hub"
GOLDEN = Path(__file__).parent / "golden"
SNAPSHOTS = GOLDEN / "fixtures"
UPDATE = os.environ.get("MLBOM_UPDATE_GOLDEN") == "1"
EPOCH = "1700000000"

MODELS = sorted(d.name for d in (HUB / "models").iterdir() if d.is_dir())

# format name -> (snapshot suffix, CLI arguments after the target; "-o OUT" is appended when the
# command writes a file, None means the command prints to stdout)
FORMATS: dict[str, tuple[str, list[str], bool]] = {
    "cyclonedx-1.6": ("cdx.json", ["generate", "--reproducible", "-q"], True),
    "cyclonedx-1.7": ("cdx17.json", ["generate", "--reproducible", "-q",
                                     "--spec-version", "1.7"], True),
    "spdx-2.3": ("spdx.json", ["generate", "--reproducible", "-q", "--format", "spdx-json"],
                 True),
    "spdx-3": ("spdx3.json", ["generate", "--reproducible", "-q", "--format", "spdx3-json"],
               True),
    "sarif": ("sarif", ["licenses", "--format", "sarif", "--fail-on", "never"], True),
    "review-json": ("review.json", ["licenses", "--format", "json", "--fail-on", "never"], True),
    "mermaid": ("mmd", ["graph", "--format", "mermaid"], True),
    "dot": ("dot", ["graph", "--format", "dot"], True),
    "html": ("html", ["graph", "--format", "html"], True),
    "tree-json": ("tree.json", ["tree", "--json"], False),
}


def repo_id(folder: str) -> str:
    return folder.replace("--", "/", 1)


def snapshot_path(folder: str, fmt: str) -> Path:
    suffix = FORMATS[fmt][0]
    older = GOLDEN / f"{folder}.cdx.json"
    if fmt == "cyclonedx-1.6" and older.is_file():
        return older
    return SNAPSHOTS / f"{folder}.{suffix}"


def run_cli(folder: str, fmt: str, tmp_path: Path,
            readouterr: Callable[[], pytest.CaptureResult[str]]) -> bytes:
    """The bytes the user gets: the written file or stdout, else the exit code and stderr."""
    _, args, to_file = FORMATS[fmt]
    argv = [args[0], repo_id(folder), *args[1:], "--hub-mirror", str(HUB)]
    out = tmp_path / "out"
    if to_file:
        argv += ["-o", str(out)]
    readouterr()
    code = main(argv)
    captured = readouterr()
    if code != 0:
        return f"exit {code}\n{captured.err}".encode()
    return out.read_bytes() if to_file else captured.out.encode()


def first_difference(want: bytes, got: bytes) -> str:
    a, b = want.decode(errors="replace").splitlines(), got.decode(errors="replace").splitlines()
    for n, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return f"line {n}:\n  snapshot: {x[:300]!r}\n  now:      {y[:300]!r}"
    n = min(len(a), len(b)) + 1
    if len(a) != len(b):
        longer = a if len(a) > len(b) else b
        side = "snapshot" if len(a) > len(b) else "now"
        return f"line {n}: only {side} has {longer[n - 1][:300]!r}"
    return "line endings or a trailing newline differ"


def assert_matches_snapshot(path: Path, got: bytes) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got)
        return
    rel = path.relative_to(ROOT)
    assert path.is_file(), f"{rel} is missing: regenerate with MLBOM_UPDATE_GOLDEN=1"
    want = path.read_bytes()
    if want != got:
        pytest.fail(f"{rel} differs from the output, first at {first_difference(want, got)}\n"
                    "(if the change is on purpose: MLBOM_UPDATE_GOLDEN=1, and say why)",
                    pytrace=False)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("folder", MODELS)
def test_output_is_byte_identical_to_the_snapshot(
        folder: str, fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    got = run_cli(folder, fmt, tmp_path, capsys.readouterr)
    assert_matches_snapshot(snapshot_path(folder, fmt), got)


def test_no_snapshot_is_left_without_a_case() -> None:
    """A renamed model or format must not leave an old snapshot that nothing compares."""
    expected = {snapshot_path(m, f).name for m in MODELS for f in FORMATS}
    stale = sorted(p.name for p in SNAPSHOTS.iterdir() if p.name not in expected)
    assert stale == [], f"snapshots nothing compares any more: {stale}"


def test_first_difference_names_the_line() -> None:
    assert first_difference(b"a\nb\nc\n", b"a\nB\nc\n").startswith("line 2:")
    assert first_difference(b"a\n", b"a\nextra\n") == "line 2: only now has 'extra'"
    assert first_difference(b"a\n", b"a") == "line endings or a trailing newline differ"
