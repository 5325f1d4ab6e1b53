"""Glue between the CLI and the inventory / Hub index packages, returning printable text.

Kept out of ``cli.py`` so the CLI stays a thin option parser and these are testable without
a terminal.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path


def hub_descendants_text(model: str, fmt: str, *, endpoint: str | None, token: str | None,
                         limit: int, db: str | None, use_index: bool,
                         run_deadline: float | None = None, must_exist: bool = True) -> str:
    """Public models deriving from ``model``: live from the Hub, or from the local index.
    An answer cut short (limit, depth cap, ``--deadline``) says so in the document and on
    stderr."""
    from lineage.text_safety import printable
    from sbom.cli_options import register_run_secrets
    from sbom.inventory.hub_descendants import descendants_finder

    register_run_secrets(endpoint, token)

    finder = descendants_finder(use_index=use_index, db=db, endpoint=endpoint, token=token,
                                run_deadline=run_deadline, must_exist=must_exist)
    text = finder.render(model, finder.find(model, limit), fmt)
    if finder.cut:
        sys.stderr.write(f"mlbom: descendants of {printable(model)} are partial: "
                         f"{finder.cut}\n")
    return text


def index_build_text(db: str | None, from_file: Path | None, endpoint: str | None,
                     token: str | None, limit: int | None,
                     run_deadline: float | None = None) -> str:
    from lineage.hubindex import NullProgress, build_index_from_file, build_index_from_hub
    from lineage.sources.hub import resolve_endpoint
    from sbom.cli_options import register_run_secrets
    from sbom.progress import rich_progress

    register_run_secrets(endpoint, token)
    with rich_progress() if sys.stderr.isatty() else nullcontext(NullProgress()) as progress:
        if from_file is not None:
            stats = build_index_from_file(db, from_file, progress)
        else:
            stats = build_index_from_hub(db, resolve_endpoint(endpoint), token, progress, limit,
                                         run_deadline=run_deadline)
    lines = [f"index: {stats.models} models, {stats.edges} parent links, "
             f"{stats.fingerprinted} fingerprints "
             f"({stats.listed} read from {stats.source} in {stats.seconds:.1f} s"
             + (", resumed" if stats.resumed else "") + ")"]
    if not stats.complete:
        lines.append("index: build incomplete; run the same command again to resume")
    if stats.malformed:
        lines.append(f"index: {stats.malformed} malformed records skipped")
    lines.extend(f"  {p}" for p in getattr(stats, "problems", [])[:10])
    return "\n".join(lines)


def index_query_text(direction: str, db: str | None, model: str, fmt: str,
                     max_depth: int | None) -> str:
    from lineage.hubindex import ancestors, descendants, index_gap
    from sbom.views.index_hits import render_hits

    walk = descendants if direction == "descendants" else ancestors
    hits = walk(db, model, max_depth=max_depth)
    gap = index_gap(db)
    if gap:
        sys.stderr.write(f"mlbom: this answer is partial: {gap}\n")
    return render_hits(hits, model_id=model, direction=direction,  # type: ignore[arg-type]
                       fmt="json" if fmt == "json" else "table", cut=gap)
