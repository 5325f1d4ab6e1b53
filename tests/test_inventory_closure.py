"""The stored closure stays right through adds, re-adds and removals (issue 19): on random
DAGs with diamonds and merges, ``affected`` equals a brute-force walk of the stored BOMs'
JSON, on SQLite and PostgreSQL. Also: a version 1 store is migrated, not lost."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pgserver
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventory_boms import mlbom_bom, write_bom

from sbom.inventory.affected import find_affected
from sbom.inventory.store import Store, open_store

db_url = pgserver.db_url
postgres_url = pgserver.postgres_url

RELATIONS = ("finetune", "adapter", "quantized", "merge")


@st.composite
def dags(draw: Any) -> dict[int, list[tuple[str, int]]]:
    """Models 0..n-1, each with parents among the higher numbers (so: acyclic), with merges
    (several parents) and therefore diamonds."""
    n = draw(st.integers(3, 12))
    parents: dict[int, list[tuple[str, int]]] = {}
    for i in range(n):
        later = list(range(i + 1, n))
        chosen = draw(st.lists(st.sampled_from(later), max_size=3, unique=True)) if later else []
        parents[i] = [(draw(st.sampled_from(RELATIONS)), p) for p in chosen]
    return parents


OPS = st.lists(st.tuples(st.sampled_from(["add", "add", "add", "remove-version", "remove"]),
                         st.sampled_from(["p", "q", "r"]), st.sampled_from(["1", "2"]),
                         st.integers(0, 11)), min_size=1, max_size=10)


def _lineage(dag: dict[int, list[tuple[str, int]]], root: int) -> list[tuple[str, str, str]]:
    edges, stack, seen = [], [root], {root}
    while stack:
        child = stack.pop()
        for relation, parent in dag[child]:
            edges.append((f"org/m{child}", relation, f"org/m{parent}"))
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return edges


def _brute_paths(doc: dict[str, Any], item_ref: str) -> set[tuple[str, ...]]:
    """Every path (names) from the BOM's root to ``item_ref``, read from the JSON."""
    parents: dict[str, list[str]] = {d["ref"]: d["dependsOn"] for d in doc["dependencies"]}
    names = {c["bom-ref"]: c["name"] for c in [doc["metadata"]["component"], *doc["components"]]}
    out: set[tuple[str, ...]] = set()

    def walk(ref: str, path: tuple[str, ...]) -> None:
        path = (*path, names[ref])
        if ref == item_ref:
            out.add(path)
        for parent in parents.get(ref, []):
            walk(parent, path)

    walk(doc["metadata"]["component"]["bom-ref"], ())
    return out


def _check(store: Store, stored: dict[tuple[str, str], dict[str, Any]], n: int) -> None:
    for m in range(n):
        item = f"org/m{m}"
        expected = {}
        for key, doc in stored.items():
            paths = _brute_paths(doc, f"model:{item}")
            if paths:
                expected[key] = paths
        hits = find_affected(store, item, max_paths=10_000)
        got = {(h.product, h.version): {tuple(s.name for s in p.steps) for p in h.paths}
               for h in hits}
        assert got == expected, item
        assert all(h.more_paths == 0 for h in hits)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(dag=dags(), ops=OPS)
def test_affected_equals_a_brute_force_walk_after_adds_replaces_and_removals(
        db_url: str, tmp_path: Path, dag: dict[int, list[tuple[str, int]]],
        ops: list[tuple[str, str, str, int]]) -> None:
    stored: dict[tuple[str, str], dict[str, Any]] = {}
    with open_store(db_url) as store:
        for record in store.list_products():
            store.remove(record.product)
        for op, product, version, root in ops:
            root %= len(dag)
            if op == "add":
                doc = mlbom_bom(f"org/m{root}", _lineage(dag, root))
                path = write_bom(tmp_path, f"{product}-{version}.json", doc)
                store.add_boms([path], product, version)
                stored[(product, version)] = doc
            elif op == "remove-version":
                store.remove(product, version)
                stored.pop((product, version), None)
            else:
                store.remove(product)
                stored = {k: v for k, v in stored.items() if k[0] != product}
        _check(store, stored, len(dag))


