"""A throw-away PostgreSQL server for the test session, from Debian's ``postgresql`` package.

``postgres_url`` (session fixture) runs ``initdb`` and ``pg_ctl`` from
``/usr/lib/postgresql/*/bin`` in a temporary folder, listening on a free loopback port, and
stops the server at the end of the session. As root (where initdb refuses to run) the server
runs as the ``postgres`` user via ``runuser``. When the binaries are absent the tests that
need PostgreSQL are skipped, except when the ``CI`` environment variable is set: there the
absence fails them, so CI can never pass without having run them.

``db_url`` (function fixture, parametrised ``sqlite`` / ``postgresql``) gives each test an
empty inventory: a fresh SQLite file, or a fresh schema on the shared server (selected with
``options=-csearch_path=...`` in the URL, so separate processes see the same schema).

Use in a test module::

    import pgserver
    db_url = pgserver.db_url
    postgres_url = pgserver.postgres_url
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_SERVER_USER = "postgres"
_DB_USER = "mlbom"


def _pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", _SERVER_USER, "--", *argv]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


class PostgresUnavailable(RuntimeError):
    """The binaries or the user to run them are missing."""


@contextmanager
def running_postgres(*, durable: bool = False) -> Iterator[str]:
    """Start a server in a temporary folder; yield its URL; stop it and delete the folder.

    ``durable=False`` (tests) turns fsync off; the benchmark passes ``durable=True`` to
    measure with PostgreSQL's default durability.
    """
    bindir = _pg_bin()
    if bindir is None:
        raise PostgresUnavailable("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="mlbom-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        try:
            entry = pwd.getpwnam(_SERVER_USER)
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(
                f"running as root and there is no {_SERVER_USER!r} user to run PostgreSQL"
            ) from None
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=50"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        subprocess.run(
            _as_server_user([
                str(bindir / "initdb"), "-D", str(data), "-U", _DB_USER, "-A", "trust",
                "--no-sync", "-E", "UTF8", "--locale", "C",
            ]),
            check=True, capture_output=True, timeout=120,
        )
        subprocess.run(
            _as_server_user([
                str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
                "-o", options, "-w", "-t", "60", "start",
            ]),
            check=True, capture_output=True, timeout=90,
        )
        yield f"postgresql://{_DB_USER}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True, timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://mlbom@127.0.0.1:<port>/postgres`` of a server started for the session."""
    try:
        with running_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        _missing(str(exc))


def fresh_schema_url(server_url: str) -> str:
    """A URL on ``server_url`` whose connections all use a new, empty schema."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{server_url}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty inventory on each engine, as the URL a user passes to ``--db``."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventory.db'}"
    return fresh_schema_url(request.getfixturevalue("postgres_url"))
