"""Schema version 3 (issue 19): a version 2 store is migrated in place on both engines and
gives the same answers, with the indexes that make ``affected`` counts index-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pgserver
from inventory_boms import mlbom_bom, write_bom

from sbom.inventory.affected import query_affected
from sbom.inventory.render import render_answer
from sbom.inventory.schema import SCHEMA_VERSION
from sbom.inventory.store import open_store

postgres_url = pgserver.postgres_url

SHA = "0123456789abcdef0123456789abcdef01234567"
V2_ITEMS_KEY = "(repo, ns, product, version, product_id, bom_id, node)"


def _fill(db_url: str, tmp_path: Path) -> dict[str, str]:
    """Two products (one loads remote code); the JSON answers of four questions."""
    docs = {
        "shop": mlbom_bom("acme/Shop", [("acme/Shop", "finetune", "found/Base")],
                          {"found/Base": SHA}),
        "bot": mlbom_bom("acme/Bot", [("acme/Bot", "finetune", "found/Base"),
                                      ("found/Base", "remote_code", "code:vendor/Impl")]),
    }
    with open_store(db_url) as store:
        for name, doc in docs.items():
            store.add_boms([write_bom(tmp_path, f"{name}.json", doc)], name, "1.0")
        return _answers(db_url)


def _answers(db_url: str) -> dict[str, str]:
    with open_store(db_url, create=False) as store:
        return {item: render_answer(query_affected(store, item, limit=5), "json")
                for item in ("found/Base", f"found/Base@{SHA[:8]}", "vendor/Impl",
                             "acme/Shop")}


def test_a_version_2_sqlite_store_is_migrated_and_answers_the_same(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    before = _fill(url, tmp_path)
    with sqlite3.connect(tmp_path / "inv.db") as conn:  # back to what version 2 wrote
        conn.execute("DROP INDEX items_code")
        conn.execute("UPDATE schema_version SET version = 2")
    assert _answers(url) == before  # a reading command migrates
    with sqlite3.connect(tmp_path / "inv.db") as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)]
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'items_code'"
                            ).fetchall() == [("items_code",)]


def test_a_version_2_postgres_store_is_migrated_and_answers_the_same(
        postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    url = pgserver.fresh_schema_url(postgres_url)
    before = _fill(url, tmp_path)
    with psycopg.connect(url, autocommit=True) as conn:  # back to what version 2 wrote
        conn.execute("DROP INDEX items_code")
        conn.execute("ALTER TABLE items DROP CONSTRAINT items_pkey")
        conn.execute(f"ALTER TABLE items ADD PRIMARY KEY {V2_ITEMS_KEY}")
        conn.execute("UPDATE schema_version SET version = 2")
    assert _answers(url) == before
    with psycopg.connect(url, autocommit=True) as conn:
        (definition,) = conn.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = 'items'::regclass AND indisprimary").fetchone() or ("",)
        version = conn.execute("SELECT version FROM schema_version").fetchall()
    assert definition.endswith(f"{V2_ITEMS_KEY} INCLUDE (kind, sha)")
    assert version == [(SCHEMA_VERSION,)]
