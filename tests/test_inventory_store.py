"""``mlbom inventory add/list/remove`` on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pgserver
import pytest
from inventory_boms import mlbom_bom, write_bom

from lineage.errors import InputError, ParseError, StoreError
from sbom.inventory.affected import find_affected
from sbom.inventory.ingest import MAX_BOM_BYTES
from sbom.inventory.store import open_store

db_url = pgserver.db_url  # both engines; starts PostgreSQL once per session
postgres_url = pgserver.postgres_url

BASE_SHA = "a" * 40
FT_SHA = "b" * 40

def _app_bom(app: str, base: str = "meta/Base") -> dict:
    return mlbom_bom(app, [(app, "finetune", "org/FT"), ("org/FT", "adapter", base)],
                     {app: "c" * 40, "org/FT": FT_SHA, base: BASE_SHA})


def test_add_then_list_shows_product_model_and_commit(db_url: str, tmp_path: Path) -> None:
    bom = write_bom(tmp_path, "app.json", _app_bom("acme/App"))
    with open_store(db_url) as store:
        result = store.add_boms([bom], "shop", "1.0")
        products = store.list_products()
    assert (result.product, result.version, result.boms, result.replaced) == (
        "shop", "1.0", 1, False)
    assert result.roots == ("model:acme/app",)
    assert [(p.product, p.version) for p in products] == [("shop", "1.0")]
    (record,) = products[0].boms
    assert (record.root_name, record.root_sha, record.nodes) == ("acme/App", "c" * 40, 3)


def test_readding_a_product_version_replaces_its_boms(db_url: str, tmp_path: Path) -> None:
    old = write_bom(tmp_path, "old.json", _app_bom("acme/App", base="meta/Base"))
    new = write_bom(tmp_path, "new.json", _app_bom("acme/App", base="other/Base"))
    with open_store(db_url) as store:
        store.add_boms([old], "shop", "1.0")
        store.add_boms([old], "shop", "2.0")
        second = store.add_boms([new], "shop", "1.0")
        assert second.replaced
        assert [(h.product, h.version) for h in find_affected(store, "meta/Base")] == [
            ("shop", "2.0")]
        assert [(h.product, h.version) for h in find_affected(store, "other/Base")] == [
            ("shop", "1.0")]
        assert [len(p.boms) for p in store.list_products()] == [1, 1]


def test_remove_one_version_or_every_version(db_url: str, tmp_path: Path) -> None:
    bom = write_bom(tmp_path, "app.json", _app_bom("acme/App"))
    with open_store(db_url) as store:
        for version in ("1", "2", "3"):
            store.add_boms([bom], "shop", version)
        store.add_boms([bom], "kiosk", "1")
        assert store.remove("shop", "2") == 1
        assert store.remove("shop", "9") == 0
        assert [(h.product, h.version) for h in find_affected(store, "meta/Base")] == [
            ("kiosk", "1"), ("shop", "1"), ("shop", "3")]
        assert store.remove("shop") == 2
        assert [p.product for p in store.list_products()] == ["kiosk"]


MALFORMED = {
    "not-json": (b"{not json", "not valid JSON"),
    "array": (b"[]", "top level is not a JSON object"),
    "not-cyclonedx": (json.dumps({"bomFormat": "SPDX"}).encode(), "bomFormat"),
    "components-object": (
        json.dumps({"bomFormat": "CycloneDX", "components": {"a": 1}}).encode(),
        "components is not a list",
    ),
    "bad-parent-property": (
        json.dumps({"bomFormat": "CycloneDX", "metadata": {"component": {
            "type": "machine-learning-model", "bom-ref": "model:a/b", "name": "a/b",
            "properties": [{"name": "mlbom:lineage:parent", "value": "finetune"}]}}}).encode(),
        "mlbom:lineage:parent",
    ),
    "duplicate-ref": (
        json.dumps({"bomFormat": "CycloneDX", "components": [
            {"type": "machine-learning-model", "bom-ref": "model:a/b", "name": "a/b"},
            {"type": "machine-learning-model", "bom-ref": "model:a/b", "name": "a/b"}]}).encode(),
        "used twice",
    ),
    "deep": (b'{"bomFormat": "CycloneDX", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
             "deeper than 64"),
    "no-components": (json.dumps({"bomFormat": "CycloneDX"}).encode(), "no components"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_bom_is_rejected_and_nothing_is_stored(
    db_url: str, tmp_path: Path, case: str
) -> None:
    data, problem = MALFORMED[case]
    good = write_bom(tmp_path, "good.json", _app_bom("acme/App"))
    bad = write_bom(tmp_path, "bad.json", data)
    with open_store(db_url) as store:
        store.add_boms([good], "shop", "1.0")
        with pytest.raises(ParseError) as err:
            store.add_boms([good, bad], "shop", "1.0")
        with pytest.raises(ParseError):
            store.add_boms([good, bad], "kiosk", "1.0")
        products = store.list_products()
        hits = find_affected(store, "meta/Base")
    message = str(err.value)
    assert "\n" not in message and str(bad) in message and problem in message
    # the earlier ingest of shop 1.0 is intact, kiosk was never half-stored
    assert [(p.product, p.version, len(p.boms)) for p in products] == [("shop", "1.0", 1)]
    assert [h.product for h in hits] == ["shop"]


def test_oversized_bom_is_rejected_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BOM_BYTES + 1)  # sparse: cheap to create
    with open_store(f"sqlite:///{tmp_path / 'inv.db'}") as store:
        with pytest.raises(ParseError, match="over the 64 MiB limit"):  # bom_reader's cap
            store.add_boms([big], "shop")
        assert store.list_products() == []


def _ingest_many(args: tuple[str, str, list[str], str]) -> int:
    url, folder, apps, product = args
    added = 0
    with open_store(url) as store:
        for app in apps:
            path = Path(folder) / f"{app.replace('/', '--')}.json"
            store.add_boms([path], product or app, "1")
            added += 1
    return added


def test_concurrent_ingests_from_several_processes_lose_nothing(
    db_url: str, tmp_path: Path
) -> None:
    apps = [f"acme/app-{i}" for i in range(60)]
    for app in apps:
        write_bom(tmp_path, f"{app.replace('/', '--')}.json", _app_bom(app))
    open_store(db_url).close()
    jobs = [(db_url, str(tmp_path), apps[i::4], "") for i in range(4)]
    # and four processes racing to (re)add the same product version
    jobs += [(db_url, str(tmp_path), apps[:5], "shared") for _ in range(4)]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        assert sum(pool.map(_ingest_many, jobs)) == 60 + 20
    with open_store(db_url) as store:
        products = store.list_products()
        hits = find_affected(store, "meta/Base")
    assert sorted(p.product for p in products) == sorted([*apps, "shared"])
    assert all(len(p.boms) == 1 for p in products)
    assert len(hits) == 61


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inv.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        open_store(f"sqlite:///{path}")


def test_unknown_database_urls_are_input_errors() -> None:
    with pytest.raises(InputError, match="sqlite:///PATH or postgresql://"):
        open_store("mysql://user:secret@host/db")
    with pytest.raises(InputError) as err:
        open_store("mysql://user:secret@host/db")
    assert "secret" not in str(err.value)


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError) as err:
        open_store("postgresql://user:hunter2@127.0.0.1:9/db?connect_timeout=2")
    assert "hunter2" not in str(err.value)
