"""The Hub-wide lineage index: every model's parent links, to answer "what derives from X?"
across the whole Hub without paging it live.

Public API (what the CLI calls):

- ``build_index_from_file(db_url, path, progress) -> BuildStats``
- ``build_index_from_hub(db_url, endpoint, token, progress, limit=None) -> BuildStats``
- ``descendants(db_url, model_id, max_depth=None) -> list[IndexHit]``
- ``ancestors(db_url, model_id, max_depth=None) -> list[IndexHit]``
- ``index_gap(db_url) -> str | None``: why answers may be partial (an unfinished build)
- ``same_fingerprint(db_url, model_or_fingerprint) -> FingerprintMatches``
- ``indexed_foundations(db_url, fingerprints) -> dict[str, FingerprintMatches]``
- ``meta_fingerprint(model_type, architecture, params)`` / ``listing_fingerprint(record)``:
  what a fingerprint is, and what it can and cannot tell, is in ``_fingerprint``
- ``default_db_url()``, ``describe_index(db_url)`` (raises ``StoreError`` for a missing or
  old-schema index)

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
from lineage.hubindex._fingerprint import (
    FINGERPRINT_PREFIX,
    listing_fingerprint,
    meta_fingerprint,
)
from lineage.hubindex._query import (
    FingerprintHit,
    FingerprintMatches,
    IndexHit,
    ancestors,
    descendants,
    index_gap,
    indexed_foundations,
    same_fingerprint,
)
from lineage.hubindex._store import default_db_url, describe_index, parse_db_url

__all__ = [
    "FINGERPRINT_PREFIX", "BuildProgress", "BuildStats", "FingerprintHit", "FingerprintMatches",
    "IndexHit", "NullProgress", "ancestors", "build_index_from_file", "build_index_from_hub",
    "default_db_url", "describe_index", "descendants", "index_gap", "indexed_foundations",
    "listing_fingerprint", "meta_fingerprint", "parse_db_url", "same_fingerprint",
]

