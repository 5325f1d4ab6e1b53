"""``mlbom index same-fingerprint``: which indexed models share a model's fingerprint.

Option parsing only; the look-up is ``lineage.hubindex.same_fingerprint`` and the rendering
``sbom.views.index_hits.render_fingerprint_matches``, both imported when the command runs.
(``build``, ``descendants`` and ``ancestors`` are in ``sbom.inventory_cmd``.)
"""

from __future__ import annotations

from typing import Annotated

import typer

from sbom.cli_options import TableJson, emit
from sbom.inventory_cmd import DbOpt, FormatOpt


def index_same_fingerprint(
    model: Annotated[str, typer.Argument(
        help="An indexed model id, or a fingerprint (safetensors:TYPE:ARCH:DTYPE=N,...).")],
    db: DbOpt = None,
    fmt: FormatOpt = TableJson.table,
    foundations: Annotated[bool, typer.Option(
        "--foundations", help="Only models that declare no parent in the index.")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=100_000, help="Most models to list (the count is of all).")
    ] = 1000,
) -> None:
    """Every indexed model with MODEL's fingerprint: same architecture and parameter counts
    per dtype (not proof of lineage: see the README)."""
    from lineage.hubindex import same_fingerprint
    from sbom.views.index_hits import render_fingerprint_matches

    matches = same_fingerprint(db, model, foundations_only=foundations, limit=limit)
    emit(render_fingerprint_matches(matches, "json" if fmt.value == "json" else "table"), None)
