"""The ``mlbom`` command line (typer). Thin: parse options, call the library, print, exit.

Exit codes, in one table (``EXIT``): 0 ok, 1 findings a gate asked about, 2 usage or input
error, 3 operational failure (Hub unreachable, validation failure, store failure). Errors are
one line on stderr; ``--debug`` adds the traceback. Heavy modules are imported inside the
commands so ``mlbom --help`` starts fast.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lineage import __version__
from lineage.errors import InputError, MlbomError, OperationalError
from sbom.cli_options import (
    BomFormat,
    DeadlineOpt,
    DepthOpt,
    EndpointOpt,
    FailOn,
    GraphFormat,
    MirrorOpt,
    NoCacheOpt,
    OfflineOpt,
    OutOpt,
    ReviewFormat,
    TableJson,
    TokenOpt,
    ViewFormat,
    emit,
    load_graph,
    progress,
    run_options,
)

if TYPE_CHECKING:
    pass

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_OPERATIONAL = 0, 1, 2, 3
EXIT = {InputError: EXIT_INPUT, OperationalError: EXIT_OPERATIONAL}

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Walk a model's whole lineage; write ML-BOMs, license reviews and "
                       "inventories.")
inventory_app = typer.Typer(no_args_is_help=True, help="Store product BOMs for `affected`.")
index_app = typer.Typer(no_args_is_help=True, help="A local index of Hub-wide lineage.")
app.add_typer(inventory_app, name="inventory")
app.add_typer(index_app, name="index")


# -- commands ---------------------------------------------------------------------------------
@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    if version:
        typer.echo(f"mlbom {__version__}")
        raise typer.Exit(0)


@app.command()
def generate(
    target: Annotated[str, typer.Argument(help="Hub repo id (org/name[@revision]) or folder.")],
    output: OutOpt = None,
    fmt: Annotated[BomFormat, typer.Option("--format", help="Document format.")] =
    BomFormat.cyclonedx,
    spec_version: Annotated[str, typer.Option("--spec-version",
                                              help="CycloneDX version: 1.6 or 1.7.")] = "1.6",
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    offline: OfflineOpt = False,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
    reproducible: Annotated[bool, typer.Option(
        "--reproducible", help="Fix serial number and timestamp ($SOURCE_DATE_EPOCH).")] = False,
    no_cache: NoCacheOpt = False,
    cert_identity: Annotated[str | None, typer.Option(
        "--cert-identity", help="Expected signer identity (keyless).")] = None,
    cert_oidc_issuer: Annotated[str | None, typer.Option(
        "--cert-oidc-issuer", help="Expected OIDC issuer (keyless).")] = None,
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", help="PEM public key the signature must verify with.")] = None,
    certificate_chain: Annotated[list[Path] | None, typer.Option(
        "--certificate-chain", help="PEM certificate chain (repeatable).")] = None,
    trust_config: Annotated[Path | None, typer.Option(
        "--trust-config", help="Sigstore trust root/config JSON to use instead of the "
        "bundled one.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, max=64, help="Most Hub requests in flight at once.")] = 32,
) -> None:
    """Resolve TARGET's whole lineage and write a validated ML-BOM."""
    from lineage.annotate.signatures import SignatureOptions
    from lineage.pipeline import build_graph

    if spec_version not in ("1.6", "1.7"):
        raise InputError(f"--spec-version must be 1.6 or 1.7, not {spec_version}")
    for p in [public_key, trust_config, *(certificate_chain or [])]:
        if p is not None and not p.is_file():
            raise InputError(f"{p} is not a file")
    if (cert_identity is None) != (cert_oidc_issuer is None):
        raise InputError("--cert-identity and --cert-oidc-issuer go together")
    sig = SignatureOptions(identity=cert_identity, oidc_issuer=cert_oidc_issuer,
                           public_key=public_key,
                           certificate_chain=tuple(certificate_chain or ()),
                           trust_config=trust_config, offline=offline)
    opts = run_options(endpoint, token, offline, hub_mirror, max_depth, no_cache, sig,
                        concurrency, deadline=deadline)
    graph = build_graph(target, opts, progress=progress())  # type: ignore[arg-type]
    text = render_document(graph, fmt.value, spec_version=spec_version,
                           reproducible=reproducible)
    emit(text, output)
    if not quiet:
        from sbom.summary import render_summary

        label = {"cyclonedx": f"CycloneDX {spec_version} ML-BOM", "spdx-json": "SPDX 2.3",
                 "spdx3-json": "SPDX 3.0.1"}[fmt.value]
        sys.stderr.write(render_summary(graph, written_to=str(output) if output else None,
                                        color=sys.stderr.isatty(), fmt=label))


