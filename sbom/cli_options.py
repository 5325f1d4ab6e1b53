"""What every ``mlbom`` command shares: option types, Hub/run options, output and graph loading.

A command module (``sbom/cli.py`` or a feature's own ``*_cmd.py``) imports these so that an
option means the same thing on every command and the CLI stays a thin option parser. Nothing
heavy is imported at module level: ``mlbom --help`` imports this file.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lineage.errors import InputError

if TYPE_CHECKING:
    from lineage.annotate.signatures import SignatureOptions
    from lineage.pipeline import RunOptions

class BomFormat(str, Enum):
    cyclonedx = "cyclonedx"
    spdx_json = "spdx-json"
    spdx3_json = "spdx3-json"


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"
    html = "html"


class ViewFormat(str, Enum):
    tree = "tree"
    mermaid = "mermaid"
    dot = "dot"
    html = "html"


class ReviewFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


class TableJson(str, Enum):
    table = "table"
    json = "json"


# -- shared options ---------------------------------------------------------------------------
EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint", help="Hub endpoint (default: $HF_ENDPOINT, else https://huggingface.co).")]
TokenOpt = Annotated[str | None, typer.Option(
    "--token", help="Hub token (default: huggingface_hub's usual sources).")]
OfflineOpt = Annotated[bool, typer.Option(
    "--offline", help="No network: parents are recorded but marked unresolved: offline.")]
MirrorOpt = Annotated[Path | None, typer.Option(
    "--hub-mirror", help="Resolve from an offline snapshot written by `mlbom mirror`.")]
DepthOpt = Annotated[int, typer.Option("--max-depth", min=0, max=10_000,
                                       help="Deepest ancestor level to fetch.")]
DeadlineOpt = Annotated[float | None, typer.Option(
    "--deadline", min=0.1, help="Stop asking the Hub after this many seconds: what was not "
    "read by then is named as partial (parents: hub-error: timed out), what was read is still "
    "written, and the exit code is 3.")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Bypass the metadata cache.")]
HubIndexOpt = Annotated[str | None, typer.Option(
    "--hub-index", envvar="MLBOM_HUB_INDEX", show_envvar=False,
    help="Hub-wide index (sqlite:///PATH or postgresql://...; $MLBOM_HUB_INDEX) to look up "
    "suspected parents of models that declare none.")]
def _checked_output(value: Path | None) -> Path | None:
    """``-o`` is checked when it is parsed, before any work: a folder, a missing folder or a
    block device is a usage error (exit 2) naming the path."""
    if value is None:
        return None
    from sbom.atomic import check_output_path

    try:
        check_output_path(value)
    except InputError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


OutOpt = Annotated[Path | None, typer.Option("-o", "--output", callback=_checked_output,
                                                help="Write here (atomically); default stdout.")]


def run_options(endpoint: str | None, token: str | None, offline: bool, hub_mirror: Path | None,
                 max_depth: int = 50, no_cache: bool = False,
                 signatures: SignatureOptions | None = None,
                 concurrency: int | None = None, *, deadline: float | None = None,
                 hub_index: str | None = None) -> RunOptions:
    from lineage.annotate.signatures import SignatureOptions
    from lineage.pipeline import RunOptions

    register_run_secrets(endpoint, token)
    if hub_mirror is not None and not hub_mirror.is_dir():
        raise InputError(f"--hub-mirror {hub_mirror} is not a folder")
    from lineage.resolver import DEFAULT_CONCURRENCY

    return RunOptions(endpoint=endpoint, token=token, offline=offline, hub_mirror=hub_mirror,
                      max_depth=max_depth, use_cache=not no_cache,
                      concurrency=concurrency or DEFAULT_CONCURRENCY, deadline=deadline,
                      hub_index=hub_index or None,
                      signatures=signatures if signatures is not None else SignatureOptions(
                          offline=offline))


def register_run_secrets(endpoint: str | None, token: str | None) -> None:
    """Mask the token and the endpoint's password in every message from here on."""
    from urllib.parse import urlsplit

    from lineage.text_safety import register_secret

    register_secret(token)
    if endpoint:
        with contextlib.suppress(ValueError):
            register_secret(urlsplit(endpoint).password)


def stderr_console() -> object:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def progress() -> object:
    """A callable that shows progress on stderr (a live status line on a terminal)."""
    if not sys.stderr.isatty():
        return None
    console = stderr_console()

    from rich.markup import escape

    from lineage.text_safety import printable

    def show(message: str) -> None:
        console.print(f"[dim]… {escape(printable(message))}[/dim]")  # type: ignore[attr-defined]

    return show


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from sbom.atomic import write_atomic

    write_atomic(output, text)


def refuse_hub_index_for_bom(opts: object) -> None:
    """``--hub-index`` looks up suspected parents from a run's evidence, which a BOM read
    back does not carry: asking for it on a BOM is a usage error, never a quiet no-op."""
    if getattr(opts, "hub_index", None):
        raise InputError("--hub-index needs a model to resolve (a repo id or a folder); a BOM "
                         "read back carries no evidence to look up: regenerate it with "
                         "--hub-index")


def load_graph(target: str, opts: object) -> object:
    """A graph from a BOM file written by mlbom, else from resolving ``target`` (with the
    progress display of ``sbom.progress`` on stderr)."""
    path = Path(target)
    if path.is_file() and path.suffix.lower() == ".json":
        from sbom.bom_reader import read_bom

        refuse_hub_index_for_bom(opts)
        return read_bom(path)
    from sbom.progress import build_graph_with_progress

    return build_graph_with_progress(target, opts)


# -- the Hub option set, declared once --------------------------------------------------------
_HUB_PARAMETERS = (("endpoint", EndpointOpt, None), ("token", TokenOpt, None),
                   ("offline", OfflineOpt, False), ("hub_mirror", MirrorOpt, None),
                   ("max_depth", DepthOpt, 50), ("deadline", DeadlineOpt, None),
                   ("hub_index", HubIndexOpt, None))


def with_hub_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the shared Hub options (``--endpoint``, ``--token``, ``--offline``,
    ``--hub-mirror``, ``--max-depth``, ``--deadline``, ``--hub-index``), listed after its
    own, and pass them to it as one ``hub`` argument: the ``RunOptions`` they make.
    ``command`` declares ``hub`` last."""
    import inspect

    own = inspect.signature(command, eval_str=True)
    kept = [p for name, p in own.parameters.items() if name != "hub"]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=annotation)
             for name, annotation, default in _HUB_PARAMETERS]

    @functools.wraps(command)
    def run(*args: Any, endpoint: str | None = None, token: str | None = None,
            offline: bool = False, hub_mirror: Path | None = None, max_depth: int = 50,
            deadline: float | None = None, hub_index: str | None = None, **kwargs: Any) -> None:
        hub = run_options(endpoint, token, offline, hub_mirror, max_depth, deadline=deadline,
                          hub_index=hub_index)
        command(*args, hub=hub, **kwargs)

    run.__signature__ = own.replace(parameters=kept + added)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in kept + added}
    return run
