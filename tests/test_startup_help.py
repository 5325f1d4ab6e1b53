"""``mlbom --help`` is rendered from stand-ins for the commands (only their names and help
texts), which saves building every command's options at start-up; it must print exactly what
the full application prints, now and after any command or help text changes."""

from __future__ import annotations

from typing import Any

import typer

from sbom import cli


def _full_help(args: list[str], capsys: Any) -> tuple[int, str, str]:
    command = typer.main.get_command(cli.app)
    try:
        code = command.main(args=args, prog_name="mlbom", standalone_mode=False)
    except typer.Exit as exc:  # pragma: no cover - click returns instead of raising here
        code = exc.exit_code
    except Exception as exc:  # click's usage error for no arguments
        exc.show()  # type: ignore[attr-defined]
        code = 2
    out = capsys.readouterr()
    return int(code or 0), out.out, out.err


def test_top_level_help_is_byte_identical_to_the_full_apps(capsys: Any) -> None:
    capsys.readouterr()
    code = cli.main(["--help"])
    light = capsys.readouterr()
    full = _full_help(["--help"], capsys)
    assert (code, light.out, light.err) == full
    for name in ("generate", "affected", "inventory", "index"):
        assert f"\n  {name} " in light.out


def test_no_arguments_gives_the_same_usage_error_as_before(capsys: Any) -> None:
    capsys.readouterr()
    code = cli.main([])
    light = capsys.readouterr()
    assert (code, light.out, light.err) == _full_help([], capsys)
    assert code == 2 and "Commands:" in light.err


def test_a_command_help_still_shows_its_options(capsys: Any) -> None:
    capsys.readouterr()
    assert cli.main(["affected", "--help"]) == 0
    assert "--deadline" in capsys.readouterr().out