def render_document(graph: object, fmt: str, *, spec_version: str = "1.6",
                    reproducible: bool = False) -> str:
    if fmt == "spdx-json":
        from sbom.spdx2 import write_spdx23_json

        return write_spdx23_json(graph, reproducible=reproducible)  # type: ignore[arg-type]
    if fmt == "spdx3-json":
        from sbom.spdx3 import write_spdx3_json

        return write_spdx3_json(graph, reproducible=reproducible)  # type: ignore[arg-type]
    from sbom.cyclonedx import graph_to_cyclonedx_json

    return graph_to_cyclonedx_json(graph, spec_version=spec_version,  # type: ignore[arg-type]
                                   reproducible=reproducible)


@app.command()
def mirror(
    targets: Annotated[list[str], typer.Argument(help="Hub repo ids to snapshot.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Mirror folder to write.")],
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
) -> None:
    """Write an offline snapshot of TARGETS' lineage metadata (no weights)."""
    from sbom.mirror import write_mirror

    opts = run_options(endpoint, token, False, hub_mirror, max_depth, deadline=deadline)
    result = write_mirror(targets, output, opts)
    sys.stderr.write(f"mirror written to {output}: {result.repos} repos, {result.files} files, "
                     f"{result.errors} recorded as unreadable\n")


@app.command()
def tree(
    target: Annotated[str, typer.Argument(help="Repo id, folder, or BOM written by mlbom.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable tree.")] = False,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    offline: OfflineOpt = False,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
) -> None:
    """Draw TARGET's lineage in the terminal."""
    import json

    from sbom.views.tree import render_tree, tree_json

    graph = load_graph(target, run_options(endpoint, token, offline, hub_mirror, max_depth,
                                         deadline=deadline))
    if as_json:
        emit(json.dumps(tree_json(graph), indent=2) + "\n", None)  # type: ignore[arg-type]
    else:
        emit(render_tree(graph, color=sys.stdout.isatty()), None)  # type: ignore[arg-type]


def _render_view(graph: object, fmt: str) -> str:
    if fmt == "mermaid":
        from sbom.views.mermaid import render_mermaid

        return render_mermaid(graph)  # type: ignore[arg-type]
    if fmt == "dot":
        from sbom.views.dot import render_dot

        return render_dot(graph)  # type: ignore[arg-type]
    if fmt == "html":
        from sbom.views.html import render_html

        return render_html(graph)  # type: ignore[arg-type]
    from sbom.views.tree import render_tree

    return render_tree(graph, color=False)  # type: ignore[arg-type]


@app.command()
def graph(
    target: Annotated[str, typer.Argument(help="Repo id, folder, or BOM written by mlbom.")],
    fmt: Annotated[GraphFormat, typer.Option("--format", help="mermaid, dot or html.")] =
    GraphFormat.html,
    output: OutOpt = None,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    offline: OfflineOpt = False,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
) -> None:
    """Draw TARGET's lineage DAG as Mermaid, DOT or a self-contained HTML report."""
    g = load_graph(target, run_options(endpoint, token, offline, hub_mirror, max_depth,
                                         deadline=deadline))
    emit(_render_view(g, fmt.value), output)


