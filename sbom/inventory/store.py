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

from lineage.errors import InputError, StoreError
from sbom.inventory.ingest import ParsedBom, parse_bom_file
from sbom.inventory.schema import CREATE_VERSION_TABLE, SCHEMA_VERSION, migrations_after

DEFAULT_VERSION = "unversioned"
_RETRIES = 8
_SQLITE_BUSY_MS = 60_000
_MIGRATION_LOCK = 0x6D6C626F6D  # "mlbom": PostgreSQL advisory lock key for migrations

T = TypeVar("T")


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
        return StoreError(f"inventory {self.url}: {' '.join(str(exc).split())}")

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

    def query(self, text: str, params: Sequence[Any]) -> list[Any]:
        """One read-only statement; returns all rows."""

        def work(cur: _Cursor) -> list[Any]:
            cur.execute(self.sql(text), params)
            return cur.fetchall()

        return self.run(work, write=False)

    def _migrate(self) -> None:
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
                    cur.execute(stmt)
                cur.execute("DELETE FROM schema_version")
                cur.execute(self.sql("INSERT INTO schema_version (version) VALUES (?)"),
                            (version,))

        self.run(work)

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
        self, boms: Sequence[ParsedBom], product: str, version: str = DEFAULT_VERSION
    ) -> AddResult:
        """Store already parsed BOMs (see ``add_boms``)."""
        product, version = _check_name(product, "product"), _check_name(version, "version")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        upsert = self.sql(
            "INSERT INTO products (product, version, ingested_at) VALUES (?, ?, ?) "
            "ON CONFLICT (product, version) DO UPDATE SET ingested_at = excluded.ingested_at "
            "RETURNING id"
        )
        delete = self.sql("DELETE FROM boms WHERE product_id = ?")
        add_bom = self.sql(
            "INSERT INTO boms (product_id, file, serial, root_ref, node_count, edge_count) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"
        )
        add_node = self.sql(
            "INSERT INTO nodes (bom_id, bom_ref, kind, name, repo_id, sha, version, purl) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )
        add_edge = self.sql(
            "INSERT INTO edges (bom_id, child, parent, relation) VALUES (?, ?, ?, ?)"
        )

        def work(cur: _Cursor) -> bool:
            cur.execute(upsert, (product, version, now))
            product_id = cur.fetchone()[0]
            cur.execute(delete, (product_id,))
            replaced = cur.rowcount > 0
            for bom in boms:
                cur.execute(add_bom, (product_id, bom.file, bom.serial, bom.root_ref,
                                      len(bom.nodes), len(bom.edges)))
                bom_id = cur.fetchone()[0]
                cur.executemany(add_node, [
                    (bom_id, n.bom_ref, n.kind, n.name, n.repo_id, n.sha, n.version, n.purl)
                    for n in bom.nodes
                ])
                if bom.edges:
                    cur.executemany(add_edge, [
                        (bom_id, e.child, e.parent, e.relation) for e in bom.edges
                    ])
            return replaced

        replaced = self.run(work)
        return AddResult(
            product=product,
            version=version,
            boms=len(boms),
            nodes=sum(len(b.nodes) for b in boms),
            edges=sum(len(b.edges) for b in boms),
            replaced=replaced,
            roots=tuple(b.root_ref for b in boms),
            dropped_cycle_edges=sum(b.dropped_cycle_edges for b in boms),
        )

    def list_products(self, product: str | None = None) -> list[ProductRecord]:
        """Every stored product version (or those of ``product``), sorted by name and version."""
        rows = self.query(
            "SELECT p.product, p.version, p.ingested_at, b.file, b.serial, b.root_ref, "
            "n.name, n.sha, b.node_count "
            "FROM products p JOIN boms b ON b.product_id = p.id "
            "LEFT JOIN nodes n ON n.bom_id = b.id AND n.bom_ref = b.root_ref "
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

        def work(cur: _Cursor) -> int:
            cur.execute(self.sql(text), (product, version or "", version or ""))
            return max(cur.rowcount, 0)

        return self.run(work)


def _check_name(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > 512 or re.search(r"[\x00-\x1f\x7f]", value):
        raise InputError(f"invalid {what} name {value[:80]!r}: 1-512 printable characters")
    return value


class SqliteStore(Store):
    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__(f"sqlite:///{path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, timeout=_SQLITE_BUSY_MS / 1000,
                check_same_thread=False,
            )
            for pragma in (
                "journal_mode = WAL",
                # WAL with synchronous NORMAL never corrupts; a power cut may lose the last
                # commits, which a re-run of ``inventory add`` restores.
                "synchronous = NORMAL",
                f"busy_timeout = {_SQLITE_BUSY_MS}",
                "foreign_keys = ON",
                "cache_size = -65536",  # 64 MiB: the walk of a popular foundation stays hot
            ):
                self.conn.execute(f"PRAGMA {pragma}")
        except (OSError, sqlite3.Error) as exc:
            raise self._wrap(exc) from exc
        self._migrate()

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

    def __init__(self, url: str) -> None:
        import psycopg

        super().__init__(_redact(url))
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=15)
        except psycopg.Error as exc:
            raise self._wrap(exc) from exc
        self._migrate()

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

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

    def _wrap(self, exc: BaseException) -> StoreError:
        text = " ".join(str(exc).split())
        return StoreError(f"inventory {self.url}: {text}")

    def close(self) -> None:
        self.conn.close()


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("mlbom", appauthor=False)) / "inventory.db"


def open_store(db_url: str | None = None) -> Store:
    """Open (creating and migrating as needed) the inventory at ``db_url``.

    ``None`` → the SQLite file in the user data dir; ``sqlite:///relative/path`` or
    ``sqlite:////absolute/path``; ``postgresql://user@host:port/db`` (``postgres://`` too).
    """
    if db_url is None:
        return SqliteStore(default_db_path())
    if db_url.startswith("sqlite:///"):
        rest = db_url[len("sqlite:///"):]
        if not rest:
            raise InputError("sqlite URL names no file: use sqlite:///PATH")
        return SqliteStore(Path(rest).expanduser())
    if db_url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(db_url)
    raise InputError(
        f"unsupported inventory URL {_redact(db_url)!r}: use sqlite:///PATH or "
        "postgresql://USER@HOST/DB"
    )


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
