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
from typing import Annotated, Any

import typer

from lineage import __version__
from lineage.errors import InputError, MlbomError, OperationalError
from sbom import bom_cmd, check_cmd, index_cmd, inventory_cmd, scan_cmd, view_cmd
from sbom.inventory import cli_affected as affected_cmd

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_OPERATIONAL = 0, 1, 2, 3
EXIT = {InputError: EXIT_INPUT, OperationalError: EXIT_OPERATIONAL}

# click itself suggests a near command name; typer would add the same "Did you mean" again.
# Plain click help (rich_markup_mode=None): typer's rich help imports rich's markdown, syntax
# and traceback modules (over 100 ms under load), for boxes around the same text.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  suggest_commands=False, rich_markup_mode=None,
                  help="Walk a model's whole lineage; write ML-BOMs, license reviews and "
                       "inventories.")
inventory_app = typer.Typer(no_args_is_help=True, suggest_commands=False, rich_markup_mode=None,
                            help="Store product BOMs for `affected`.")
index_app = typer.Typer(no_args_is_help=True, suggest_commands=False, rich_markup_mode=None,
                        help="A local index of Hub-wide lineage.")
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


app.command("generate")(bom_cmd.generate)
app.command("scan")(scan_cmd.scan)
app.command("merge")(scan_cmd.merge)
app.command("check")(check_cmd.check)
app.command("mirror")(bom_cmd.mirror)
app.command("tree")(view_cmd.tree)
app.command("graph")(view_cmd.graph)
app.command("view")(view_cmd.view)
app.command("licenses")(view_cmd.licenses)
app.command("affected")(affected_cmd.affected)
inventory_app.command("add")(inventory_cmd.inventory_add)
inventory_app.command("list")(inventory_cmd.inventory_list)
inventory_app.command("remove")(inventory_cmd.inventory_remove)
index_app.command("build")(inventory_cmd.index_build)
index_app.command("descendants")(inventory_cmd.index_descendants)
index_app.command("ancestors")(inventory_cmd.index_ancestors)
index_app.command("same-fingerprint")(index_cmd.index_same_fingerprint)


# -- entry point ------------------------------------------------------------------------------
def _light_help_app() -> typer.Typer:
    """``app`` as ``mlbom --help`` shows it: the same root, names and help texts, but each
    command a stub without options. Building every command's options (evaluating their
    annotations) is most of the CPU ``--help`` spends beyond imports, for text the top-level
    help never shows; a test checks that both give the same help, byte for byte."""
    light = typer.Typer(add_completion=False, no_args_is_help=True,
                        pretty_exceptions_enable=False, suggest_commands=False,
                        rich_markup_mode=None, help=app.info.help)
    light.callback(invoke_without_command=True)(_root)
    for info in app.registered_commands:
        def stub() -> None:
            """A stand-in: only its help text is read."""
        stub.__doc__ = info.callback.__doc__ if info.callback is not None else None
        light.command(info.name, help=info.help, short_help=info.short_help)(stub)
    for group in app.registered_groups:
        sub = group.typer_instance
        help_text = sub.info.help if sub is not None else group.help
        light.add_typer(typer.Typer(rich_markup_mode=None, help=help_text), name=group.name)
    return light


def exit_code_for(exc: BaseException) -> int:
    from lineage.errors import HubError

    if isinstance(exc, HubError) and exc.reason == "not-found":
        return EXIT_INPUT  # the Hub answered: no such repo (a typo, or private without token)
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
    command = typer.main.get_command(_light_help_app() if args in ([], ["--help"]) else app)
    previous_term = _terminate_like_ctrl_c()
    _deadline_cuts(forget=True)
    try:
        result = command.main(args=args, prog_name="mlbom", standalone_mode=False)
        if result == _TYPER_INTERRUPTED:  # typer turns Ctrl-C into Exit(130), click returns it
            sys.stderr.write("mlbom: interrupted; no output file was written\n")
            return EXIT_OPERATIONAL
        return _partial_if_cut(result if isinstance(result, int) else EXIT_OK)
    except click.exceptions.Exit as exc:
        return _partial_if_cut(int(exc.exit_code))
    except click.exceptions.Abort:
        sys.stderr.write("mlbom: interrupted\n")
        return EXIT_OPERATIONAL
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except MlbomError as exc:
        if debug:
            _print_traceback()
        from lineage.text_safety import printable

        sys.stderr.write(f"mlbom: error: {printable(str(exc))}\n")
        return exit_code_for(exc)
    except KeyboardInterrupt:
        sys.stderr.write("mlbom: interrupted; no output file was written\n")
        return EXIT_OPERATIONAL
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # the last line of defence: a bug, said in one line
        if debug:
            _print_traceback()
        from lineage.text_safety import printable, redact_secrets

        detail = printable(redact_secrets(" ".join(str(exc).split())[:300]))
        sys.stderr.write(f"mlbom: internal error: {type(exc).__name__}: {detail} "
                         "(rerun with --debug)\n")
        return EXIT_OPERATIONAL
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)


_TYPER_INTERRUPTED = 130


def _deadline_cuts(*, forget: bool = False) -> bool:
    """Whether ``--deadline`` cut a Hub request in this run (never, when no Hub client was
    even imported: ``--help`` stays light)."""
    client = sys.modules.get("lineage.sources.hub_client")
    if client is None:
        return False
    if forget:
        client.forget_deadline_cuts()
        return False
    return bool(client.deadline_cut_a_request())


def _partial_if_cut(code: int) -> int:
    """A run the deadline cut wrote what it had; it is an operational failure all the same,
    so a gate never takes a partial answer for a complete one."""
    if code not in (EXIT_OK, EXIT_FINDINGS) or not _deadline_cuts():
        return code
    sys.stderr.write("mlbom: the --deadline was reached before the Hub had answered every "
                     "request: what was written is partial (what was not read is marked "
                     "hub-error: timed out, or named above); exit 3\n")
    return EXIT_OPERATIONAL


def _print_traceback() -> None:
    """``--debug``'s traceback, with URLs' credentials and tokens masked like every message."""
    from lineage.text_safety import redact_secrets

    sys.stderr.write(redact_secrets(traceback.format_exc()))


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