@app.command()
def view(
    bom: Annotated[Path, typer.Argument(help="A CycloneDX BOM written by mlbom.")],
    fmt: Annotated[ViewFormat, typer.Option("--format")] = ViewFormat.tree,
    output: OutOpt = None,
) -> None:
    """Render a BOM file written by mlbom (offline)."""
    from sbom.bom_reader import read_bom

    if not bom.is_file():
        raise InputError(f"{bom} is not a file")
    emit(_render_view(read_bom(bom), fmt.value), output)


@app.command()
def licenses(
    target: Annotated[str, typer.Argument(help="Repo id, folder, or BOM written by mlbom.")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML.")] = None,
    fmt: Annotated[ReviewFormat, typer.Option("--format")] = ReviewFormat.table,
    fail_on: Annotated[FailOn, typer.Option("--fail-on")] = FailOn.error,
    output: OutOpt = None,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    offline: OfflineOpt = False,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
) -> None:
    """Review license obligations along TARGET's whole lineage."""
    from sbom.policy import load_policy
    from sbom.review import review_exit_code, review_graph
    from sbom.review_formats import render_review

    pol = load_policy(policy) if policy is not None else None
    graph = load_graph(target, run_options(endpoint, token, offline, hub_mirror, max_depth,
                                         deadline=deadline))
    review = review_graph(graph, pol)  # type: ignore[arg-type]
    color = fmt is ReviewFormat.table and output is None and sys.stdout.isatty()
    emit(render_review(review, fmt.value, color=color), output)
    raise typer.Exit(review_exit_code(review, fail_on.value))


@app.command()
def affected(
    model: Annotated[str | None, typer.Argument(
        help="Compromised model (org/name[@revision]) or code repo id.")] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", help="Compromised dataset id instead of a model.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="sqlite:///path or "
                                              "postgresql://...")] = None,
    fmt: Annotated[TableJson, typer.Option("--format")] = TableJson.table,
    hub_descendants: Annotated[bool, typer.Option(
        "--hub-descendants", help="List public Hub models that derive from MODEL.")] = False,
    use_index: Annotated[bool, typer.Option(
        "--index", help="With --hub-descendants: answer from `mlbom index`.")] = False,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most Hub results.")] = 1000,
) -> None:
    """Which products (or public Hub models) inherit a compromised model, dataset or code repo."""
    from sbom import commands

    if (model is None) == (dataset is None):
        raise InputError("give either MODEL or --dataset ORG/NAME")
    if hub_descendants or use_index:
        if model is None:
            raise InputError("--hub-descendants takes a MODEL")
        emit(commands.hub_descendants_text(model, fmt.value, endpoint=endpoint, token=token,
                                            limit=limit, db=db, use_index=use_index), None)
        return
    text, n = commands.affected_text(model or dataset or "", "dataset" if dataset else "model",
                                     db, fmt.value)
    emit(text, None)
    sys.stderr.write(f"{n} product version(s) affected\n")


@inventory_app.command("add")
def inventory_add(
    boms: Annotated[list[Path], typer.Argument(help="CycloneDX BOM files.")],
    product: Annotated[str, typer.Option("--product", help="Product name.")],
    version: Annotated[str, typer.Option("--version", help="Product version.")] = "unversioned",
    db: Annotated[str | None, typer.Option("--db")] = None,
) -> None:
    """Ingest BOMs for a product version (re-adding replaces it atomically)."""
    from sbom.inventory.store import open_store

    with open_store(db) as store:
        r = store.add_boms(boms, product, version)
    sys.stderr.write(f"{'replaced' if r.replaced else 'stored'} {r.product} {r.version}: "
                     f"{r.boms} BOM(s), {r.nodes} nodes, {r.edges} edges\n")


@inventory_app.command("list")
def inventory_list(
    db: Annotated[str | None, typer.Option("--db")] = None,
    fmt: Annotated[TableJson, typer.Option("--format")] = TableJson.table,
) -> None:
    """List stored product versions."""
    from sbom.inventory.render import render_products
    from sbom.inventory.store import open_store

    with open_store(db) as store:
        emit(render_products(store.list_products(), fmt.value), None)


