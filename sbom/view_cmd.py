"""``mlbom tree``, ``graph``, ``view`` and ``licenses``: render a lineage for people and gates.

Each reads a graph (resolved, or read back from a BOM written by mlbom) and renders it through
the output registry (``sbom.formats``). Only light modules are imported at module level.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage.errors import InputError
from sbom.cli_options import (
    FailOn,
    GraphFormat,
    OutOpt,
    ReviewFormat,
    ViewFormat,
    emit,
    load_graph,
    with_hub_options,
)

TargetArg = Annotated[str, typer.Argument(help="Repo id, folder, or BOM written by mlbom.")]


def render_view(graph: object, name: str, *, color: bool = False) -> str:
    from sbom.formats import RenderOptions, render

    return render("view", name, graph, RenderOptions(color=color))


@with_hub_options
def tree(
    target: TargetArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable tree.")] = False,
    hub: object = None,
) -> None:
    """Draw TARGET's lineage in the terminal."""
    graph = load_graph(target, hub)
    name = "tree-json" if as_json else "tree"
    emit(render_view(graph, name, color=not as_json and sys.stdout.isatty()), None)


@with_hub_options
def graph(
    target: TargetArg,
    fmt: Annotated[GraphFormat, typer.Option("--format", help="mermaid, dot or html.")] =
    GraphFormat.html,
    output: OutOpt = None,
    hub: object = None,
) -> None:
    """Draw TARGET's lineage DAG as Mermaid, DOT or a self-contained HTML report."""
    g = load_graph(target, hub)
    emit(render_view(g, fmt.value), output)


def view(
    bom: Annotated[Path, typer.Argument(help="A BOM written by mlbom (CycloneDX or SPDX).")],
    fmt: Annotated[ViewFormat, typer.Option("--format")] = ViewFormat.tree,
    output: OutOpt = None,
) -> None:
    """Render a BOM file written by mlbom (offline)."""
    from sbom.bom_reader import read_bom

    if not bom.is_file():
        raise InputError(f"{bom} is not a file")
    emit(render_view(read_bom(bom), fmt.value), output)


@with_hub_options
def licenses(
    target: TargetArg,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML.")] = None,
    fmt: Annotated[ReviewFormat, typer.Option("--format")] = ReviewFormat.table,
    fail_on: Annotated[FailOn, typer.Option("--fail-on")] = FailOn.error,
    output: OutOpt = None,
    hub: object = None,
) -> None:
    """Review license obligations along TARGET's whole lineage."""
    from sbom.formats import RenderOptions, render
    from sbom.policy import load_policy
    from sbom.review import review_exit_code, review_graph

    pol = load_policy(policy) if policy is not None else None
    graph = load_graph(target, hub)
    review = review_graph(graph, pol)  # type: ignore[arg-type]
    color = fmt is ReviewFormat.table and output is None and sys.stdout.isatty()
    from sbom.check_formats import review_locator  # SARIF physical locations, as in check

    locate = review_locator(graph)  # type: ignore[arg-type]
    emit(render("review", fmt.value, review, RenderOptions(color=color, locate=locate)), output)
    raise typer.Exit(review_exit_code(review, fail_on.value))
