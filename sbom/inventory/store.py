"""The inventory store: which product versions ship which model lineages.

``open_store(None)`` opens the SQLite file ``<user data dir>/mlbom/inventory.db``;
``open_store("sqlite:///path")`` another SQLite file; ``open_store("postgresql://...")`` a
shared PostgreSQL database (psycopg 3). Both hold the schema in ``schema.py``, created and
migrated on open.

What callers may rely on:

- ``add_boms`` parses every BOM before it writes anything, then stores the product version in
  one transaction: a malformed BOM raises ``ParseError`` (nothing stored), and re-adding a
  product version replaces its BOMs atomically (readers see the old set or the new one).
- Several processes may ingest at once and nothing is lost: SQLite runs in WAL mode with a
  busy timeout and takes the write lock at ``BEGIN IMMEDIATE``; PostgreSQL transactions are
  retried on serialization failures and deadlocks.
- Database failures raise ``StoreError`` with a one-line message (credentials never shown).
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from lineage.db import connect_postgresql, connect_sqlite, store_error
from lineage.dburl import parse_db_url, redact_db_url
from lineage.errors import InputError, StoreError
from sbom.inventory.closure import PreparedBom, bom_rows, prepare
from sbom.inventory.ingest import ParsedBom, StoredEdge, StoredNode, parse_bom_file
from sbom.inventory.schema import (
    CONVERT_V1,
    CREATE_VERSION_TABLE,
    SCHEMA_VERSION,
    migrations_after,
)

DEFAULT_VERSION = "unversioned"
_RETRIES = 8
_SQLITE_BUSY_MS = 60_000
_MIGRATION_LOCK = 0x6D6C626F6D  # "mlbom": PostgreSQL advisory lock key for migrations

T = TypeVar("T")
_ITEM_COLUMNS = ("repo", "ns", "product", "version", "product_id", "bom_id", "node", "kind",
                 "sha", "paths")


@dataclass(frozen=True)
class AddResult:
    product: str
    version: str
    boms: int
    nodes: int
    edges: int
    replaced: bool  # the product version existed and its BOMs were replaced
    roots: tuple[str, ...]  # bom-ref of the model each BOM describes
    dropped_cycle_edges: int = 0


@dataclass(frozen=True)
class BomRecord:
    file: str
    serial: str | None
    root_ref: str
    root_name: str
    root_sha: str | None
    nodes: int


@dataclass(frozen=True)
class ProductRecord:
    product: str
    version: str
    ingested_at: str
    boms: tuple[BomRecord, ...]


class _Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...
    @property
    def rowcount(self) -> int: ...


class Store:
    """A connection to one inventory database. Not thread-safe: one per thread or process."""

    engine: str = "sqlite"

    has_schema = True  # False: a reading command opened a store nothing was ever written to
    _reader: _Cursor | None = None  # the cursor of an open ``reading()`` block

    def __init__(self, url: str) -> None:
        self.url = url  # with any password removed

    # -- engine hooks ------------------------------------------------------------------------
    @contextmanager
    def _transaction(self, write: bool) -> Iterator[_Cursor]:
        raise NotImplementedError
        yield

    def _retryable(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def _wrap(self, exc: BaseException) -> StoreError:
        return store_error(f"inventory {self.url}", exc)

    def sql(self, text: str) -> str:
        """The engine's form of a query written with ``?`` placeholders."""
        return text

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running -----------------------------------------------------------------------------
    def run(self, work: Callable[[_Cursor], T], *, write: bool = True) -> T:
        """Run ``work`` in one transaction, retrying it when the engine says it may."""
        for attempt in range(_RETRIES):
            try:
                with self._transaction(write) as cur:
                    return work(cur)
            except (InputError, StoreError):
                raise
            except Exception as exc:
                if attempt + 1 < _RETRIES and self._retryable(exc):
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                    continue
                raise self._wrap(exc) from exc
        raise StoreError(f"inventory {self.url}: gave up after {_RETRIES} attempts")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run every ``query`` in the block in ONE read transaction: one snapshot (totals and
        pages agree while others ingest) and no BEGIN/COMMIT round trips per statement."""
        if self._reader is not None:
            yield
            return
        try:
            with self._transaction(False) as cur:
                self._reader = cur
                try:
                    yield
                finally:
                    self._reader = None
        except (InputError, StoreError):
            raise
        except Exception as exc:
            raise self._wrap(exc) from exc

    def query(self, text: str, params: Sequence[Any]) -> list[Any]:
        """One read-only statement; returns all rows."""
        if self._reader is not None:
            self._reader.execute(self.sql(text), params)
            return list(self._reader.fetchall())

        def work(cur: _Cursor) -> list[Any]:
            cur.execute(self.sql(text), params)
            return cur.fetchall()

        return self.run(work, write=False)

    def _migrate(self, create: bool) -> None:
        """Bring the schema to ``SCHEMA_VERSION``. ``create=False`` (reading commands) never
        creates tables in a store that has none: ``has_schema`` is then False."""
        self.has_schema = create or self._schema_exists()
        if not self.has_schema:
            return

        def work(cur: _Cursor) -> None:
            self._lock_for_migration(cur)
            cur.execute(CREATE_VERSION_TABLE)
            cur.execute("SELECT max(version) FROM schema_version")
            current = cur.fetchone()[0] or 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"inventory {self.url}: schema version {current} is newer than this "
                    f"mlbom understands ({SCHEMA_VERSION}); upgrade mlbom"
                )
            for version, statements in migrations_after(current, self.engine):
                for stmt in statements:
                    if stmt == CONVERT_V1:
                        self._convert_v1(cur)
                    else:
                        cur.execute(stmt)
                cur.execute("DELETE FROM schema_version")
                cur.execute(self.sql("INSERT INTO schema_version (version) VALUES (?)"),
                            (version,))

        self.run(work)

    def _schema_exists(self) -> bool:
        raise NotImplementedError

    def _convert_v1(self, cur: _Cursor) -> None:
        """Fill version 2's graph, root and closure columns from version 1's node and edge
        rows, one BOM at a time (the BOM files may be gone: the rows are all there is)."""
        cur.execute("SELECT b.id, b.product_id, b.file, b.serial, b.root_ref, p.product, "
                    "p.version FROM boms b JOIN products p ON p.id = b.product_id ORDER BY b.id")
        boms = cur.fetchall()
        for bom_id, product_id, file, serial, root_ref, product, version in boms:
            cur.execute(self.sql("SELECT bom_ref, kind, name, repo_id, sha, version, purl "
                                 "FROM nodes WHERE bom_id = ?"), (bom_id,))
            nodes = tuple(StoredNode(*row) for row in cur.fetchall())
            cur.execute(self.sql("SELECT child, parent, relation FROM edges WHERE bom_id = ?"),
                        (bom_id,))
            edges = tuple(StoredEdge(*row) for row in cur.fetchall())
            br = bom_rows(ParsedBom(file, serial, root_ref, nodes, edges))
            cur.execute(self.sql("UPDATE boms SET root_name = ?, root_sha = ?, graph = ? "
                                 "WHERE id = ?"), (br.root_name, br.root_sha, br.graph, bom_id))
            repo_ids = self._repo_ids(cur, br.names)
            self._bulk(cur, "items", _ITEM_COLUMNS,
                       [_item_row(repo_ids[k], product, version, product_id, bom_id, node,
                                  kind, sha, paths)
                        for k, kind, node, sha, paths in br.items])

    def _lock_for_migration(self, cur: _Cursor) -> None:
        """Serialise concurrent first opens (SQLite's BEGIN IMMEDIATE already does)."""

    # -- public API --------------------------------------------------------------------------
    def add_boms(
        self, paths: Sequence[str | os.PathLike[str]], product: str,
        version: str = DEFAULT_VERSION,
    ) -> AddResult:
        """Parse the BOMs at ``paths`` and store them as ``product`` ``version``, replacing
        whatever that product version held before."""
        if not paths:
            raise InputError("no BOM files given")
        return self.add_parsed([parse_bom_file(p) for p in paths], product, version)

    def add_parsed(
        self, boms: Sequence[ParsedBom | PreparedBom], product: str,
        version: str = DEFAULT_VERSION,
    ) -> AddResult:
        """Store already parsed BOMs (see ``add_boms``)."""
        return self.add_many([(boms, product, version)])[0]

    def add_many(
        self, entries: Sequence[tuple[Sequence[ParsedBom | PreparedBom], str, str]]
    ) -> list[AddResult]:
        """Store several product versions in ONE transaction (one durable commit covers them
        all: after a crash either every one of them is stored or none is). Each entry is
        ``(parsed BOMs, product, version)`` and replaces what that version held before; a
        product version given twice holds the BOMs of both entries."""
        checked = [
            ([prepare(bom) for bom in b], check_name(p, "product"), check_name(v, "version"))
            for b, p, v in entries
        ]
        if any(not b for b, _, _ in checked):
            raise InputError("no BOM files given")
        product_ids, replaced = self.run(lambda cur: self._write(cur, checked))
        return [
            AddResult(
                product=product, version=version, boms=len(boms),
                nodes=sum(b.nodes for b in boms), edges=sum(b.edges for b in boms),
                replaced=product_id in replaced, roots=tuple(b.root_ref for b in boms),
                dropped_cycle_edges=sum(b.dropped_cycle_edges for b in boms),
            )
            for (boms, product, version), product_id in zip(checked, product_ids, strict=True)
        ]

    def _write(
        self, cur: _Cursor, entries: Sequence[tuple[list[PreparedBom], str, str]]
    ) -> tuple[list[int], set[int]]:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        ids = self._upsert_products(cur, list(dict.fromkeys((p, v) for _, p, v in entries)), now)
        product_ids = [ids[(product, version)] for _, product, version in entries]
        cur.execute(self.sql(f"DELETE FROM boms WHERE {self.in_ids('product_id')} "
                             "RETURNING product_id"), (self.ids_param(product_ids),))
        replaced = {int(r[0]) for r in cur.fetchall()}
        repo_ids = self._repo_ids(
            cur, {k: n for b, _, _ in entries for bom in b for k, n in bom.rows.names.items()})
        flat = [(product_id, product, version, bom)
                for product_id, (boms, product, version) in zip(product_ids, entries, strict=True)
                for bom in boms]
        bom_ids = self._insert_boms(cur, [
            (product_id, b.file, b.serial, b.root_ref, b.nodes, b.edges, b.rows.root_name,
             b.rows.root_sha, b.rows.graph, b.unresolved) for product_id, _, _, b in flat])
        items = [
            _item_row(repo_ids[key], product, version, product_id, bom_id, node, kind, sha, paths)
            for (product_id, product, version, b), bom_id in zip(flat, bom_ids, strict=True)
            for key, kind, node, sha, paths in b.rows.items
        ]
        # written in key order: on PostgreSQL one repo's rows of a batch then share heap
        # pages, so reading a foundation's rows visits a page per batch, not one per row
        items.sort(key=_item_key)
        self._bulk(cur, "items", _ITEM_COLUMNS, items)
        return product_ids, replaced

    def _upsert_products(
        self, cur: _Cursor, pairs: Sequence[tuple[str, str]], now: str
    ) -> dict[tuple[str, str], int]:
        """The id of each distinct (product, version), created or touched, in one statement
        (engine hook)."""
        cur.execute(
            "INSERT INTO products (product, version, ingested_at) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? "
            "FROM json_each(?) WHERE true "
            "ON CONFLICT (product, version) DO UPDATE SET ingested_at = excluded.ingested_at "
            "RETURNING id, product, version", (now, json.dumps(pairs)))
        return {(str(p), str(v)): int(i) for i, p, v in cur.fetchall()}

    _BOM_COLUMNS = ("product_id", "file", "serial", "root_ref", "node_count", "edge_count",
                    "root_name", "root_sha", "graph", "unresolved")

    def _insert_boms(self, cur: _Cursor, lines: Sequence[tuple[Any, ...]]) -> list[int]:
        """Insert ``boms`` rows; return their ids in order (engine hook). SQLite: the write
        transaction holds the database's write lock (``BEGIN IMMEDIATE``), so the ids after
        the largest one are this transaction's to give, in one ``executemany``."""
        cur.execute("SELECT coalesce(max(id), 0) FROM boms")
        first = int(cur.fetchone()[0]) + 1
        ids = list(range(first, first + len(lines)))
        self._bulk(cur, "boms", ("id", *self._BOM_COLUMNS),
                   [(i, *line) for i, line in zip(ids, lines, strict=True)])
        return ids

    def _bulk(self, cur: _Cursor, table: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows (engine hook: PostgreSQL uses COPY)."""
        if rows:
            cur.executemany(self.sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                     f"({', '.join('?' * len(columns))})"), rows)

    def _repo_ids(self, cur: _Cursor, keys: dict[str, str]) -> dict[str, int]:
        """The integer id of every repo key (mapped to its spelling), creating missing ones."""
        out: dict[str, int] = {}
        wanted = sorted(keys)
        for attempt in range(2):
            missing = [k for k in wanted if k not in out]
            for start in range(0, len(missing), 5000):
                chunk = missing[start:start + 5000]
                cur.execute(self.sql(f"SELECT id, key FROM repos WHERE {self.in_keys('key')}"),
                            (self.ids_param(chunk),))
                out.update((str(k), int(i)) for i, k in cur.fetchall())
            missing = [k for k in wanted if k not in out]
            if not missing or attempt:
                break
            cur.executemany(
                self.sql("INSERT INTO repos (key, name) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                [(k, keys[k]) for k in missing])
        return out

    def in_ids(self, column: str) -> str:
        """``column`` is one of the values passed as one parameter (see ``ids_param``)."""
        return f"{column} IN (SELECT value FROM json_each(?))"

    in_keys = in_ids

    def ids_param(self, values: Sequence[Any]) -> Any:
        return json.dumps(list(values))

    def bom_count(self) -> int:
        """How many BOMs the store holds (0 for an empty or never-written store)."""
        if not self.has_schema:
            return 0
        return int(self.query("SELECT count(*) FROM boms", ())[0][0])

    def list_products(self, product: str | None = None) -> list[ProductRecord]:
        """Every stored product version (or those of ``product``), sorted by name and version."""
        if not self.has_schema:
            return []
        rows = self.query(
            "SELECT p.product, p.version, p.ingested_at, b.file, b.serial, b.root_ref, "
            "b.root_name, b.root_sha, b.node_count "
            "FROM products p JOIN boms b ON b.product_id = p.id "
            "WHERE p.product = ? OR ? = '' "
            "ORDER BY p.product, p.version, b.id",
            (product or "", product or ""),
        )
        grouped: dict[tuple[str, str], tuple[str, list[BomRecord]]] = {}
        for prod, ver, at, file, serial, root_ref, name, sha, count in rows:
            entry = grouped.setdefault((prod, ver), (at, []))
            entry[1].append(BomRecord(file, serial, root_ref, name or root_ref, sha, count))
        return [
            ProductRecord(prod, ver, at, tuple(boms))
            for (prod, ver), (at, boms) in grouped.items()
        ]

    def remove(self, product: str, version: str | None = None) -> int:
        """Remove ``product`` (one version, or all when ``version`` is None); return how many
        product versions were removed (0 when none matched)."""
        text = "DELETE FROM products WHERE product = ? AND (version = ? OR ? = '')"
        if not self.has_schema:
            return 0

        def work(cur: _Cursor) -> int:
            cur.execute(self.sql(text), (product, version or "", version or ""))
            return max(cur.rowcount, 0)

        return self.run(work)


def _item_row(repo: int, product: str, version: str, product_id: int, bom_id: int, node: int,
              kind: str, sha: str | None, paths: str) -> tuple[Any, ...]:
    """An ``items`` row (columns ``_ITEM_COLUMNS``); ``ns`` is the kind's Hub namespace."""
    ns = "dataset" if kind == "dataset" else "model"
    return (repo, ns, product, version, product_id, bom_id, node, kind, sha, paths)


def _item_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An ``items`` row's primary key (its first seven columns)."""
    return row[:7]


def check_name(value: str, what: str) -> str:
    """A product or version name, stripped; ``InputError`` unless 1-512 printable characters."""
    value = value.strip()
    if not value or len(value) > 512 or re.search(r"[\x00-\x1f\x7f]", value):
        raise InputError(f"invalid {what} name {value[:80]!r}: 1-512 printable characters")
    return value


class SqliteStore(Store):
    engine = "sqlite"

    def __init__(self, path: Path, *, create: bool = True) -> None:
        super().__init__(f"sqlite:///{path}")
        if not create and not path.is_file():
            raise InputError(
                f"no inventory at {path}: the file does not exist (reading commands never "
                "create one; check --db, or store BOMs first with `mlbom inventory add`)"
            )
        try:
            self.conn = connect_sqlite(
                path, create=create, isolation_level=None, timeout=_SQLITE_BUSY_MS / 1000,
                check_same_thread=False, pragmas=(
                    "journal_mode = WAL",
                    # Every commit is durable when it returns (an fsync of the WAL per commit):
                    # ``inventory add`` commits once per call, ``add_many`` once per batch.
                    "synchronous = FULL",
                    f"busy_timeout = {_SQLITE_BUSY_MS}",
                    "foreign_keys = ON",
                    "cache_size = -65536",  # 64 MiB: the walk of a popular foundation stays hot
                ))
        except (OSError, sqlite3.Error) as exc:
            raise self._wrap(exc) from exc
        self._migrate(create)

    def _schema_exists(self) -> bool:
        rows = self.query("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'", ())
        return bool(rows[0][0])

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[_Cursor]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield cur
        except BaseException:
            with suppress(sqlite3.Error):
                cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def _retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

    def close(self) -> None:
        self.conn.close()


class PostgresStore(Store):
    engine = "postgresql"

    def __init__(self, url: str, *, create: bool = True) -> None:
        import psycopg

        super().__init__(redact_db_url(url))
        self._psycopg = psycopg
        try:
            self.conn = connect_postgresql(url, autocommit=True, prepare_threshold=0)
        except psycopg.Error as exc:
            raise self._wrap(exc) from exc
        self._migrate(create)

    def _schema_exists(self) -> bool:
        rows = self.query("SELECT to_regclass('schema_version') IS NOT NULL", ())
        return bool(rows[0][0])

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def in_ids(self, column: str) -> str:
        return f"{column} = ANY(?)"

    in_keys = in_ids

    def ids_param(self, values: Sequence[Any]) -> Any:
        return list(values)

    def _upsert_products(
        self, cur: _Cursor, pairs: Sequence[tuple[str, str]], now: str
    ) -> dict[tuple[str, str], int]:
        cur.execute(
            "INSERT INTO products (product, version, ingested_at) "
            "SELECT product, version, %s FROM unnest(%s::text[], %s::text[]) "
            "AS u (product, version) "
            "ON CONFLICT (product, version) DO UPDATE SET ingested_at = excluded.ingested_at "
            "RETURNING id, product, version",
            (now, [p for p, _ in pairs], [v for _, v in pairs]))
        return {(str(p), str(v)): int(i) for i, p, v in cur.fetchall()}

    def _insert_boms(self, cur: _Cursor, lines: Sequence[tuple[Any, ...]]) -> list[int]:
        """Ids from the identity's sequence in one round trip, then one COPY."""
        cur.execute("SELECT nextval(pg_get_serial_sequence('boms', 'id')) "
                    "FROM generate_series(1, %s)", (len(lines),))
        ids = [int(r[0]) for r in cur.fetchall()]
        self._bulk(cur, "boms", ("id", *self._BOM_COLUMNS),
                   [(i, *line) for i, line in zip(ids, lines, strict=True)])
        return ids

    def _bulk(self, cur: _Cursor, table: str, columns: Sequence[str],
              rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[_Cursor]:
        with self.conn.transaction(), self.conn.cursor() as cur:
            yield cur

    def _lock_for_migration(self, cur: _Cursor) -> None:
        cur.execute(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")

    def _retryable(self, exc: BaseException) -> bool:
        errors = self._psycopg.errors
        return isinstance(
            exc, (errors.SerializationFailure, errors.DeadlockDetected, errors.UniqueViolation)
        )

    def close(self) -> None:
        self.conn.close()


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("mlbom", appauthor=False)) / "inventory.db"


def open_store(db_url: str | None = None, *, create: bool = True) -> Store:
    """Open (migrating as needed) the inventory at ``db_url``.

    ``None`` → the SQLite file in the user data dir; ``sqlite:///relative/path`` or
    ``sqlite:////absolute/path``; ``postgresql://user@host:port/db`` (``postgres://`` too),
    parsed by ``lineage.dburl``. ``create=False`` is for reading commands: a SQLite file that
    does not exist is an ``InputError`` naming the path, and a database without the schema is
    opened as an empty store (``has_schema`` False) without creating anything.
    """
    if db_url is None:
        return SqliteStore(default_db_path(), create=create)
    target = parse_db_url(db_url, bare_paths=False)
    if target.path is not None:
        return SqliteStore(target.path, create=create)
    return PostgresStore(target.url, create=create)