@inventory_app.command("remove")
def inventory_remove(
    product: Annotated[str, typer.Argument(help="Product name.")],
    version: Annotated[str | None, typer.Option("--version")] = None,
    db: Annotated[str | None, typer.Option("--db")] = None,
) -> None:
    """Remove a product (all versions, or one)."""
    from sbom.inventory.store import open_store

    with open_store(db) as store:
        n = store.remove(product, version)
    if not n:
        raise InputError(f"no stored product {product!r}" + (f" version {version!r}"
                                                              if version else ""))
    sys.stderr.write(f"removed {n} product version(s)\n")


@index_app.command("build")
def index_build(
    from_file: Annotated[Path | None, typer.Option("--from-file", help="JSONL dump.")] = None,
    from_hub: Annotated[bool, typer.Option("--from-hub", help="Page through the Hub.")] = False,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    db: Annotated[str | None, typer.Option("--db")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
) -> None:
    """Build the Hub-wide lineage index (resumes an interrupted --from-hub build)."""
    from sbom import commands

    if from_file is None and not from_hub or (from_file is not None and from_hub):
        raise InputError("give exactly one of --from-file DUMP or --from-hub")
    sys.stderr.write(commands.index_build_text(db, from_file, endpoint, token, limit) + "\n")


@index_app.command("descendants")
def index_descendants(
    model: Annotated[str, typer.Argument()],
    db: Annotated[str | None, typer.Option("--db")] = None,
    fmt: Annotated[TableJson, typer.Option("--format")] = TableJson.table,
    max_depth: Annotated[int | None, typer.Option("--max-depth", min=1)] = None,
) -> None:
    """Every indexed model that derives from MODEL, with depth and relation."""
    from sbom import commands

    emit(commands.index_query_text("descendants", db, model, fmt.value, max_depth), None)


@index_app.command("ancestors")
def index_ancestors(
    model: Annotated[str, typer.Argument()],
    db: Annotated[str | None, typer.Option("--db")] = None,
    fmt: Annotated[TableJson, typer.Option("--format")] = TableJson.table,
    max_depth: Annotated[int | None, typer.Option("--max-depth", min=1)] = None,
) -> None:
    """Every indexed ancestor of MODEL, with depth and relation."""
    from sbom import commands

    emit(commands.index_query_text("ancestors", db, model, fmt.value, max_depth), None)


# -- entry point ------------------------------------------------------------------------------
def exit_code_for(exc: BaseException) -> int:
    for cls, code in EXIT.items():
        if isinstance(exc, cls):
            return code
    return EXIT_OPERATIONAL


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map errors to one-line messages and exit codes."""
    import click

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("MLBOM_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]  # accepted anywhere on the line
    command = typer.main.get_command(app)
    previous_term = _terminate_like_ctrl_c()
    try:
        result = command.main(args=args, prog_name="mlbom", standalone_mode=False)
        if result == _TYPER_INTERRUPTED:  # typer turns Ctrl-C into Exit(130), click returns it
            sys.stderr.write("mlbom: interrupted; no output file was written\n")
            return EXIT_OPERATIONAL
        return result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("mlbom: interrupted\n")
        return EXIT_OPERATIONAL
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except MlbomError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"mlbom: error: {exc}\n")
        return exit_code_for(exc)
    except KeyboardInterrupt:
        sys.stderr.write("mlbom: interrupted; no output file was written\n")
        return EXIT_OPERATIONAL
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: a bug, said in one line
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"mlbom: internal error: {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:300]} (rerun with --debug)\n")
        return EXIT_OPERATIONAL
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)


_TYPER_INTERRUPTED = 130


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _terminate_like_ctrl_c() -> Any:
    """SIGTERM (a kill, a CI timeout) ends the run like Ctrl-C: temp files are removed and
    no partial output is left. Only the main thread may set handlers; elsewhere, do nothing."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
