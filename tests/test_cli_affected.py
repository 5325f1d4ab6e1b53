"""``mlbom affected`` through the CLI: no false all-clear (issue 15), no depth limit (issue 13).

Every answer is one of: affected (exit 1 with ``--fail-if-affected``), unknown (the BOM does
not record the commit), present but not affected, or an input error (exit 2) for an item that
no stored BOM holds or a store that does not exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import add_model, new_mirror
from inventory_boms import mlbom_bom, write_bom

from sbom.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUB = str(ROOT / "fixtures" / "hub")
OLD = "0123456789abcdef0123456789abcdef01234567"
NEW = "fedcba9876543210fedcba9876543210fedcba98"


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture(scope="module")
def fixture_boms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real BOMs of two products generated from the bundled mirror."""
    folder = tmp_path_factory.mktemp("boms")
    out = {}
    for target, product in (("acme/Atlas-Merge-7B", "support-bot"),
                            ("acme/llama31-support-lora", "helpdesk")):
        out[product] = folder / f"{product}.json"
        assert main(["generate", target, "--hub-mirror", HUB, "-q", "-o",
                     str(out[product])]) == 0
    return out


@pytest.fixture
def db(tmp_path: Path, fixture_boms: dict[str, Path]) -> str:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    for product, bom in fixture_boms.items():
        assert main(["inventory", "add", str(bom), "--product", product, "--version", "1",
                     "--db", url]) == 0
    return url


def test_a_typo_is_an_input_error_with_close_names(db: str, capsys: Any) -> None:
    code, out, err = run(capsys, "affected", "mistralai/Mistral-7B-v03", "--db", db)
    assert code == 2 and out == ""
    assert (f"mistralai/Mistral-7B-v03 is not in any stored BOM (2 BOMs in the store at {db})"
            in err)
    assert "did you mean `mistralai/Mistral-7B-v0.3`" in err
    code, _, err = run(capsys, "affected", "mistrali/Mistral-7B-v0.3", "--db", db)
    assert code == 2 and "did you mean `mistralai/Mistral-7B-v0.3`" in err  # namespace typo


