"""A demanding user's review of the commands: inputs that used to give a quiet wrong answer
(an all-clear, a pass) now give a clear error or a finding. Real files, the real CLI, the real
client against the fake Hub."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HUB_SNAPSHOT
from tests.hostile import cli_subprocess, run_cli

HUB = str(HUB_SNAPSHOT)


# -- a typo'd model id ---------------------------------------------------------------------------
def test_hub_descendants_of_a_typo_is_an_input_error_not_zero_models(
        fake_hub: Any, capsys: Any) -> None:
    run = run_cli(["affected", "Qwen/Qwen2.5-7B-Instrcut", "--hub-descendants", "--endpoint",
                   fake_hub.endpoint], capsys)
    assert run.code == 2, run.stdout
    assert "Qwen/Qwen2.5-7B-Instrcut is not a model on the Hub" in run.stderr
    assert "0 public model" not in run.stdout


def test_hub_descendants_of_a_real_leaf_is_still_zero(fake_hub: Any, capsys: Any) -> None:
    run = run_cli(["affected", "acme/Atlas-Merge-7B", "--hub-descendants", "--endpoint",
                   fake_hub.endpoint], capsys)
    assert run.code == 0, run.stderr
    assert "0 public model(s) derived from acme/Atlas-Merge-7B" in " ".join(run.stdout.split())


def test_a_deleted_model_keeps_the_descendants_that_name_it(make_fake_hub: Any,
                                                           tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "hub"
    shutil.copytree(HUB_SNAPSHOT, root)
    shutil.rmtree(root / "models" / "Qwen--Qwen2.5-7B")  # the foundation is gone from the Hub
    hub = make_fake_hub(root)
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                   hub.endpoint, "--format", "json"], capsys)
    assert run.code == 0, run.stderr
    assert len(json.loads(run.stdout)["descendants"]) == 6


def test_a_target_the_hub_does_not_have_is_exit_2(fake_hub: Any, tmp_path: Path,
                                                  capsys: Any) -> None:
    out = tmp_path / "bom.json"
    run = run_cli(["generate", "acme/Atlas-Merge-7b-typo", "--endpoint", fake_hub.endpoint,
                   "-o", str(out)], capsys)
    assert run.code == 2 and not out.exists()
    assert "acme/Atlas-Merge-7b-typo" in run.stderr and "Traceback" not in run.stderr


# -- an empty advisory file ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_an_advisory_file_with_no_advisories_is_refused(text: str, tmp_path: Path,
                                                        capsys: Any) -> None:
    empty = tmp_path / "feed.jsonl"
    empty.write_text(text, "utf-8")
    run = run_cli(["check", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "--advisories",
                   str(empty)], capsys)
    assert run.code == 2, run.stderr
    assert "feed.jsonl: holds no advisories" in run.stderr
    run = run_cli(["affected", "--advisories", str(empty), "--db",
                   f"sqlite:///{tmp_path / 'inv.db'}"], capsys)
    assert run.code == 2 and "holds no advisories" in run.stderr


# -- a mirror missing a file ---------------------------------------------------------------------
def test_a_lineage_file_that_could_not_be_read_is_a_finding(tmp_path: Path,
                                                            capsys: Any) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(HUB_SNAPSHOT, mirror)
    (mirror / "models" / "acme--Mistral-7B-Orca-Med" / "files" / "README.md").unlink()
    run = run_cli(["check", "acme/Atlas-Merge-7B", "--hub-mirror", str(mirror),
                   "--format", "json", "--fail-on", "warning"], capsys)
    assert run.code == 1, run.stderr
    [unread] = [f for f in json.loads(run.stdout)["findings"] if f["kind"] == "metadata-unread"]
    assert unread["severity"] == "warning"
    assert "acme/Mistral-7B-Orca-Med: README.md could not be read" in unread["message"]
    # the same from the BOM: the problem line travels with it
    bom = tmp_path / "bom.json"
    assert run_cli(["generate", "acme/Atlas-Merge-7B", "--hub-mirror", str(mirror), "-q",
                    "-o", str(bom)], capsys).code == 0
    run = run_cli(["check", str(bom), "--format", "json"], capsys)
    assert [f["kind"] for f in json.loads(run.stdout)["findings"]].count("metadata-unread") == 1
    # and the complete mirror has no such finding
    run = run_cli(["check", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "--format", "json"],
                  capsys)
    assert "metadata-unread" not in run.stdout


# -- an empty folder -----------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["generate", "check", "licenses"])
def test_an_empty_folder_is_not_a_model_with_no_findings(command: str, tmp_path: Path,
                                                         capsys: Any) -> None:
    folder = tmp_path / "model"  # e.g. a download that has not finished
    folder.mkdir()
    run = run_cli([command, str(folder), "--offline"], capsys)
    assert run.code == 2, run.stdout
    assert f"{folder} is an empty folder" in run.stderr and "Traceback" not in run.stderr


# -- an index whose build did not finish -----------------------------------------------------------
def test_answers_from_an_unfinished_index_say_they_are_partial(
        fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    db = f"sqlite:///{tmp_path / 'index.db'}"
    run = run_cli(["index", "build", "--from-hub", "--endpoint", fake_hub.endpoint, "--db", db,
                   "--limit", "10"], capsys)
    assert run.code == 0 and "build incomplete" in run.stderr
    run = run_cli(["index", "ancestors", "acme/Atlas-Merge-7B", "--db", db], capsys)
    assert run.code == 0, run.stderr
    assert "this answer is partial" in run.stderr and "is incomplete" in run.stderr
    assert "PARTIAL: " in run.stdout  # the answer itself says so, not only stderr
    run = run_cli(["index", "ancestors", "acme/Atlas-Merge-7B", "--db", db, "--format", "json"],
                  capsys)
    assert json.loads(run.stdout)["complete"] is False
    run = run_cli(["index", "descendants", "Qwen/Qwen2.5-7B", "--db", db], capsys)
    assert run.code == 2 and "not in the Hub index" in run.stderr
    assert "is incomplete" in run.stderr  # not there *yet*: the user is told why
    # finished, the same question is answered whole
    assert run_cli(["index", "build", "--from-hub", "--endpoint", fake_hub.endpoint,
                    "--db", db], capsys).code == 0
    run = run_cli(["index", "ancestors", "acme/Atlas-Merge-7B", "--db", db], capsys)
    assert run.code == 0 and "partial" not in run.stderr and "PARTIAL" not in run.stdout
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--index", "--db", db,
                   "--limit", "1", "--format", "json"], capsys)
    doc = json.loads(run.stdout)
    assert doc["count"] == 1 and doc["complete"] is False and "--limit 1" in doc["cut"]


# -- Ctrl-C ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_ends_a_hub_descendants_walk_at_once(make_fake_hub: Any, sig: int) -> None:
    # the second level's listings hang for 8 s: the walk's worker threads are inside them
    hub = make_fake_hub(faults=[{"path": r"filter=base_model%3AQwen%2FQwen2\.5-7B-Instruct",
                                 "action": "delay", "delay": 8, "times": 100}])
    proc = cli_subprocess(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                           hub.endpoint])
    wait_until = time.monotonic() + 20
    while not any("Instruct" in r.path for r in hub.requests) and time.monotonic() < wait_until:
        time.sleep(0.05)
    time.sleep(0.3)
    start = time.monotonic()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - start
    assert proc.returncode == 3 and "interrupted" in stderr and "Traceback" not in stderr
    assert took < 4, took  # it waited for the listings in flight (58.7 s with a 20 s hang)


# -- a gate option that cannot gate ----------------------------------------------------------------
def test_fail_if_affected_is_refused_where_it_would_always_pass(fake_hub: Any,
                                                                capsys: Any) -> None:
    # the descendants exist, but --fail-if-affected gates on stored products: it exited 0
    run = run_cli(["affected", "Qwen/Qwen2.5-7B", "--hub-descendants", "--endpoint",
                   fake_hub.endpoint, "--fail-if-affected"], capsys)
    assert run.code == 2 and "--fail-if-affected" in run.stderr


# -- a mirror written while the Hub failed ---------------------------------------------------------
def test_a_mirror_missing_a_repo_the_hub_failed_to_answer_is_not_a_clean_run(
        make_fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    # the base's metadata comes back as an HTML page (a proxy error): a hub-error, not a fact
    hub = make_fake_hub(faults=[{"path": r"^/api/models/mistralai/Mistral-7B-v0\.3",
                                 "action": "html", "times": 1000}])
    mirror = tmp_path / "mirror"
    run = run_cli(["mirror", "mistralai/Mistral-7B-Instruct-v0.3", "--endpoint", hub.endpoint,
                   "-o", str(mirror)], capsys)
    assert run.code == 3, run.stderr  # was 0 with "0 recorded as unreadable"
    assert "not mirrored: mistralai/Mistral-7B-v0.3" in run.stderr
    assert "missing 1 repo(s)" in run.stderr
    # what was read is still there for an offline run, which names the gap on the node
    run = run_cli(["tree", "mistralai/Mistral-7B-Instruct-v0.3", "--hub-mirror", str(mirror)],
                  capsys)
    assert run.code == 0 and "not in the mirror" in run.stdout


# -- a scan that read nothing ----------------------------------------------------------------------
@pytest.mark.parametrize("how", ["empty", "all-excluded"])
def test_a_scan_of_nothing_is_not_a_clean_product(how: str, tmp_path: Path,
                                                  capsys: Any) -> None:
    tree = tmp_path / "app"
    tree.mkdir()
    args = ["--exclude", "*"] if how == "all-excluded" else []
    if how == "all-excluded":
        (tree / "serve.py").write_text('from_pretrained("acme/mini-sentiment")\n', "utf-8")
    run = run_cli(["scan", str(tree), *args], capsys)
    assert run.code == 2 and "holds no files to scan" in run.stderr
    if how == "all-excluded":
        return  # generate --scan takes no --exclude
    out = tmp_path / "p.json"
    run = run_cli(["generate", "--scan", str(tree), "--product", "p", "--hub-mirror", HUB,
                   "-o", str(out)], capsys)
    # before: a product BOM with no models, and `check` on it said "No findings."
    assert run.code == 2 and not out.exists(), run.stderr
    assert "holds no files to scan" in run.stderr