def test_a_batch_of_product_versions_is_one_transaction(db_url: str, tmp_path: Path) -> None:
    """``add_many`` stores every entry or none (a bad name fails the whole batch)."""
    from lineage.errors import InputError
    from sbom.inventory.ingest import parse_bom_file

    bom = parse_bom_file(write_bom(tmp_path, "a.json", mlbom_bom(
        "acme/A", [("acme/A", "finetune", "org/Base")])))
    with open_store(db_url) as store:
        with pytest.raises(InputError):
            store.add_many([([bom], "ok", "1"), ([bom], "bad\x01", "1")])
        assert store.list_products() == []
        results = store.add_many([([bom], f"p{i}", "1") for i in range(50)])
        assert [r.replaced for r in results] == [False] * 50
        assert len(find_affected(store, "org/Base")) == 50
        again = store.add_many([([bom], "p3", "1"), ([bom], "new", "1")])
        assert [r.replaced for r in again] == [True, False]
        assert len(find_affected(store, "org/Base")) == 51
    # a failure inside the write itself (the database refuses one product's row, after the
    # batch's earlier rows were sent) leaves nothing of the batch behind
    _refuse_product_rows_named(db_url, "refused")
    with open_store(db_url) as store:
        with pytest.raises(Exception, match="refused"):
            store.add_many([([bom], "before", "1"), ([bom], "refused", "1")])
        assert "before" not in {p.product for p in store.list_products()}


def _refuse_product_rows_named(db_url: str, name: str) -> None:
    """A trigger in the real database that aborts inserting a product called ``name``."""
    if db_url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
            conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON products WHEN NEW.product = "
                         f"'{name}' BEGIN SELECT RAISE(ABORT, '{name}'); END")
        return
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f"CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.product = "
                     f"'{name}' THEN RAISE EXCEPTION '{name}'; END IF; RETURN NEW; END $$ "
                     "LANGUAGE plpgsql")
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON products FOR EACH ROW "
                     "EXECUTE FUNCTION refuse()")


V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE products (id INTEGER PRIMARY KEY, product TEXT NOT NULL, version TEXT NOT NULL,
    ingested_at TEXT NOT NULL, UNIQUE (product, version));
CREATE TABLE boms (id INTEGER PRIMARY KEY, product_id BIGINT NOT NULL REFERENCES products (id)
    ON DELETE CASCADE, file TEXT NOT NULL, serial TEXT, root_ref TEXT NOT NULL,
    node_count INTEGER NOT NULL, edge_count INTEGER NOT NULL);
CREATE INDEX boms_product ON boms (product_id);
CREATE TABLE nodes (bom_id BIGINT NOT NULL REFERENCES boms (id) ON DELETE CASCADE,
    bom_ref TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, repo_id TEXT, sha TEXT,
    version TEXT, purl TEXT, PRIMARY KEY (bom_id, bom_ref));
CREATE INDEX nodes_repo ON nodes (repo_id, kind);
CREATE TABLE edges (bom_id BIGINT NOT NULL REFERENCES boms (id) ON DELETE CASCADE,
    child TEXT NOT NULL, parent TEXT NOT NULL, relation TEXT NOT NULL,
    PRIMARY KEY (bom_id, parent, child));
INSERT INTO products VALUES (1, 'shop', '1.0', '2026-01-01T00:00:00Z');
INSERT INTO boms VALUES (1, 1, 'shop.json', NULL, 'model:acme/shop', 3, 2);
INSERT INTO nodes VALUES (1, 'model:acme/shop', 'model', 'acme/Shop', 'acme/shop', NULL, NULL,
    NULL);
INSERT INTO nodes VALUES (1, 'model:org/mid', 'model', 'org/Mid', 'org/mid', NULL, NULL, NULL);
INSERT INTO nodes VALUES (1, 'model:found/base', 'model', 'found/Base', 'found/base',
    '0123456789abcdef0123456789abcdef01234567', NULL, NULL);
INSERT INTO edges VALUES (1, 'model:acme/shop', 'model:org/mid', 'finetune');
INSERT INTO edges VALUES (1, 'model:org/mid', 'model:found/base', 'adapter');
"""


def test_a_version_1_store_is_migrated_with_its_answers(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
    with open_store(f"sqlite:///{path}", create=False) as store:
        (hit,) = find_affected(store, "found/Base@0123456")
        assert [(s.name, s.relation) for s in hit.paths[0].steps] == [
            ("acme/Shop", "finetune"), ("org/Mid", "adapter"), ("found/Base", None)]
        (record,) = store.list_products()
        assert (record.boms[0].root_name, record.boms[0].nodes) == ("acme/Shop", 3)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "nodes" not in tables and "items" in tables
        assert json.loads(conn.execute("SELECT graph FROM boms").fetchone()[0])[0][0] == [
            "model:acme/shop", "acme/Shop"]


def test_reading_an_unset_up_postgres_database_creates_nothing(postgres_url: str) -> None:
    """A PostgreSQL schema nothing was stored in: empty, and still without tables after."""
    import uuid

    import psycopg

    schema = f"empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    with open_store(url, create=False) as store:
        assert not store.has_schema and store.bom_count() == 0
        assert store.list_products() == []
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = %s", (schema,)).fetchone()
    assert rows is not None and rows[0] == 0
