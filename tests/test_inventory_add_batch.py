"""``mlbom inventory add`` with many BOMs: files, folders and a list (stdin too), stored in
batched durable commits, each bad file named on its own line while the rest is stored; on
SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pgserver
import pytest
from inventory_boms import mlbom_bom, write_bom

from sbom.cli import main
from sbom.inventory.affected import find_affected
from sbom.inventory.store import open_store

ROOT = Path(__file__).resolve().parents[1]
db_url = pgserver.db_url  # both engines; starts PostgreSQL once per session
postgres_url = pgserver.postgres_url


def _sha(i: int) -> str:
    return f"{i:040x}"


def _write_products(folder: Path, count: int, base: str = "meta/Base",
                    start: int = 0) -> list[Path]:
    """``count`` model BOMs org/app-i → org/ft-i → ``base``; each names itself
    (metadata.component org/app-i at commit _sha(i))."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_bom(folder, f"app{i:03d}.json", mlbom_bom(
        f"org/app-{i}", [(f"org/app-{i}", "finetune", f"org/ft-{i}"),
                         (f"org/ft-{i}", "adapter", base)],
        {f"org/app-{i}": _sha(i), base: "a" * 40})) for i in range(start, start + count)]


def _stored(url: str) -> list[tuple[str, str]]:
    with open_store(url) as store:
        return sorted((p.product, p.version) for p in store.list_products())


@pytest.mark.parametrize("jobs", ["0", "1"])
def test_a_folder_and_files_are_stored_in_batches_and_a_bad_file_is_named(
        db_url: str, jobs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    boms = _write_products(tmp_path / "boms", 7)
    bad = tmp_path / "boms" / "nested" / "broken.json"
    bad.parent.mkdir()
    bad.write_text('{"bomFormat": "CycloneDX", "metadata": ')
    extra = _write_products(tmp_path / "more", 1, base="other/Base", start=7)[0]
    code = main(["inventory", "add", str(tmp_path / "boms"), str(extra), "--db", db_url,
                 "--batch", "3", "--jobs", jobs])
    err = capsys.readouterr().err
    assert code == 2  # some failed: an input error, said at the end
    assert f"mlbom: error: {bad}: not valid JSON" in err
    assert "1 of 9 BOM file(s) not stored" in err
    assert "stored 8 product version(s) (0 replaced), 8 BOM(s) of 9, in 3 durable commit(s)" \
        in err
    assert _stored(db_url) == sorted([(f"org/app-{i}", _sha(i)) for i in range(8)])
    with open_store(db_url) as store:  # the lineage of every stored version is there
        assert len(find_affected(store, "meta/Base")) == 7
        assert [h.product for h in find_affected(store, "other/Base")] == ["org/app-7"]
        assert len(boms) == 7


def _cli(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sbom.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, timeout=120, check=False)


def test_a_list_on_stdin_names_product_versions_and_groups_their_boms(
        db_url: str, tmp_path: Path) -> None:
    a, b, c = _write_products(tmp_path, 3)
    listing = f"# product versions of the shop\n{a}\tshop\t1.0\n{b}\tshop\t1.0\n\n{c}\n"
    run = _cli(["inventory", "add", "--list", "-", "--db", db_url, "-q"], listing)
    assert run.returncode == 0, run.stderr
    assert "stored 2 product version(s)" in run.stderr
    assert _stored(db_url) == [("org/app-2", _sha(2)), ("shop", "1.0")]
    with open_store(db_url) as store:
        (shop,) = [p for p in store.list_products() if p.product == "shop"]
        assert sorted(r.root_name for r in shop.boms) == ["org/app-0", "org/app-1"]
    # re-adding replaces: the shop's 1.0 now holds one BOM
    run = _cli(["inventory", "add", "--list", "-", "--db", db_url, "-q"], f"{c}\tshop\t1.0\n")
    assert run.returncode == 0, run.stderr
    assert "(1 replaced)" in run.stderr
    with open_store(db_url) as store:
        (shop,) = [p for p in store.list_products() if p.product == "shop"]
        assert [r.root_name for r in shop.boms] == ["org/app-2"]


def test_a_bad_list_line_stops_before_anything_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (a,) = _write_products(tmp_path, 1)
    listing = tmp_path / "list.tsv"
    listing.write_text(f"{a}\tshop\n")
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", "--list", str(listing), "--db", db]) == 2
    assert f"{listing} line 1: expected PATH or PATH<TAB>PRODUCT<TAB>VERSION" in \
        capsys.readouterr().err
    assert not (tmp_path / "inv.db").exists()


def test_two_files_naming_one_product_version_store_the_first_and_name_the_second(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (a,) = _write_products(tmp_path / "x", 1)
    (b,) = _write_products(tmp_path / "y", 1)  # the same BOM content: org/app-0 at _sha(0)
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", str(a), str(b), "--db", db]) == 2
    err = capsys.readouterr().err
    assert f"mlbom: error: {b}: names product 'org/app-0' version '{_sha(0)}', which {a}" in err
    assert _stored(db) == [("org/app-0", _sha(0))]


def test_product_mode_is_one_version_and_all_or_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _write_products(tmp_path / "boms", 2)
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", str(tmp_path / "boms"), "--product", "shop", "--version",
                 "2", "--db", db]) == 0
    assert "stored shop 2: 2 BOM(s)" in capsys.readouterr().err
    (tmp_path / "boms" / "zz.json").write_text("[]")
    assert main(["inventory", "add", str(tmp_path / "boms"), "--product", "shop", "--version",
                 "3", "--db", db]) == 2
    assert "zz.json" in capsys.readouterr().err
    assert _stored(db) == [("shop", "2")]
    assert main(["inventory", "add", str(a), "--version", "3", "--db", db]) == 2
    assert "--version needs --product" in capsys.readouterr().err


