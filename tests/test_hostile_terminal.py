"""Terminal and format injection: ESC sequences, BEL, C1 controls and bidi overrides from
card values, ids and file names never reach a person raw (stderr summary, tree, view,
findings, markdown, mermaid, DOT, SARIF messages); JSON keeps the data as escaped strings."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from hostile import card_text, run_cli, write_folder

from lineage.text_safety import printable

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
CSI_C1 = "\u009b31m"
RLO = "\u202e"
RAW = (CLEAR, TITLE, LINK, "\x07", "\x1b", "\u009b", RLO)
FAKE = "mlbom:finding dangerous-pickle-import error fake.pkl: fake"
NEWLINE_NAME = f"evil\n{FAKE}.pkl"


class _SystemCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    """A release whose card, parent ids and file names carry every kind of control."""
    def yaml_str(value: str) -> str:
        return json.dumps(value)  # JSON strings are YAML double-quoted strings

    parents = ["org/" + CLEAR + "x", "org/ok" + CSI_C1, 'org/%%{init: {"theme": "dark"}}%%']
    front = "\n".join([
        f"license: {yaml_str(TITLE + 'mit' + RLO)}",
        f"license_name: {yaml_str(LINK)}",
        f"base_model: {json.dumps(parents)}",
        f"datasets: [{yaml_str('data/' + RLO + 'set')}]",
    ])
    folder = write_folder(tmp_path / "release", {"README.md": card_text(front)})
    (folder / NEWLINE_NAME).write_bytes(pickle.dumps(_SystemCall()))
    (folder / f"w{RLO}lkp.pkl").write_bytes(pickle.dumps(_SystemCall()))
    return folder


def _assert_safe_for_people(text: str, where: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached {where}"
    for line in text.splitlines():
        assert not line.lstrip(" │├└─!").startswith("mlbom:finding"), (where, line)


def test_every_view_for_people_escapes_controls(tmp_path: Path, capsys: Any,
                                                hostile_folder: Path) -> None:
    bom = tmp_path / "bom.json"
    run = run_cli(["generate", str(hostile_folder), "--offline", "-o", str(bom)], capsys)
    assert run.code == 0, run.stderr
    _assert_safe_for_people(run.stderr, "the stderr summary")
    assert "\\x1b]0;pwned\\x07" in run.stderr  # shown, escaped, not dropped
    outputs = {
        "tree": ["tree", str(hostile_folder), "--offline"],
        "view": ["view", str(bom)],
        "view-mermaid": ["view", str(bom), "--format", "mermaid"],
        "mermaid": ["graph", str(hostile_folder), "--offline", "--format", "mermaid"],
        "dot": ["graph", str(hostile_folder), "--offline", "--format", "dot"],
        "html": ["graph", str(hostile_folder), "--offline", "--format", "html"],
    }
    for fmt in ("table", "markdown", "sarif", "json"):
        outputs[f"licenses-{fmt}"] = ["licenses", str(hostile_folder), "--offline",
                                      "--format", fmt, "--fail-on", "never"]
        outputs[f"check-{fmt}"] = ["check", str(hostile_folder), "--offline",
                                   "--format", fmt, "--fail-on", "never"]
    for name, args in outputs.items():
        run = run_cli(args, capsys)
        assert run.code == 0, (name, run.stderr)
        _assert_safe_for_people(run.stdout + run.stderr, name)
        if "mermaid" in name:
            assert "%%{" not in run.stdout and "#37;#37;{init" in run.stdout


def test_json_documents_keep_the_data_as_escaped_strings(tmp_path: Path, capsys: Any,
                                                         hostile_folder: Path) -> None:
    for fmt, name in (("cyclonedx", "c.json"), ("spdx-json", "s.json"),
                      ("spdx3-json", "s3.json")):
        out = tmp_path / name
        run = run_cli(["generate", str(hostile_folder), "--offline", "-q", "--format", fmt,
                       "-o", str(out)], capsys)
        assert run.code == 0, (fmt, run.stderr)
        text = out.read_text("utf-8")
        _assert_safe_for_people(text, fmt)  # raw controls never, but...
        assert NEWLINE_NAME in json.dumps(json.loads(text), ensure_ascii=False).replace(
            "\\n", "\n")  # ...the data is all there once parsed
    bom = json.loads((tmp_path / "c.json").read_text("utf-8"))
    names = [c["name"] for c in bom["metadata"]["component"].get("components", [])]
    assert NEWLINE_NAME in names  # the file keeps its real name in the data
    findings = [p["value"] for p in bom["metadata"]["component"]["properties"]
                if p["name"] == "mlbom:finding"]
    assert len([f for f in findings if f.startswith("dangerous-pickle-import")]) == 2
    assert all("\n" not in f for f in findings)  # one finding, one line
    declared = [p["value"] for p in bom["metadata"]["component"]["properties"]
                if p["name"] == "mlbom:license:declared"]
    assert declared == [TITLE + "mit" + RLO]  # card data kept verbatim


def test_tree_json_keeps_data(capsys: Any, hostile_folder: Path) -> None:
    run = run_cli(["tree", str(hostile_folder), "--offline", "--json"], capsys)
    assert run.code == 0, run.stderr
    _assert_safe_for_people(run.stdout, "tree --json")
    tree = json.loads(run.stdout)
    assert any(RLO in f for f in tree["roots"][0]["flags"])  # data intact after parsing


def test_printable_escapes_each_class() -> None:
    assert printable(CLEAR + TITLE) == "\\x1b[2J\\x1b]0;pwned\\x07"
    assert printable(CSI_C1 + RLO + "\u2066") == "\\x9b31m\\u202e\\u2066"
    assert printable("a\nb\tc") == "a\\nb\\tc"
    assert printable(printable(LINK)) == printable(LINK)
    assert printable("Grüße, 模型 🤗") == "Grüße, 模型 🤗"


def _on_a_terminal(args: list[str]) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal (colour on); what it wrote."""
    import pty
    import subprocess
    import sys

    from hostile import REPO_ROOT

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sbom.cli", *args], cwd=REPO_ROOT,
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_on_a_terminal_only_mlbom_own_colours_are_sent(tmp_path: Path,
                                                       hostile_folder: Path) -> None:
    for args in (["tree", str(hostile_folder), "--offline"],
                 ["generate", str(hostile_folder), "--offline", "-o", str(tmp_path / "b.json")]):
        text = _on_a_terminal(args)
        assert "\x1b[" in text  # colour is on: this is a terminal
        for raw in (CLEAR, TITLE, "\x1b]8;", "\x07", "\u009b", RLO):
            assert raw not in text, (args[0], raw)
        assert "\\x1b]0;pwned\\x07" in text


