"""The Hub-wide lineage index: every model's parent links, to answer "what derives from X?"
across the whole Hub without paging it live.

Public API (what the CLI calls):

- ``build_index_from_file(db_url, path, progress) -> BuildStats``
- ``build_index_from_hub(db_url, endpoint, token, progress, limit=None) -> BuildStats``
- ``descendants(db_url, model_id, max_depth=None) -> list[IndexHit]``
- ``ancestors(db_url, model_id, max_depth=None) -> list[IndexHit]``
- ``render_hits(hits, model_id=..., direction=..., fmt="table"|"json") -> str``
- ``rich_progress()`` (a ``BuildProgress`` for a terminal), ``default_db_url()``

``db_url`` is ``sqlite:///path``, a file path, ``postgresql://…``, or None for the default
SQLite file in the user data dir.
"""

from __future__ import annotations

from lineage.hubindex._build import (
    BuildProgress,
    BuildStats,
    NullProgress,
    build_index_from_file,
    build_index_from_hub,
)
from lineage.hubindex._query import IndexHit, ancestors, descendants
from lineage.hubindex._store import default_db_url, parse_db_url
from lineage.hubindex.progress import RichProgress, rich_progress
from lineage.hubindex.render import render_hits

__all__ = [
    "BuildProgress", "BuildStats", "IndexHit", "NullProgress", "RichProgress", "ancestors",
    "build_index_from_file", "build_index_from_hub", "default_db_url", "descendants",
    "parse_db_url", "render_hits", "rich_progress",
]
