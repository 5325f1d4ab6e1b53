"""The command line as a user meets it: outputs, summaries, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sbom.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUB = str(ROOT / "fixtures" / "hub")


def test_generate_from_the_mirror_writes_a_bom_and_a_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "atlas.cdx.json"
    assert main(["generate", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["metadata"]["component"]["name"] == "acme/Atlas-Merge-7B"
    err = capsys.readouterr().err
    assert "merge acme/Mistral-7B-Orca-Med" in err  # the lineage tree
    assert "unresolved  contoso/withdrawn-corpus: not-found" in err
    assert f"written to {out}" in err
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file


def test_generate_against_the_fake_hub_with_endpoint(fake_hub: object, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    code = main(["generate", "acme/gemma-2-2b-it-GGUF", "--endpoint",
                 fake_hub.endpoint, "--no-cache", "-o", str(out), "-q",  # type: ignore
                 "--spec-version", "1.7"])
    assert code == 0
    assert json.loads(out.read_text())["specVersion"] == "1.7"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["generate", "not a valid id!"], 2, "not a valid Hub repo id"),
    (["generate", "./no/such/folder"], 2, "is not a model folder"),
    (["generate", "x/y", "--spec-version", "1.9"], 2, "--spec-version"),
    (["generate", "x/y", "--hub-mirror", "/nonexistent"], 2, "is not a folder"),
    (["generate", "contoso/Deleted-Base-7B", "--hub-mirror", HUB], 2, "not-found"),
    (["generate", "acme/x", "--offline"], 3, "offline"),
    (["frobnicate"], 2, "No such command"),
])
def test_bad_input_exits_with_a_one_line_message_and_no_traceback(
        args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_unreachable_hub_is_an_operational_failure(capsys: pytest.CaptureFixture[str]) -> None:
    # a closed loopback port: the retry budget runs out quickly, and the message says what to do
    # -q: a run this long also prints a progress line every 10 s when stderr is not a terminal
    code = main(["generate", "org/model", "--endpoint", "http://127.0.0.1:9", "--no-cache",
                 "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert "org/model" in err and "--hub-mirror" in err
    assert len(err.strip().splitlines()) == 1


def test_debug_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    # a target the Hub says does not exist is an input error (a typo), not an outage
    assert main(["--debug", "generate", "contoso/Deleted-Base-7B", "--hub-mirror", HUB]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_mirror_round_trip_gives_the_same_bom(fake_hub: object, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    assert main(["mirror", "acme/llama31-support-lora", "--endpoint",
                 fake_hub.endpoint, "-o", str(mirror)]) == 0  # type: ignore[attr-defined]
    assert json.loads((mirror / "mirror.json").read_text())["format"] == "mlbom-mirror/1"
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["generate", "acme/llama31-support-lora", "--hub-mirror", str(mirror),
                 "--reproducible", "-q", "-o", str(a)]) == 0
    assert main(["generate", "acme/llama31-support-lora", "--hub-mirror", HUB,
                 "--reproducible", "-q", "-o", str(b)]) == 0
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    for d in (da, db):  # the source is recorded in the metadata, the rest must be equal
        d["metadata"].pop("properties")
        d.pop("serialNumber")
        for comp in [d["metadata"]["component"], *d["components"]]:
            # the bundled info.json files also carry `baseModels`, which the Hub only sends
            # under `expand`: a mirror written through the Hub faithfully lacks that evidence
            comp["properties"] = [p for p in comp.get("properties", [])
                                  if "hub-base-models:" not in p["value"]]
    assert da == db


def test_spdx_and_views_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    spdx = tmp_path / "a.spdx.json"
    assert main(["generate", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "--format",
                 "spdx-json", "-q", "-o", str(spdx)]) == 0
    assert json.loads(spdx.read_text())["spdxVersion"] == "SPDX-2.3"
    bom = tmp_path / "a.cdx.json"
    assert main(["generate", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "-q",
                 "-o", str(bom)]) == 0
    capsys.readouterr()
    assert main(["view", str(bom), "--format", "mermaid"]) == 0
    assert "flowchart" in capsys.readouterr().out
    assert main(["tree", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "mlbom-tree/1"


def test_licenses_gate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an adapter relabelling a Gemma base as Apache-2.0: an error finding -> exit 1
    assert main(["licenses", "contoso/gemma-2-2b-lora-support", "--hub-mirror", HUB,
                 "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert any(f["kind"] == "license-drift" for f in report["findings"])
    assert main(["licenses", "contoso/gemma-2-2b-lora-support", "--hub-mirror", HUB,
                 "--fail-on", "never"]) == 0
    capsys.readouterr()
    # reviewing a BOM file works offline
    bom = tmp_path / "m.json"
    assert main(["generate", "contoso/mini-sentiment-reviews", "--hub-mirror", HUB, "-q",
                 "-o", str(bom)]) == 0
    capsys.readouterr()
    assert main(["licenses", str(bom), "--format", "sarif"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "2.1.0"


def test_version_and_help_run_as_a_program() -> None:
    out = subprocess.run([sys.executable, "-m", "sbom.cli", "--version"], capture_output=True,
                         text=True, cwd=ROOT, check=False)
    assert out.returncode == 0 and out.stdout.startswith("mlbom ")


def test_inventory_and_affected_through_the_cli(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    for target, product in (("acme/Atlas-Merge-7B", "support-bot"),
                            ("acme/llama31-support-lora", "helpdesk")):
        bom = tmp_path / f"{product}.json"
        assert main(["generate", target, "--hub-mirror", HUB, "-q", "-o", str(bom)]) == 0
        assert main(["inventory", "add", str(bom), "--product", product, "--version", "1",
                     "--db", db]) == 0
    capsys.readouterr()
    assert main(["affected", "mistralai/Mistral-7B-v0.3", "--db", db, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [a["product"] for a in doc["affected"]] == ["support-bot"]
    assert main(["affected", "--dataset", "contoso/orca-style-chat", "--db", db,
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(a["product"] for a in doc["affected"]) == ["helpdesk", "support-bot"]
    assert main(["inventory", "remove", "helpdesk", "--db", db]) == 0
    assert main(["inventory", "remove", "helpdesk", "--db", db]) == 2  # nothing left to remove


def test_dataset_licenses_are_fetched_through_the_hub(fake_hub: object, tmp_path: Path) -> None:
    from lineage.pipeline import RunOptions, build_graph

    g = build_graph("contoso/ReviewBot-7B", RunOptions(
        endpoint=fake_hub.endpoint, use_cache=False, cache_dir=tmp_path))  # type: ignore
    ds = g.node("dataset:contoso/dialog-nc-sa")
    assert ds.sha and ds.license is not None and ds.license.spdx == "CC-BY-NC-SA-4.0"
    assert fake_hub.count(kind="dataset_info", repo_id="contoso/dialog-nc-sa") >= 1  # type: ignore
