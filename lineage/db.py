"""The one way mlbom opens a database and tells database errors apart, for the product
inventory (``sbom.inventory.store``) and the Hub-wide index (``lineage.hubindex``).

``lineage.dburl`` parses ``--db``; this module connects: SQLite files (the folder created on
request, pragmas run on the new connection) and PostgreSQL through psycopg 3 with a connect
timeout, so an unreachable server is an error after 15 s, not a hang. ``database_errors()``
is the tuple of real exception classes of the engines in use, for ``except`` clauses;
``store_error`` turns one of them into a one-line ``StoreError``. Which tables a store holds
and how it queries them stay with the store.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lineage.errors import StoreError

PG_CONNECT_TIMEOUT_S = 15


def database_errors(*also: type[Exception]) -> tuple[type[Exception], ...]:
    """``sqlite3.Error``, and ``psycopg.Error`` once psycopg is loaded (a psycopg error cannot
    happen before psycopg is imported, so a SQLite-only run never imports it), then ``also``
    (``OSError`` where a file is opened)."""
    psycopg = sys.modules.get("psycopg")
    engines: tuple[type[Exception], ...] = (
        (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error))
    return (*engines, *also)


def store_error(where: str, exc: BaseException) -> StoreError:
    """``StoreError("<where>: <the engine's message on one line>")``."""
    return StoreError(f"{where}: {' '.join(str(exc).split())}")


def connect_sqlite(path: Path, *, create: bool, pragmas: Sequence[str] = (),
                   **connect_args: Any) -> sqlite3.Connection:
    """A connection to the SQLite file ``path`` (its folder made first when ``create``), with
    ``PRAGMA``s run. Raises ``OSError`` or ``sqlite3.Error``; the caller words the message."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn: sqlite3.Connection = sqlite3.connect(str(path), **connect_args)
    try:
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def connect_postgresql(url: str, **connect_args: Any) -> Any:
    """A psycopg 3 connection to ``url`` (connect timeout ``PG_CONNECT_TIMEOUT_S``). Raises
    ``psycopg.Error``; the caller words the message (``lineage.dburl.redact_db_url``)."""
    import psycopg

    connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    return psycopg.connect(url, **connect_args)
