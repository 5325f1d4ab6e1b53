"""Atomic file output: a reader sees the old file or the whole new one, never a part.

The document goes to a temporary file in the destination's folder, is flushed to disk, then
renamed over the destination with ``os.replace``. An interrupted run (Ctrl-C, kill) leaves at
most a stray ``.<name>.*.tmp`` file, which is removed when Python still gets to run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically (UTF-8 for text)."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
