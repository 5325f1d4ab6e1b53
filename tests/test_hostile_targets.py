"""TARGET edge cases: an empty target (an unset variable) is exit 2, never "the current
folder"; a Hub URL is decoded like a card value, with ``/tree/<rev>`` pinning the revision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import components_by_ref, generate, run_cli

TARGET = "acme/Atlas-Merge-7B"
SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "hub"


@pytest.mark.parametrize("command", ["generate", "tree", "licenses", "graph"])
@pytest.mark.parametrize("target", ["", "  "])
def test_an_empty_target_is_exit_2(tmp_path: Path, capsys: Any, monkeypatch: Any,
                                   command: str, target: str) -> None:
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n")
    monkeypatch.chdir(tmp_path)  # a folder that would resolve if "" meant "."
    run = run_cli([command, target, "--offline"], capsys)
    assert run.code == 2, run
    # generate says it among its own TARGET/--scan choices
    assert "the target is empty" in run.stderr or "give a TARGET" in run.stderr, run.stderr
    assert "written" not in run.stderr


def test_mirror_with_an_empty_target_is_exit_2(tmp_path: Path, capsys: Any) -> None:
    run = run_cli(["mirror", "", "-o", str(tmp_path / "m"), "--hub-mirror", str(SNAPSHOT)],
                  capsys)
    assert run.code == 2 and "the target is empty" in run.stderr


def test_a_hub_url_target_is_decoded(tmp_path: Path, capsys: Any, make_fake_hub: Any) -> None:
    hub = make_fake_hub()
    sha = json.loads((SNAPSHOT / "models" / "acme--Atlas-Merge-7B" / "info.json")
                     .read_text())["sha"]
    by_id, bom_id = generate(capsys, TARGET, tmp_path / "a.json",
                             "--endpoint", hub.endpoint, "--no-cache", "--reproducible")
    for url in (f"https://huggingface.co/{TARGET}", f"https://hf.co/{TARGET}/tree/{sha}"):
        run, bom = generate(capsys, url, tmp_path / "b.json", "--endpoint", hub.endpoint,
                            "--no-cache", "--reproducible")
        assert run.code == 0, run.stderr
        assert bom["metadata"]["component"]["name"] == TARGET
        assert components_by_ref(bom).keys() == components_by_ref(bom_id).keys()
    assert by_id.code == 0


def test_a_url_that_is_not_a_model_is_exit_2(capsys: Any) -> None:
    for url in ("https://huggingface.co/datasets/org/data", "https://example.com/org/name",
                "https://huggingface.co/org/name/tree/bad rev"):
        run = run_cli(["tree", url, "--offline"], capsys)
        assert run.code == 2 and "is not a Hub model URL" in run.stderr, (url, run.stderr)


def test_mirror_accepts_a_hub_url(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "m"
    run = run_cli(["mirror", f"https://huggingface.co/{TARGET}", "-o", str(out),
                   "--hub-mirror", str(SNAPSHOT)], capsys)
    assert run.code == 0, run.stderr
    assert (out / "models" / "acme--Atlas-Merge-7B" / "info.json").is_file()