def test_a_dataset_is_found_without_dataset_and_dataset_stays_a_filter(
        db: str, capsys: Any) -> None:
    code, out, err = run(capsys, "affected", "contoso/orca-style-chat", "--db", db,
                         "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "affected"
    assert sorted(a["product"] for a in doc["affected"]) == ["helpdesk", "support-bot"]
    assert {a["kind"] for a in doc["affected"]} == {"dataset"}
    assert "AFFECTED: 2 product version(s) inherit dataset contoso/orca-style-chat" in err
    # support-bot's lineage has an unresolved parent: the answer says it may be incomplete
    assert "note: 1 stored product version(s) (support-bot 1) have lineage mlbom could not" in err
    assert doc["store"]["incomplete_examples"] == ["support-bot 1"]
    # --dataset on a model id: the id is stored, but not as a dataset
    code, _, err = run(capsys, "affected", "--dataset", "mistralai/Mistral-7B-v0.3",
                       "--db", db)
    assert code == 2
    assert "mistralai/Mistral-7B-v0.3 is not a dataset in any stored BOM" in err
    assert "it is a model" in err


def test_an_id_held_by_a_model_and_a_dataset_lists_each_kind(
        tmp_path: Path, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    a = write_bom(tmp_path, "a.json", mlbom_bom("acme/A", [("acme/A", "finetune", "org/x")]))
    b = write_bom(tmp_path, "b.json", mlbom_bom("acme/B", [
        ("acme/B", "trained_on", "dataset:org/x")]))
    for product, bom in (("a", a), ("b", b)):
        assert main(["inventory", "add", str(bom), "--product", product, "--db", url]) == 0
    code, out, err = run(capsys, "affected", "org/x", "--db", url, "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert [(k["kind"], k["total"]) for k in doc["kinds"]] == [("model", 1), ("dataset", 1)]
    assert [(h["kind"], h["product"]) for h in doc["affected"]] == [("model", "a"),
                                                                   ("dataset", "b")]
    assert "names repos of several kinds" in err
    code, out, _ = run(capsys, "affected", "org/x", "--kind", "dataset", "--db", url,
                       "--format", "json")
    assert [h["product"] for h in json.loads(out)["affected"]] == ["b"]


def test_a_code_repo_is_looked_up_by_the_same_id(tmp_path: Path, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    bom = write_bom(tmp_path, "bot.json", mlbom_bom("acme/Bot", [
        ("acme/Bot", "remote_code", "code:vendor/Impl")]))
    assert main(["inventory", "add", str(bom), "--product", "bot", "--db", url]) == 0
    code, out, _ = run(capsys, "affected", "vendor/impl", "--db", url, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and [k["kind"] for k in doc["kinds"]] == ["code"]
    assert doc["affected"][0]["paths"][0]["steps"][0]["relation"] == "remote_code"


def test_reading_commands_never_create_a_store(tmp_path: Path, capsys: Any) -> None:
    missing = tmp_path / "wrong" / "path.db"
    for args in (["affected", "gpt2"], ["inventory", "list"], ["inventory", "remove", "x"]):
        code, _, err = run(capsys, *args, "--db", f"sqlite:///{missing}")
        assert code == 2 and f"no inventory at {missing}" in err
    assert not missing.parent.exists()


def test_an_empty_store_says_so(tmp_path: Path, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    bom = write_bom(tmp_path, "a.json", mlbom_bom("acme/A", [("acme/A", "finetune", "org/x")]))
    assert main(["inventory", "add", str(bom), "--product", "a", "--db", url]) == 0
    assert main(["inventory", "remove", "a", "--db", url]) == 0
    code, out, err = run(capsys, "affected", "org/x", "--db", url)
    assert code == 2 and out == ""
    assert f"org/x is not in any stored BOM: the store at {url} is empty (0 BOMs)" in err


@pytest.fixture
def pinned_db(tmp_path: Path) -> str:
    """shop pins OLD, kiosk pins NEW, cart holds found/Base without a recorded commit."""
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    boms = {
        "shop": mlbom_bom("acme/Shop", [("acme/Shop", "finetune", "found/Base")],
                          {"found/Base": OLD}),
        "kiosk": mlbom_bom("acme/Kiosk", [("acme/Kiosk", "adapter", "found/Base")],
                           {"found/Base": NEW}),
        "cart": mlbom_bom("acme/Cart", [("acme/Cart", "quantized", "found/Base")]),
    }
    for product, doc in boms.items():
        path = write_bom(tmp_path, f"{product}.json", doc)
        assert main(["inventory", "add", str(path), "--product", product, "--db", url]) == 0
    return url


def test_a_pinned_query_tells_affected_from_unknown(pinned_db: str, capsys: Any) -> None:
    code, out, err = run(capsys, "affected", f"found/Base@{OLD[:10]}", "--db", pinned_db,
                         "--format", "json", "--fail-if-affected")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "affected"
    assert [h["product"] for h in doc["affected"]] == ["shop"]
    assert [h["product"] for h in doc["unknown"]] == ["cart"]
    assert "AFFECTED: 1 product version(s)" in err and "UNKNOWN: 1 more" in err


def test_a_commit_no_product_pins_is_present_but_not_affected(
        tmp_path: Path, capsys: Any) -> None:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    path = write_bom(tmp_path, "shop.json", mlbom_bom(
        "acme/Shop", [("acme/Shop", "finetune", "found/Base")], {"found/Base": OLD}))
    assert main(["inventory", "add", str(path), "--product", "shop", "--db", url]) == 0
    code, out, err = run(capsys, "affected", "found/Base@1234567", "--db", url,
                         "--format", "json", "--fail-if-affected")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "not-affected"
    assert doc["kinds"][0]["present"] == 1 and doc["kinds"][0]["other_commits"] == [OLD]
    assert ("NOT AFFECTED: model found/Base is in 1 stored product version(s), but none pins a"
            " commit starting 1234567 (they pin 0123456789ab)") in err


def test_only_unknown_commits_is_unknown_and_fails_the_gate(
        pinned_db: str, capsys: Any) -> None:
    code, out, err = run(capsys, "affected", "found/Base@1234567", "--db", pinned_db,
                         "--format", "json", "--fail-if-affected")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "unknown"
    assert doc["affected"] == [] and [h["product"] for h in doc["unknown"]] == ["cart"]
    assert "UNKNOWN: model found/Base is in 1 product version(s) whose BOM does not record" in err


def test_fail_if_affected_and_paging(pinned_db: str, capsys: Any) -> None:
    assert run(capsys, "affected", "found/Base", "--db", pinned_db)[0] == 0
    code, out, err = run(capsys, "affected", "found/Base", "--db", pinned_db,
                         "--fail-if-affected", "--format", "json", "--limit", "1",
                         "--offset", "1")
    doc = json.loads(out)
    assert code == 1
    assert (doc["total"], doc["limit"], doc["offset"]) == (3, 1, 1)
    assert [h["product"] for h in doc["affected"]] == ["kiosk"]  # cart, kiosk, shop
    assert "showing 1 of 3: --offset 2 for the next page" in err
    code, out, _ = run(capsys, "affected", "found/Base", "--db", pinned_db, "--limit", "2")
    assert "3 product version(s) affected by model found/Base (showing 1-2 of 3)" in out


def test_a_product_100_models_deep_is_found_from_its_deepest_ancestor(
        tmp_path: Path, capsys: Any) -> None:
    """A real BOM from ``generate --max-depth 200`` over a 101-model chain: org/m100 is 100
    edges below the product's model (the old recursive walk stopped at 64)."""
    mirror = new_mirror(tmp_path / "mirror")
    for i in range(101):
        card = {"base_model": f"org/m{i + 1}"} if i < 100 else {"license": "mit"}
        add_model(mirror, f"org/m{i}", card=card)
    bom = tmp_path / "deep.json"
    assert main(["generate", "org/m0", "--hub-mirror", str(mirror), "--max-depth", "200",
                 "-q", "-o", str(bom)]) == 0
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", str(bom), "--product", "tower", "--db", url]) == 0
    capsys.readouterr()
    for depth in (64, 65, 100):
        code, out, _ = run(capsys, "affected", f"org/m{depth}", "--db", url, "--format",
                           "json", "--fail-if-affected")
        doc = json.loads(out)
        assert code == 1, depth
        (hit,) = doc["affected"]
        steps = [s["name"] for s in hit["paths"][0]["steps"]]
        assert steps == [f"org/m{i}" for i in range(depth + 1)]
