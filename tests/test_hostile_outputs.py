"""``-o`` onto special files and bad paths: devices are written, never replaced; folders and
missing folders are usage errors before any work; a full disk says so; modes follow umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hostile import assert_no_traceback, card_text, run_cli, write_folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "release", {"README.md": card_text("license: mit")})


def _device(path: Path, major: int, minor: int) -> Path:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("mknod needs root (CAP_MKNOD)")
    return path


def test_a_copy_of_dev_full_stays_a_device_and_enospc_is_said(tmp_path: Path, folder: Path,
                                                             capsys: Any) -> None:
    full = _device(tmp_path / "full", 1, 7)
    run = run_cli(["generate", str(folder), "--offline", "-q", "-o", str(full)], capsys)
    assert run.code == 3, run.stderr
    assert f"cannot write {full}: no space left on the device" in run.stderr
    assert_no_traceback(run.stderr)
    assert stat.S_ISCHR(full.stat().st_mode)  # not replaced by a regular file
    assert not list(tmp_path.glob(".full.*.tmp"))


def test_a_copy_of_dev_null_is_written_to_directly(tmp_path: Path, folder: Path,
                                                   capsys: Any) -> None:
    null = _device(tmp_path / "null", 1, 3)
    for cmd in (["generate", str(folder), "--offline", "-q"],
                ["graph", str(folder), "--offline", "--format", "mermaid"]):
        run = run_cli([*cmd, "-o", str(null)], capsys)
        assert run.code == 0, run.stderr
        assert stat.S_ISCHR(null.stat().st_mode)


@pytest.mark.parametrize("where", ["folder", "missing-folder", "file-as-folder"])
def test_a_bad_output_path_is_exit_2_before_any_work(tmp_path: Path, capsys: Any,
                                                     make_fake_hub: Any, where: str) -> None:
    hub = make_fake_hub()
    (tmp_path / "plain").write_text("x")
    out = {"folder": tmp_path, "missing-folder": tmp_path / "nope" / "bom.json",
           "file-as-folder": tmp_path / "plain" / "bom.json"}[where]
    run = run_cli(["generate", "acme/Atlas-Merge-7B", "--endpoint", hub.endpoint, "--no-cache",
                   "-o", str(out)], capsys)
    assert run.code == 2, run.stderr
    assert str(out) in run.stderr and "internal error" not in run.stderr
    assert hub.requests == []  # checked before anything was resolved


def test_mirror_into_a_file_or_missing_folder_is_exit_2_first(tmp_path: Path, capsys: Any,
                                                              make_fake_hub: Any) -> None:
    hub = make_fake_hub()
    (tmp_path / "plain").write_text("x")
    for out in (tmp_path / "plain", tmp_path / "nope" / "mirror"):
        run = run_cli(["mirror", "acme/Atlas-Merge-7B", "--endpoint", hub.endpoint,
                       "-o", str(out)], capsys)
        assert run.code == 2 and str(out) in run.stderr, run.stderr
    assert hub.requests == []


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_output_mode_follows_the_umask_also_when_replacing(tmp_path: Path, folder: Path,
                                                           capsys: Any, umask: int) -> None:
    out = tmp_path / "bom.json"
    out.write_text("old")
    out.chmod(0o600 if umask == 0o022 else 0o644)
    old = os.umask(umask)
    try:
        run = run_cli(["generate", str(folder), "--offline", "-q", "-o", str(out)], capsys)
    finally:
        os.umask(old)
    assert run.code == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
