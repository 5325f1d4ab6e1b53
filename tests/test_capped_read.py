"""The one capped file read (``lineage.capped_read``): what it refuses, that each command keeps
its own words for the refusal, and that no other module reads a user's file its own way."""

from __future__ import annotations

import ast
import os
import threading
from pathlib import Path

import pytest

from lineage.capped_read import CappedReadError, capped_lines, read_capped, read_capped_text
from lineage.errors import InputError, PolicyError
from sbom.advisories import AdvisoryError, load_advisories
from sbom.bom_reader import read_bom
from sbom.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]


def test_a_file_at_the_limit_is_read_whole_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    assert read_capped(f, 10) == b"x" * 10
    with pytest.raises(CappedReadError) as info:
        read_capped(f, 9)
    assert (info.value.reason, info.value.size) == ("too-large", 10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_a_pipe_longer_than_the_limit_is_refused_not_cut(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(b"y" * 100)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(CappedReadError) as info:
            read_capped(fifo, 50)  # stat says 0 bytes: only the read can find it out
    finally:
        writer.join(5)
    assert (info.value.reason, info.value.size) == ("too-large", None)


def test_missing_and_non_utf8_files_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(CappedReadError) as missing:
        read_capped(tmp_path / "nope", 10)
    assert missing.value.reason == "unreadable"
    assert missing.value.detail == "No such file or directory"
    bad = tmp_path / "latin1"
    bad.write_bytes(b"caf\xe9")
    with pytest.raises(CappedReadError) as info:
        read_capped_text(bad, 10)
    assert info.value.reason == "not-utf8"


def test_each_command_keeps_its_own_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    import sbom.advisories
    import sbom.bom_reader
    import sbom.policy

    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    monkeypatch.setattr(sbom.advisories, "MAX_ADVISORY_FILE_BYTES", 1024)
    monkeypatch.setattr(sbom.policy, "MAX_POLICY_BYTES", 1024)
    monkeypatch.setattr(sbom.bom_reader, "MAX_BOM_BYTES", 1024)
    with pytest.raises(AdvisoryError, match=r"big\.json: larger than 0 MiB$"):
        load_advisories([big])
    with pytest.raises(PolicyError, match=r"big\.json: policy file is larger than 1 KiB$"):
        load_policy(big)
    with pytest.raises(InputError, match=r"big\.json: BOM is 2048 bytes, over the 64 MiB limit"):
        read_bom(big)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyError, match=r"bad\.yaml: policy file is not UTF-8$"):
        load_policy(bad)
    with pytest.raises(AdvisoryError, match=r"nope\.json: no such advisory file"):
        load_advisories([tmp_path / "nope.json"])
    with pytest.raises(PolicyError, match=r"gone\.yaml: cannot read policy file: No such file"):
        load_policy(tmp_path / "gone.yaml")


# -- the rule: nobody else reads a user's file whole in its own way ----------------------------
HELPER = ROOT / "lineage" / "capped_read.py"
# reads that are not of a user's file, each with why it may stay
ALLOWED_WHOLE_READS = {
    ("lineage/extract.py", "read_bytes"): "hashes mlbom's own source files (facts_version)",
    ("lineage/annotate/signatures/_trust.py", "read_bytes"): "the trusted root shipped with "
                                                               "sigstore",
}


def _package_data(call: ast.Call) -> bool:
    text = ast.unparse(call.func)
    return any(w in text for w in ("resources.", "_DATA", "__file__"))


def _whole_or_capped_reads(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in ("read_bytes", "read_text") and not _package_data(node):
            found.append((node.lineno, name))
        elif name == "read" and not node.args and not node.keywords:
            found.append((node.lineno, "read"))  # an unbounded read of an open file
        elif (name == "read" and len(node.args) == 1 and isinstance(node.args[0], ast.BinOp)
              and isinstance(node.args[0].op, ast.Add)):
            found.append((node.lineno, "read(limit + 1)"))  # the capped-read idiom itself
    return found


def test_only_the_helper_reads_files_whole() -> None:
    offenders = []
    for folder in ("lineage", "sbom"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == HELPER:
                continue
            rel = path.relative_to(ROOT).as_posix()
            offenders += [f"{rel}:{line}: .{what}" for line, what in
                          _whole_or_capped_reads(ast.parse(path.read_text("utf-8")))
                          if (rel, what) not in ALLOWED_WHOLE_READS]
    assert offenders == [], "read user files with lineage.capped_read:\n" + "\n".join(offenders)


def test_the_rule_sees_the_idiom() -> None:
    # the test above would pass vacuously if the detector missed the shapes it looks for
    sample = ast.parse("def f(p, fh, n):\n    p.read_bytes()\n    fh.read()\n    fh.read(n + 1)\n")
    assert [w for _, w in _whole_or_capped_reads(sample)] == [
        "read_bytes", "read", "read(limit + 1)"]
    helper = _whole_or_capped_reads(ast.parse(HELPER.read_text("utf-8")))
    assert [w for _, w in helper] == ["read(limit + 1)"]


def test_lines_longer_than_the_limit_are_skipped_in_pieces() -> None:
    import io

    data = b"short\n" + b"x" * 100 + b"\n" + b"y" * 25 + b"\nlast"
    lines = list(capped_lines(io.BytesIO(data), 10))
    assert lines == [(b"short\n", 6), (None, 101), (None, 26), (b"last", 4)]
    assert sum(size for _, size in lines) == len(data)  # progress counts every byte
