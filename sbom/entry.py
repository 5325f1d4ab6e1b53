"""The ``mlbom`` console script: answers ``mlbom --version`` before importing the CLI.

``sbom.cli`` builds the typer app at import time (typer, click: tens of milliseconds, more on a
busy machine), which ``--version`` does not need. Everything else goes to ``sbom.cli.main``.
"""

from __future__ import annotations

import sys


def main() -> int:
    if sys.argv[1:] == ["--version"]:
        from lineage import __version__

        sys.stdout.write(f"mlbom {__version__}\n")
        return 0
    from sbom.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
