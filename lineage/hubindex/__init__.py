"""The Hub-wide lineage index: every model's parent links, to answer "what derives from X?"
across the whole Hub without paging it live.

Public API (what the CLI calls):

- ``build_index_from_file(db_url, path, progress) -> BuildStats``
- ``build_index_from_hub(db_url, endpoint, token, progress, limit=None) -> BuildStats``
- ``descendants(db_url, model_id, max_depth=None) -> list[IndexHit]``
- ``ancestors(db_url, model_id, max_depth=None) -> list[IndexHit]``
- ``index_gap(db_url) -> str | None``: why answers may be partial (an unfinished build)
- ``default_db_url()``

Rendering hits and drawing build progress are the CLI's: ``sbom.views.index_hits.render_hits``
and ``sbom.progress.rich_progress``.

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
from lineage.hubindex._query import IndexHit, ancestors, descendants, index_gap
from lineage.hubindex._store import default_db_url, parse_db_url

__all__ = [
    "BuildProgress", "BuildStats", "IndexHit", "NullProgress", "ancestors",
    "build_index_from_file", "build_index_from_hub", "default_db_url", "descendants",
    "index_gap", "parse_db_url",
]

