"""``mlbom inventory ...`` and ``mlbom index ...``: the stored inventory and the Hub-wide
lineage index (``mlbom affected`` is ``sbom.inventory.cli_affected``). Option parsing only;
the work is in ``sbom.commands``, ``sbom.inventory`` and ``lineage.hubindex``, imported when a
command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage.errors import InputError
from sbom.cli_options import DeadlineOpt, EndpointOpt, TableJson, TokenOpt, emit

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Database: sqlite:///PATH or postgresql://USER@HOST/NAME "
    "(default: a SQLite file in your user data folder).")]
FormatOpt = Annotated[TableJson, typer.Option("--format", help="table or json.")]
IndexDepthOpt = Annotated[int | None, typer.Option(
    "--max-depth", min=1, help="Deepest level to walk (default: all).")]


def inventory_add(
    boms: Annotated[list[Path] | None, typer.Argument(
        help="BOM files, or folders (every *.json file in them and below).")] = None,
    product: Annotated[str | None, typer.Option(
        "--product", help="All BOMs given are this one product version. Without it, each "
        "BOM is its own product version, named by its metadata.component (name, version) "
        "or by --list.")] = None,
    version: Annotated[str | None, typer.Option(
        "--version", help="Product version, with --product (default: unversioned).")] = None,
    list_file: Annotated[Path | None, typer.Option(
        "--list", help="A file (- for stdin) with one BOM per line: PATH, or "
        "PATH<TAB>PRODUCT<TAB>VERSION.")] = None,
    batch: Annotated[int, typer.Option(
        "--batch", min=1, help="Product versions per durable commit.")] = 5000,
    jobs: Annotated[int | None, typer.Option(
        "--jobs", min=0, help="Worker processes parsing BOMs (default: one per CPU but one, "
        "from 200 files on; 0: parse in this process).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress lines.")] = False,
    db: DbOpt = None,
) -> None:
    """Ingest BOMs: one product version (--product), or many in batched durable commits."""
    from sbom.inventory.cli_add import add_command

    add_command(boms or [], product, version, list_file, db, batch, jobs, quiet)


def inventory_list(db: DbOpt = None, fmt: FormatOpt = TableJson.table) -> None:
    """List stored product versions."""
    from sbom.inventory.render import render_products
    from sbom.inventory.store import open_store

    with open_store(db, create=False) as store:
        emit(render_products(store.list_products(), fmt.value), None)


def inventory_remove(
    product: Annotated[str, typer.Argument(help="Product name.")],
    version: Annotated[str | None, typer.Option(
        "--version", help="Only this version (default: every version of the product).")] = None,
    db: DbOpt = None,
) -> None:
    """Remove a product (all versions, or one)."""
    from sbom.inventory.store import open_store

    with open_store(db, create=False) as store:
        n = store.remove(product, version)
    if not n:
        raise InputError(f"no stored product {product!r}" + (f" version {version!r}"
                                                              if version else ""))
    sys.stderr.write(f"removed {n} product version(s)\n")


def index_build(
    from_file: Annotated[Path | None, typer.Option("--from-file", help="JSONL dump.")] = None,
    from_hub: Annotated[bool, typer.Option("--from-hub", help="Page through the Hub.")] = False,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    db: DbOpt = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", min=1, help="Stop after this many models (a partial index).")] = None,
    deadline: DeadlineOpt = None,
) -> None:
    """Build the Hub-wide lineage index (resumes an interrupted --from-hub build)."""
    import time

    from sbom import commands

    if from_file is None and not from_hub or (from_file is not None and from_hub):
        raise InputError("give exactly one of --from-file DUMP or --from-hub")
    run_deadline = None if deadline is None else time.monotonic() + deadline
    sys.stderr.write(commands.index_build_text(db, from_file, endpoint, token, limit,
                                               run_deadline) + "\n")


def index_descendants(model: Annotated[str, typer.Argument()], db: DbOpt = None,
                      fmt: FormatOpt = TableJson.table,
                      max_depth: IndexDepthOpt = None) -> None:
    """Every indexed model that derives from MODEL, with depth and relation."""
    from sbom import commands

    emit(commands.index_query_text("descendants", db, model, fmt.value, max_depth), None)


def index_ancestors(model: Annotated[str, typer.Argument()], db: DbOpt = None,
                    fmt: FormatOpt = TableJson.table,
                    max_depth: IndexDepthOpt = None) -> None:
    """Every indexed ancestor of MODEL, with depth and relation."""
    from sbom import commands

    emit(commands.index_query_text("ancestors", db, model, fmt.value, max_depth), None)
