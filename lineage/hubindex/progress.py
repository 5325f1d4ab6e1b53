"""A rich progress bar for index builds, for the CLI to pass in.

Library code never prints; the CLI creates this and hands it to the build functions. It draws
on stderr only when stderr is a terminal, and does nothing otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class RichProgress:
    """``BuildProgress`` drawn with rich: bytes for a dump, models for a Hub listing."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def update(self, done: int, total: int | None, phase: str) -> None:
        if self._progress is None:
            return
        task = self._tasks.get(phase)
        if task is None:
            task = self._progress.add_task(phase, total=total)
            self._tasks[phase] = task
        self._progress.update(task, completed=done, total=total)


@contextmanager
def rich_progress(stream: TextIO | None = None) -> Iterator[RichProgress]:
    """Yield a progress reporter drawing on ``stream`` (stderr), disabled when not a TTY."""
    out = stream or sys.stderr
    if not out.isatty():
        yield RichProgress(None)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=out)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:
        yield RichProgress(bar)
