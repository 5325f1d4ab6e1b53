"""An interrupted ``mlbom mirror`` is never read as a complete one: the whole mirror is
refused, and a repo cut between its files and its ``info.json`` is unresolved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from hostile import add_model, components_by_ref, generate, new_mirror, run_cli

TARGET = "acme/Atlas-Merge-7B"


def _mirror(tmp_path: Path, capsys: Any, make_fake_hub: Any) -> Path:
    hub = make_fake_hub()
    out = tmp_path / "mirror"
    run = run_cli(["mirror", TARGET, "--endpoint", hub.endpoint, "-o", str(out)], capsys)
    assert run.code == 0, run.stderr
    return out


def test_a_finished_mirror_says_so_and_resolves(tmp_path: Path, capsys: Any,
                                                make_fake_hub: Any) -> None:
    out = _mirror(tmp_path, capsys, make_fake_hub)
    assert json.loads((out / "mirror.json").read_text())["complete"] is True
    run, bom = generate(capsys, TARGET, tmp_path / "bom.json", "--hub-mirror", str(out))
    assert run.code == 0, run.stderr
    assert len(components_by_ref(bom)) > 5


def test_a_mirror_interrupted_while_writing_is_refused(tmp_path: Path, capsys: Any,
                                                       make_fake_hub: Any) -> None:
    hub = make_fake_hub()
    out = tmp_path / "mirror"
    # a folder where a repo's config.json must go makes the writer stop half-way, like a kill
    (out / "models" / "mistralai--Mistral-7B-v0.3" / "files" / "config.json").mkdir(parents=True)
    run = run_cli(["mirror", TARGET, "--endpoint", hub.endpoint, "-o", str(out)], capsys)
    assert run.code != 0
    assert (out / "models" / "acme--Atlas-Merge-7B" / "info.json").is_file()  # half written
    assert json.loads((out / "mirror.json").read_text())["complete"] is False
    run, _ = generate(capsys, TARGET, tmp_path / "bom.json", "--hub-mirror", str(out))
    assert run.code == 2 and "incomplete mirror" in run.stderr, run.stderr
    assert not (tmp_path / "bom.json").exists()


def test_a_mirror_without_its_manifest_is_refused(tmp_path: Path, capsys: Any,
                                                  make_fake_hub: Any) -> None:
    """What an interrupted run of an older mlbom left: repos, but no mirror.json yet."""
    out = _mirror(tmp_path, capsys, make_fake_hub)
    (out / "mirror.json").unlink()
    shutil.rmtree(out / "models" / "mistralai--Mistral-7B-v0.3" / "files")
    run, _ = generate(capsys, TARGET, tmp_path / "bom.json", "--hub-mirror", str(out))
    assert run.code == 2 and "no mirror.json" in run.stderr, run.stderr


def test_a_repo_without_info_json_is_unresolved_not_missing(tmp_path: Path,
                                                            capsys: Any) -> None:
    root = new_mirror(tmp_path / "m", ["org/app"])
    add_model(root, "org/app", card={"base_model": "org/base", "license": "mit"})
    half = root / "models" / "org--base" / "files"
    half.mkdir(parents=True)
    (half / "README.md").write_text("---\nlicense: mit\n---\n")
    run, bom = generate(capsys, "org/app", tmp_path / "bom.json", "--hub-mirror", str(root))
    assert run.code == 0, run.stderr
    base = components_by_ref(bom)["model:org/base"]
    props = {p["name"]: p["value"] for p in base["properties"]}
    assert props["mlbom:lineage:unresolved"] == "offline"
    assert "incomplete in the mirror" in props["mlbom:lineage:problem"]