def test_mlbom_scan_shows_hostile_file_names_escaped(tmp_path: Path, capsys: Any) -> None:
    src = tmp_path / "src"
    src.mkdir()
    code = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/model")\n'
    (src / f"app{CLEAR}{RLO}.py").write_text(code)
    (src / f"x\n{FAKE}.py").write_text(code)
    for fmt in ("table", "sarif"):
        run = run_cli(["scan", str(src), "--format", fmt], capsys)
        assert run.code in (0, 1), run.stderr
        _assert_safe_for_people(run.stdout + run.stderr, f"scan {fmt}")
        assert "\\x1b[2J" in run.stdout or "\\\\x1b[2J" in run.stdout  # shown, escaped


def test_affected_tables_escape_what_stored_boms_carry(tmp_path: Path, capsys: Any) -> None:
    folder = write_folder(tmp_path / f"rel{RLO}{CLEAR}",
                          {"README.md": card_text("license: mit\nbase_model: org/base")})
    bom = tmp_path / "bom.json"
    run = run_cli(["generate", str(folder), "--offline", "-q", "-o", str(bom)], capsys)
    assert run.code == 0, run.stderr
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    run = run_cli(["inventory", "add", str(bom), "--product", "app", "--db", db], capsys)
    assert run.code == 0, run.stderr
    for args in (["affected", "org/base", "--db", db], ["inventory", "list", "--db", db]):
        run = run_cli(args, capsys)
        assert run.code in (0, 1), run.stderr
        _assert_safe_for_people(run.stdout, args[0])
        assert "\\u202e" in run.stdout or args[0] == "inventory"
