"""Hub-index query results (``mlbom index descendants|ancestors``) as a plain text table or
JSON (no colour codes either way). Moved here from ``lineage/hubindex/render.py``: views are
``sbom``'s."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from lineage.hubindex import IndexHit
from lineage.text_safety import json_document, printable


def render_hits(
    hits: Sequence[IndexHit],
    *,
    model_id: str,
    direction: Literal["descendants", "ancestors"],
    fmt: Literal["table", "json"] = "table",
) -> str:
    """Render a walk's hits. JSON: ``{"model", "direction", "count", "by_relation",
    "hits": [{"model", "depth", "relation", "via"}]}``. The table ends with a newline."""
    by_relation = dict(sorted(Counter(h.relation for h in hits).items()))
    if fmt == "json":
        doc = {
            "model": model_id,
            "direction": direction,
            "count": len(hits),
            "by_relation": by_relation,
            "hits": [
                {"model": h.model_id, "depth": h.depth, "relation": h.relation, "via": h.via}
                for h in hits
            ],
        }
        return json_document(doc)
    header = ("DEPTH", "RELATION", "MODEL", "VIA")
    rows = [(str(h.depth), printable(h.relation), printable(h.model_id), printable(h.via))
            for h in hits]
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(3)]
    lines = []
    for row in (header, *rows):
        lines.append("  ".join(v.ljust(widths[i]) for i, v in enumerate(row[:3])) + "  " + row[3])
    summary = ", ".join(f"{n} {rel}" for rel, n in by_relation.items()) or "none"
    lines.append(printable(f"{len(hits)} {direction} of {model_id} ({summary})"))
    return "\n".join(line.rstrip() for line in lines) + "\n"
