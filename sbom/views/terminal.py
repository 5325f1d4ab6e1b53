"""Terminal tables that keep ids whole: cells wrap at ``/`` (and ``:``, ``=``, spaces) first.

rich wraps a cell at spaces and folds a longer word wherever the column ends, which cuts a repo
id mid-word ("contoso/Mistra" / "l-7B-Research-NC"). ``Breakable`` is a rich renderable that
wraps only after ``/ : = , >`` or a space, then, for a piece still wider than the column, after
``-`` or ``_``; only a piece with no such point left is folded by character. Its measurement
tells rich the narrowest width that needs no fold (the longest unbreakable piece), so rich
gives id columns room before it squeezes them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

_PRIMARY = re.compile(r"[^/:=,> ]*[/:=,> ]*")
_SECONDARY = re.compile(r"[^\-_]*[\-_]*")


def table_width(default: int = 120, stream: object = None) -> int:
    """Columns for a table: ``COLUMNS`` when set, the terminal's width when ``stream``
    (stdout by default) is a terminal, else ``default`` (files and pipes stay stable)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) >= 40:
        return int(env)
    out = stream if stream is not None else sys.stdout
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        return max(40, shutil.get_terminal_size((default, 24)).columns)
    return default


def _pieces(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [p for p in pattern.findall(text) if p]


def _split_piece(piece: str, width: int) -> list[str]:
    """A piece wider than ``width``: at ``-``/``_`` where possible, else by character."""
    out: list[str] = []
    for sub in _fill(_pieces(piece, _SECONDARY), width):
        if len(sub.rstrip()) <= width:
            out.append(sub)
        else:
            out += [sub[i:i + width] for i in range(0, len(sub), width)]
    return out


def _fill(pieces: Iterable[str], width: int) -> list[str]:
    """Pieces joined greedily into lines of at most ``width`` (trailing spaces not counted)."""
    lines: list[str] = []
    cur = ""
    for piece in pieces:
        if not cur or len(cur) + len(piece.rstrip()) <= width:
            cur += piece
            continue
        lines.append(cur)
        cur = piece
    if cur or not lines:
        lines.append(cur)
    return lines


def wrap_lines(text: str, width: int) -> list[str]:
    """``text`` (one paragraph) cut into lines of at most ``width`` characters, trailing
    spaces aside; joined, the lines are ``text``."""
    width = max(1, width)
    lines: list[str] = []
    for line in _fill(_pieces(text, _PRIMARY), width):
        lines += _split_piece(line, width) if len(line.rstrip()) > width else [line]
    return lines


class Breakable:
    """A table cell whose text wraps at id boundaries (see the module docstring)."""

    def __init__(self, text: str | Text, style: str = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text, style=style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        paragraphs = plain.split("\n")
        longest = max((len(p.rstrip()) for para in paragraphs
                       for p in _pieces(para, _PRIMARY)), default=0)
        widest = max((len(p) for p in paragraphs), default=0)
        return Measurement(min(longest, options.max_width), min(widest, options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for para in self.text.split("\n", allow_blank=True):
            cuts, pos = [], 0
            for piece in wrap_lines(para.plain, width)[:-1]:
                pos += len(piece)
                cuts.append(pos)
            for line in para.divide(cuts):
                line.rstrip()
                line.no_wrap = True
                line.overflow = "ignore"
                yield line


def render_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
                 width: int) -> str:
    """Rows as a table ``width`` columns wide, without colour. When the columns cannot fit
    side by side even wrapped at ids, each row becomes a record (one "column  value" line per
    field, empty fields left out), so no id has to be cut to fit."""
    from rich.table import Table

    console = Console(file=io.StringIO(), width=width, no_color=True, highlight=False)
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(Breakable(cell) for cell in row))
    unbounded = console.options.update_width(10_000)
    if Measurement.get(console, unbounded, table).minimum > width:
        table = Table(title=title, show_header=False, show_lines=True)
        table.add_column(overflow="fold")
        for row in rows:
            record = Table.grid(padding=(0, 2))
            record.add_column(style="bold", no_wrap=True)
            record.add_column()
            for col, value in zip(columns, row, strict=False):
                if value:
                    record.add_row(col, Breakable(value))
            table.add_row(record)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]
