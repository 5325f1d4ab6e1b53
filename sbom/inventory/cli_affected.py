"""``mlbom affected``'s answer as printed (the typer command is ``sbom.inventory_cmd.affected``).

Exit codes: 0 answered; 1 with ``--fail-if-affected`` when a product version is affected or
``unknown`` (its BOM does not record which commit it holds); 2 for an item in no stored BOM,
a store that does not exist, or bad options; 3 when the database fails.
"""

from __future__ import annotations


def affected_answer(item: str, kind: str | None, db: str | None, fmt: str, *,
                    limit: int | None = None, offset: int = 0) -> tuple[str, str, bool]:
    """(document, verdict for stderr, whether any product is affected or unknown)."""
    from sbom.inventory.affected import query_affected
    from sbom.inventory.render import answer_summary, render_answer
    from sbom.inventory.store import open_store

    with open_store(db, create=False) as store:
        answer = query_affected(store, item, kind, limit=limit, offset=offset)
    return (render_answer(answer, fmt), answer_summary(answer),
            answer.status in ("affected", "unknown"))
