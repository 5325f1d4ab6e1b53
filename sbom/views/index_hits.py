"""Hub-index query results (``mlbom index descendants|ancestors``) as a plain text table or
JSON (no colour codes either way). Moved here from ``lineage/hubindex/render.py``: views are
``sbom``'s."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from lineage.hubindex import FingerprintMatches, IndexHit
from lineage.text_safety import json_document, printable


def render_hits(
    hits: Sequence[IndexHit],
    *,
    model_id: str,
    direction: Literal["descendants", "ancestors"],
    fmt: Literal["table", "json"] = "table",
    cut: str | None = None,
) -> str:
    """Render a walk's hits. JSON: ``{"model", "direction", "count", "by_relation",
    "hits": [{"model", "depth", "relation", "via"}]}``, with ``"complete": false`` and the
    ``cut`` when the list is not all there is (a limit, an unfinished index), which the
    table's last line also says. The table ends with a newline."""
    by_relation = dict(sorted(Counter(h.relation for h in hits).items()))
    if fmt == "json":
        doc = {
            "model": model_id,
            "direction": direction,
            "count": len(hits),
            "by_relation": by_relation,
            **({"complete": False, "cut": cut} if cut else {}),
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
    lines.append(printable(f"{len(hits)} {direction} of {model_id} ({summary})"
                           + (f" (PARTIAL: {cut})" if cut else "")))
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_fingerprint_matches(matches: FingerprintMatches, fmt: Literal["table", "json"] = "table"
                               ) -> str:
    """``mlbom index same-fingerprint``. JSON: ``{"query", "fingerprint", "foundations_only",
    "count", "shown", "models": [{"model", "created", "parents"}]}`` (``fingerprint`` null
    when the queried model is indexed without one). The table ends with a newline."""
    if fmt == "json":
        doc = {
            "query": matches.query, "fingerprint": matches.fingerprint,
            "foundations_only": matches.foundations_only, "count": matches.total,
            "shown": len(matches.hits),
            "models": [{"model": h.model_id, "created": h.created, "parents": h.parents}
                       for h in matches.hits],
        }
        return json_document(doc)
    if matches.fingerprint is None:
        return printable(
            f"{matches.query} has no fingerprint in the index: its listing had no "
            "safetensors parameter counts (or no model_type/architecture)") + "\n"
    header = ("CREATED", "PARENTS", "MODEL")
    rows = [((h.created or "-")[:10], str(h.parents), printable(h.model_id))
            for h in matches.hits]
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(2)]
    lines = [f"fingerprint {printable(matches.fingerprint)}"]
    lines += ["  ".join((row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2]))
              for row in (header, *rows)]
    which = "models that declare no parent" if matches.foundations_only else "other models"
    shown = f", {len(matches.hits)} shown" if len(matches.hits) < matches.total else ""
    lines.append(printable(f"{matches.total} {which} share the fingerprint of "
                           f"{matches.query}{shown} (same architecture and parameter counts "
                           "per dtype: a reason to look, not proof of lineage)"))
    return "\n".join(line.rstrip() for line in lines) + "\n"
