"""Text for ``mlbom inventory list`` and ``mlbom affected``: a rich table or JSON.

JSON documents (stable; a consumer may rely on these keys):

``mlbom affected --format json``::

    {"format": "mlbom-affected/1",
     "query": {"item": "org/name", "kind": "model", "revision": null},
     "affected": [
       {"product": "...", "version": "...",
        "commits": ["<sha of the item this product pins>" | null, ...],
        "paths": [
          {"model": "<the product's model>", "commit": "<sha>" | null, "bom": "<file>",
           "steps": [{"ref": "model:acme/app", "name": "acme/App", "relation": "finetune"},
                     ...,
                     {"ref": "model:org/name", "name": "org/Name", "relation": null}]}],
        "more_paths": 0}]}

``relation`` on a step is the relation of the edge from that step to the next one.

``mlbom affected --hub-descendants --format json``::

    {"format": "mlbom-hub-descendants/1", "model": "org/name",
     "descendants": [{"repo_id", "parent", "relation", "depth", "sha", "downloads"}, ...]}

``mlbom inventory list --format json``::

    {"format": "mlbom-inventory/1",
     "products": [{"product", "version", "ingested_at",
                   "boms": [{"file", "serial", "model", "commit", "nodes"}]}]}

Tables never carry colour codes when written to a pipe; JSON never does.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from lineage.errors import InputError
from sbom.inventory.affected import AffectedHit, AffectedPath, AffectedQuery
from sbom.inventory.hub_descendants import HubDescendant
from sbom.inventory.store import ProductRecord

FORMATS = ("table", "json")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use table or json")


def path_text(path: AffectedPath) -> str:
    """``acme/App -finetune-> org/Base -adapter-> meta/Llama`` (refs' kind shown for
    datasets and code repos)."""
    out = []
    for step in path.steps:
        kind = step.ref.split(":", 1)[0]
        label = step.name if kind in ("model",) else f"{kind}:{step.name}"
        out.append(label if step.relation is None else f"{label} -{step.relation}->")
    return " ".join(out)


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "unknown"


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    from rich.text import Text

    from lineage.text_safety import printable

    for row in rows:  # stored BOMs are input: no markup, controls or bidi reach the terminal
        table.add_row(*(Text(printable(cell)) for cell in row))
    buf = io.StringIO()
    Console(file=buf, width=160, no_color=True, highlight=False).print(table)
    return buf.getvalue()


def affected_document(
    hits: Sequence[AffectedHit], query: AffectedQuery | None = None
) -> dict[str, Any]:
    return {
        "format": "mlbom-affected/1",
        "query": None if query is None else {
            "item": query.repo_id, "kind": query.kind, "revision": query.revision,
        },
        "affected": [
            {
                "product": h.product,
                "version": h.version,
                "commits": list(h.commits),
                "paths": [
                    {
                        "model": p.model,
                        "commit": p.commit,
                        "bom": p.bom_file,
                        "steps": [
                            {"ref": s.ref, "name": s.name, "relation": s.relation}
                            for s in p.steps
                        ],
                    }
                    for p in h.paths
                ],
                "more_paths": h.more_paths,
            }
            for h in hits
        ],
    }


def render_affected(
    hits: Sequence[AffectedHit], fmt: str = "table", query: AffectedQuery | None = None
) -> str:
    """The hits as a table (one row per path) or as the JSON document above."""
    _check(fmt)
    if fmt == "json":
        return json.dumps(affected_document(hits, query), indent=2) + "\n"
    item = "" if query is None else f" {query.repo_id}" + (
        f"@{query.revision}" if query.revision else ""
    )
    rows = []
    for h in hits:
        for i, p in enumerate(h.paths):
            first = i == 0
            rows.append((h.product if first else "", h.version if first else "",
                         _short(p.commit), path_text(p)))
        if h.more_paths:
            rows.append(("", "", "", f"... and {h.more_paths} more paths"))
    title = f"{len(hits)} product version(s) affected by{item}"
    return _table(title, ("Product", "Version", "Commit", "Path (product model → item)"), rows)


def render_products(products: Sequence[ProductRecord], fmt: str = "table") -> str:
    _check(fmt)
    if fmt == "json":
        doc = {
            "format": "mlbom-inventory/1",
            "products": [
                {
                    "product": p.product, "version": p.version, "ingested_at": p.ingested_at,
                    "boms": [
                        {"file": b.file, "serial": b.serial, "model": b.root_name,
                         "commit": b.root_sha, "nodes": b.nodes}
                        for b in p.boms
                    ],
                }
                for p in products
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    rows = [
        (p.product, p.version, b.root_name, _short(b.root_sha), str(b.nodes), p.ingested_at)
        for p in products for b in p.boms
    ]
    return _table(f"{len(products)} product version(s)",
                  ("Product", "Version", "Model", "Commit", "Nodes", "Ingested"), rows)


def render_descendants(
    model_id: str, descendants: Sequence[HubDescendant], fmt: str = "table"
) -> str:
    _check(fmt)
    if fmt == "json":
        doc = {
            "format": "mlbom-hub-descendants/1",
            "model": model_id,
            "descendants": [
                {"repo_id": d.repo_id, "parent": d.parent, "relation": d.relation,
                 "depth": d.depth, "sha": d.sha, "downloads": d.downloads}
                for d in descendants
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    rows = [
        (str(d.depth), d.repo_id, d.relation, d.parent,
         "" if d.downloads is None else str(d.downloads))
        for d in descendants
    ]
    return _table(f"{len(descendants)} public model(s) derived from {model_id}",
                  ("Depth", "Model", "Relation", "Parent", "Downloads"), rows)
