"""Read a local file that must stay small: at most ``limit`` bytes, else a clear refusal.

Every user-supplied file mlbom reads whole (a BOM, a policy, an advisory, a card in a local
folder, a scanned source file, a bundle, a key) goes through ``read_capped``, so "hitting a
limit is reported, never silent" holds in one place: the file is never read past ``limit + 1``
bytes, a file that grows between ``stat`` and ``read`` is refused like one that was large from
the start, and nothing is truncated quietly. Standard library only, so any layer may import it.

The caller keeps its own words: ``CappedReadError.choose`` picks the caller's message for the
reason the read failed, so each command's error lines stay what its users already know.
"""

from __future__ import annotations

import os
from typing import Literal

Reason = Literal["unreadable", "too-large", "not-utf8"]


class CappedReadError(Exception):
    """Why a capped read failed. ``reason`` is ``unreadable`` (``detail`` has the OS's words),
    ``too-large`` (``size`` is the size ``stat`` gave, or ``None`` when only the read found
    it out: a pipe, or a file that grew) or ``not-utf8``."""

    def __init__(self, reason: Reason, limit: int, *, detail: str = "",
                 size: int | None = None) -> None:
        super().__init__({"unreadable": f"cannot read: {detail}",
                          "too-large": f"larger than {limit} bytes",
                          "not-utf8": "not UTF-8"}[reason])
        self.reason: Reason = reason
        self.limit = limit
        self.detail = detail
        self.size = size

    def choose(self, *, unreadable: str, too_large: str, not_utf8: str = "") -> str:
        """The one of the caller's messages that fits this failure."""
        return {"unreadable": unreadable, "too-large": too_large, "not-utf8": not_utf8}[
            self.reason]


def read_capped(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; ``CappedReadError`` otherwise.

    A regular file whose size is over ``limit`` is refused before it is opened; any file is
    read at most ``limit + 1`` bytes, which is how a pipe or a growing file is caught."""
    try:
        size = os.stat(path).st_size
        if size > limit:
            raise CappedReadError("too-large", limit, size=size)
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise CappedReadError("unreadable", limit, detail=str(exc.strerror or exc)) from exc
    except ValueError as exc:  # an embedded NUL in the path
        raise CappedReadError("unreadable", limit, detail=str(exc)) from exc
    if len(data) > limit:
        raise CappedReadError("too-large", limit)
    return data


def read_capped_text(path: str | os.PathLike[str], limit: int) -> str:
    """``read_capped`` decoded as UTF-8 (``not-utf8`` when it is not)."""
    data = read_capped(path, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CappedReadError("not-utf8", limit) from None
