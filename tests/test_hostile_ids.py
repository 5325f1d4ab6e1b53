"""Hostile ids and file names: an id or a file name never becomes a local path mlbom reads,
nor a URL outside the repo it belongs to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    add_model,
    card_text,
    components_by_ref,
    depends_on,
    generate,
    new_mirror,
    problems,
    unresolved,
    write_folder,
)

from lineage.errors import InvalidIdError
from lineage.refs import ModelRef, decode_parent_value, is_safe_repo_file

HOSTILE_PARENTS = {
    "../../etc/passwd": "local-path",
    "/etc/passwd": "local-path",
    "~/.ssh/id_rsa": "local-path",
    "C:\\Windows\\system.ini": "local-path",
    "org/base/../../../etc": "local-path",
    "file:///etc/passwd": "invalid-id",
    "https://evil.example/org/base": "invalid-id",
    "org/na me": "invalid-id",
    "оrg/base": "invalid-id",  # Cyrillic о
    "org/bаse": "invalid-id",  # Cyrillic а
    "org/" + "a" * 300: "invalid-id",
    "org/base\n": None,  # stripped: the real id
    "..": "local-path",
    "org/..": "invalid-id",
}


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = new_mirror(tmp_path / "mirror")
    add_model(root, "org/base", card={"license": "mit"})
    return root


def test_hostile_parent_ids_are_recorded_never_followed(tmp_path: Path, mirror: Path,
                                                        capsys: Any) -> None:
    import json

    add_model(mirror, "org/child", card={"base_model": list(HOSTILE_PARENTS)})
    run, bom = generate(capsys, "org/child", tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    comps = components_by_ref(bom)
    for raw, reason in HOSTILE_PARENTS.items():
        value = decode_parent_value(raw)
        if reason is None:
            assert value.ref == ModelRef("org/base")
            continue
        assert value.ref is None and value.reason == reason, raw
        ref = f"{'local' if reason == 'local-path' else 'invalid'}:{value.raw}"
        assert unresolved(comps[ref]) == [reason], raw
    assert "model:org/base" in depends_on(bom, "model:org/child")
    assert "root:" not in json.dumps(bom)  # nothing of /etc/passwd was read into the BOM


@pytest.mark.parametrize("bad", ["../org/base", "org/base/../x", "/etc/passwd", "org/a b",
                                 "a" * 200 + "/b", "org/bаse", "org//base", "org/base@"])
def test_hostile_targets_are_input_errors(tmp_path: Path, mirror: Path, capsys: Any,
                                          bad: str) -> None:
    run, _ = generate(capsys, bad, tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 2, (bad, run.stderr)
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bom.json").exists()


def test_a_mirror_folder_named_for_traversal_is_never_reached(tmp_path: Path, mirror: Path,
                                                              capsys: Any) -> None:
    # Folders whose names decode to traversal ids: no valid id maps to them.
    secret = tmp_path / "secret"
    add_model(secret.parent / "outside", "org/secret", card={"license": "secret"})
    add_model(mirror, "x", folder="..--..--outside", card={"license": "evil"})
    add_model(mirror, "org/child", card={"base_model": ["..--..--outside", "../../outside",
                                                        "..", "org/base"]})
    run, bom = generate(capsys, "org/child", tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    assert "evil" not in json_text(bom) and "secret" not in json_text(bom)
    assert {c for c in components_by_ref(bom) if c.startswith("model:")} == {
        "model:org/child", "model:org/base"}


def json_text(bom: dict[str, Any]) -> str:
    import json

    return json.dumps(bom)


TRAVERSAL_NAMES = ["../../../../../../../../etc/passwd", "/etc/passwd",
                   "../../../../../../../../tmp/x.gguf", "sub/../../../config.json",
                   "..\\..\\config.json", "./config.json"]


def _outside_files(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 16)
    (outside / "config.json").write_text('{"_name_or_path": "org/leaked-secret"}')
    return outside


def test_sibling_names_that_leave_the_repo_are_never_read_from_a_mirror(
        tmp_path: Path, mirror: Path, capsys: Any) -> None:
    _outside_files(tmp_path)
    gguf = "../../../../outside/x.gguf"  # from models/org--t/files/ up to tmp_path
    add_model(mirror, "org/t", extra_siblings=[*TRAVERSAL_NAMES, gguf, "../config.json"])
    (mirror / "models" / "org--t" / "config.json").write_text('{"_name_or_path": "org/leak"}')
    run, bom = generate(capsys, "org/t", tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    target = components_by_ref(bom)["model:org/t"]
    assert "leak" not in json_text(bom)  # neither config.json outside files/ was read
    assert unresolved(target) == []
    assert any("leave the repo and were not read" in p for p in problems(target))


def test_sibling_names_that_leave_the_repo_are_never_requested_from_the_hub(
        tmp_path: Path, mirror: Path, capsys: Any, make_fake_hub: Any) -> None:
    add_model(mirror, "org/t", extra_siblings=TRAVERSAL_NAMES)
    add_model(mirror, "org/child", card={"base_model": "org/t"})
    hub = make_fake_hub(mirror)
    run, bom = generate(capsys, "org/child", tmp_path / "bom.json", "--endpoint", hub.endpoint,
                        "--no-cache")
    assert run.code == 0, run.stderr
    paths = [r.path for r in hub.requests]
    assert all(p.startswith(("/api/models/", "/org/")) for p in paths), paths
    assert not any("passwd" in p or ".." in p or "x.gguf" in p for p in paths), paths
    assert unresolved(components_by_ref(bom)["model:org/t"]) == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_out_of_a_model_folder_are_not_followed(tmp_path: Path, mirror: Path,
                                                         capsys: Any) -> None:
    outside = _outside_files(tmp_path)
    folder = write_folder(tmp_path / "release", {"README.md": card_text("license: mit")})
    (folder / "config.json").symlink_to(outside / "config.json")
    (folder / "model.gguf").symlink_to(outside / "x.gguf")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    assert "leaked-secret" not in json_text(bom)
    assert depends_on(bom, "local:release") == []


@pytest.mark.parametrize("name", TRAVERSAL_NAMES + ["", "a/./b", "a//b", "x\x00y", "C:/x"])
def test_unsafe_repo_file_names(name: str) -> None:
    assert not is_safe_repo_file(name)


@pytest.mark.parametrize("name", ["config.json", "sub/dir/model.gguf", "..hidden", "a..b/c"])
def test_safe_repo_file_names(name: str) -> None:
    assert is_safe_repo_file(name)


@pytest.mark.parametrize("bad", ["../x", "/abs", "a b", "оrg/x", "a" * 97 + "/b", "a/b/c",
                                 "a--b/c", "-a/b", "a/b.git", "a/b\x00"])
def test_model_ref_rejects(bad: str) -> None:
    with pytest.raises(InvalidIdError):
        ModelRef(bad)


@pytest.mark.parametrize("name", ["../../../etc/passwd", "/etc/passwd", "a/../../b.gguf"])
def test_the_hub_source_never_requests_a_name_outside_the_repo(mirror: Path, make_fake_hub: Any,
                                                               name: str) -> None:
    from lineage.errors import ParseError
    from lineage.sources.hub import HubSource

    hub = make_fake_hub(mirror)
    src = HubSource(hub.endpoint, use_cache=False)
    for read in (lambda: src.read_file("org/base", None, name),
                 lambda: src.read_head("org/base", None, name, 1024)):
        with pytest.raises(ParseError, match="not a path inside the repo"):
            read()
    assert hub.requests == []
