"""The Hub option set declared once (``cli_options.with_hub_options``) reaches each command
that takes it: the options parse, and their values change what the command reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbom.cli import main

HUB = str(Path(__file__).resolve().parents[1] / "fixtures" / "hub")


@pytest.mark.parametrize("command", [["tree"], ["graph", "--format", "mermaid"],
                                     ["licenses", "--fail-on", "never"]])
def test_max_depth_and_mirror_reach_the_resolver(command: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main([command[0], "acme/Atlas-Merge-7B", *command[1:], "--hub-mirror", HUB,
                 "--max-depth", "0"]) == 0
    assert "depth-limit" in capsys.readouterr().out
    assert main([command[0], "acme/Atlas-Merge-7B", *command[1:], "--hub-mirror", HUB]) == 0
    assert "depth-limit" not in capsys.readouterr().out


@pytest.mark.parametrize("command", ["tree", "graph", "licenses"])
def test_offline_reaches_the_run_options(command: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "acme/x", "--offline"]) == 3
    assert "offline" in capsys.readouterr().err


def test_a_hub_option_a_command_does_not_take_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", "x.json", "--hub-mirror", HUB]) == 2
    assert "No such option" in capsys.readouterr().err
