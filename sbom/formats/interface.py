"""What an output format is: a name, a file extension, a writer and a validator.

Every document, view and review that ``mlbom`` writes is an ``OutputFormat`` in one registry
(``sbom.formats``), so the CLI looks a format up by the name the user typed instead of branching
on it, and a new format is one entry. Writers and validators import their heavy modules only when
called: looking a format up costs nothing at start-up.

A writer takes what the format renders (a ``LineageGraph`` for documents and views, a license
``Review`` for reviews) and ``RenderOptions``; it raises ``ValidationFailure`` rather than return
an invalid document. A validator checks a written text again (``None`` where the format has no
schema: views, the terminal table, markdown).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from lineage.errors import InputError

Group = Literal["bom", "view", "review"]


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the CycloneDX version, reproducible mode, colour (terminal text only)."""

    spec_version: str = "1.6"
    reproducible: bool = False
    color: bool = False
    locate: Any = None  # reviews in SARIF: finding -> physical location (check_formats)


@dataclass(frozen=True)
class OutputFormat:
    """One output: ``name`` as typed after ``--format``; ``label`` as shown in summaries."""

    name: str
    group: Group
    extension: str
    label: str
    write: Callable[[Any, RenderOptions], str]
    validate: Callable[[str, RenderOptions], None] | None = None

    def title(self, options: RenderOptions) -> str:
        """The label with the options filled in (``CycloneDX 1.7 ML-BOM``)."""
        return self.label.format(spec_version=options.spec_version)


class UnknownFormat(InputError):
    """No format of that name in the group: a usage error (exit 2)."""


class Registry:
    """Formats by group and name, in registration order (the order ``--help`` lists them)."""

    def __init__(self) -> None:
        self._formats: dict[tuple[str, str], OutputFormat] = {}

    def register(self, fmt: OutputFormat) -> OutputFormat:
        key = (fmt.group, fmt.name)
        if key in self._formats:
            raise ValueError(f"format {fmt.group}/{fmt.name} is registered twice")
        self._formats[key] = fmt
        return fmt

    def get(self, group: Group, name: str) -> OutputFormat:
        try:
            return self._formats[(group, name)]
        except KeyError:
            raise UnknownFormat(f"unknown {group} format {name!r} (expected "
                                f"{', '.join(self.names(group))})") from None

    def names(self, group: Group) -> list[str]:
        return [name for (g, name) in self._formats if g == group]

    def all(self) -> list[OutputFormat]:
        return list(self._formats.values())
