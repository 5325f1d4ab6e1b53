"""The one parser of ``--db`` values, for the product inventory and the Hub-wide index.

Accepted: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, a bare file path
(only where the caller allows it), and ``postgresql://…`` / ``postgres://…`` (handed to psycopg
as written). Anything else is an ``InputError`` whose message never shows a password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lineage.errors import InputError

_PASSWORD = re.compile(r"(://[^:/@]*):[^@/]*@")


@dataclass(frozen=True)
class DbTarget:
    """A parsed ``--db`` value: the engine, the URL as given, and the SQLite file."""

    kind: Literal["sqlite", "postgresql"]
    url: str
    path: Path | None = None

    @property
    def display(self) -> str:
        """The target for messages, without any password."""
        if self.path is not None:
            return str(self.path)
        return redact_db_url(self.url)


def redact_db_url(url: str) -> str:
    """``url`` with the password of its userinfo replaced by ``***``."""
    return _PASSWORD.sub(r"\1:***@", url)


def parse_db_url(url: str, *, bare_paths: bool = True) -> DbTarget:
    """Parse one ``--db`` value (see the module docstring). ``bare_paths=False`` refuses a
    plain file path, for callers whose users must say ``sqlite:///``."""
    if url.startswith(("postgresql://", "postgres://")):
        return DbTarget("postgresql", url)
    if url.startswith("sqlite:///"):
        rest = url[len("sqlite:///"):]
        if not rest:
            raise InputError("sqlite URL names no file: use sqlite:///PATH")
        return DbTarget("sqlite", url, Path(rest).expanduser())
    if not bare_paths or "://" in url or url.startswith("sqlite:"):
        scheme = url.split(":")[0] if ":" in url else url
        raise InputError(f"unsupported database URL {redact_db_url(scheme)[:80]!r}: use "
                         "sqlite:///PATH or postgresql://USER@HOST/DB")
    return DbTarget("sqlite", "sqlite:///" + url, Path(url).expanduser())
