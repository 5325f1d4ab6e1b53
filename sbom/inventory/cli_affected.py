"""``mlbom affected``: the typer command (options only) and the answer it prints.

Exit codes: 0 answered; 1 with ``--fail-if-affected`` when a product version is affected or
``unknown`` (its BOM does not record which commit it holds); 2 for an item in no stored BOM,
a store that does not exist, or bad options; 3 when the database fails.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from lineage.errors import InputError
from sbom.cli_options import DeadlineOpt, EndpointOpt, TableJson, TokenOpt, emit


class ItemKind(str, Enum):
    model = "model"
    dataset = "dataset"
    code = "code"


def affected(
    item: Annotated[str | None, typer.Argument(
        metavar="ITEM", help="Compromised model, dataset or code repo: org/name[@revision]. "
        "Found as any kind; an id held by several kinds is answered for each.")] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", help="Look this id up as a dataset only.")] = None,
    kind: Annotated[ItemKind | None, typer.Option(
        "--kind", help="Look ITEM up as this kind only.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="sqlite:///path or "
                                              "postgresql://...")] = None,
    fmt: Annotated[TableJson, typer.Option(
        "--format", help="table, or json (mlbom-affected/1).")] = TableJson.table,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="Product versions per page (default all); with "
        "--hub-descendants the most Hub results (default 1000).")] = None,
    offset: Annotated[int, typer.Option(
        "--offset", min=0, help="Skip this many product versions (paging).")] = 0,
    fail_if_affected: Annotated[bool, typer.Option(
        "--fail-if-affected", help="Exit 1 when a product version is affected or unknown.")
    ] = False,
    hub_descendants: Annotated[bool, typer.Option(
        "--hub-descendants", help="List public Hub models that derive from ITEM.")] = False,
    use_index: Annotated[bool, typer.Option(
        "--index", help="With --hub-descendants: answer from `mlbom index`.")] = False,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    advisories: Annotated[list[Path] | None, typer.Option(
        "--advisories", help="OSV advisory file, JSON Lines file or folder (repeatable): "
        "answer for each advisory.")] = None,
    deadline: DeadlineOpt = None,
) -> None:
    """Which stored products (or public Hub models) inherit a compromised model, dataset or
    code repo, through which paths."""
    import time

    run_deadline = None if deadline is None else time.monotonic() + deadline
    if fail_if_affected and (hub_descendants or use_index):
        # it gates on stored products; a list of public models would always pass it
        raise InputError("--fail-if-affected gates on the stored products; it does not apply "
                         "to --hub-descendants (public Hub models)")
    if advisories:
        _affected_by_advisories(advisories, db, fmt.value, hub_descendants or use_index,
                                endpoint=endpoint, token=token, limit=limit or 1000,
                                use_index=use_index, fail_if_affected=fail_if_affected,
                                run_deadline=run_deadline)
        return
    if (item is None) == (dataset is None):
        raise InputError("give either ITEM or --dataset ORG/NAME")
    if hub_descendants or use_index:
        from sbom import commands

        if item is None:
            raise InputError("--hub-descendants takes a model id")
        emit(commands.hub_descendants_text(item, fmt.value, endpoint=endpoint, token=token,
                                            limit=limit or 1000, db=db, use_index=use_index,
                                            run_deadline=run_deadline),
             None)
        return
    asked = "dataset" if dataset is not None else kind.value if kind is not None else None
    text, summary, hit = affected_answer(item or dataset or "", asked, db, fmt.value,
                                         limit=limit, offset=offset)
    emit(text, None)
    sys.stderr.write(summary)
    if fail_if_affected and hit:
        raise typer.Exit(1)


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


def _affected_by_advisories(advisories: list[Path], db: str | None, fmt: str, hub: bool, *,
                            endpoint: str | None, token: str | None, limit: int,
                            use_index: bool, fail_if_affected: bool,
                            run_deadline: float | None = None) -> None:
    """Per advisory: affected stored product versions and paths, or public Hub descendants
    (``sbom.advisory_affected``)."""
    import sys

    from sbom.advisory_affected import advisory_descendants_text, affected_by_advisories_text

    if hub:
        emit(advisory_descendants_text(advisories, fmt, endpoint=endpoint, token=token,
                                       limit=limit, db=db, use_index=use_index,
                                       run_deadline=run_deadline), None)
        return
    text, hit = affected_by_advisories_text(advisories, db, fmt)
    emit(text, None)
    sys.stderr.write(f"{hit} product version(s) affected\n")
    if fail_if_affected and hit:
        raise typer.Exit(1)