def test_a_missing_path_is_named_before_anything_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (a,) = _write_products(tmp_path, 1)
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", str(a), str(tmp_path / "nope.json"), "--db", db]) == 2
    assert f"{tmp_path / 'nope.json'}: no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "inv.db").exists()


def test_progress_lines_go_to_stderr_and_json_stays_out_of_stdout(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_products(tmp_path / "boms", 5)
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", str(tmp_path / "boms"), "--db", db, "--batch", "2",
                 "--jobs", "0"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "… 5 of 5 BOM files read, 5 product version(s) stored in 3 commit(s), 0 failed" \
        in err
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("stored 5 product version(s)") and "BOMs/s" in summary
    assert json.loads(json.dumps(summary))  # one plain line


def test_a_cycle_edge_dropped_at_ingest_is_said_in_both_modes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A foreign BOM whose dependencies go round (a -> b -> a) is stored without the edge that
    closes the cycle; paths through it are then missing from answers, so ingest says so."""
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
           "metadata": {"component": {"type": "application", "name": "app", "version": "1",
                                      "bom-ref": "app"}},
           "components": [{"type": "machine-learning-model", "name": f"org/{n}", "bom-ref": n,
                           "purl": f"pkg:huggingface/org/{n}"} for n in ("a", "b")],
           "dependencies": [{"ref": "app", "dependsOn": ["a"]}, {"ref": "a", "dependsOn": ["b"]},
                            {"ref": "b", "dependsOn": ["a"]}]}
    path = tmp_path / "app.json"
    path.write_text(json.dumps(doc))
    for extra in ([], ["--product", "app", "--version", "1"]):
        assert main(["inventory", "add", str(path), *extra,
                     "--db", f"sqlite:///{tmp_path / f'{len(extra)}.db'}"]) == 0
        assert "1 dependency edge(s) closing a cycle in a BOM were not stored" in \
            capsys.readouterr().err
