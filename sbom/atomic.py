"""Output files: atomic for regular files, direct for devices and pipes, checked up front.

A regular file is written to a temporary file in the destination's folder, flushed to disk,
given the mode the user's umask gives a new file (``0666 & ~umask``, also when it replaces a
``0644`` file), then renamed over the destination with ``os.replace``: a reader sees the old
file or the whole new one, never a part. An interrupted run (Ctrl-C, kill) leaves at most a
stray ``.<name>.*.tmp`` file, which is removed when Python still gets to run.

A character device or a FIFO (``/dev/null``, ``/dev/stdout``, a pipe) is written directly and
never replaced by a regular file; a block device, a socket or a folder is refused.
``check_output_path`` says all of that before any work is done (the CLI's ``-o`` calls it when
it parses the option). Failures are one line naming the path: ``InputError`` (exit 2) for a
path the user can fix, ``OperationalError`` (exit 3) for a full disk or an I/O error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from lineage.errors import InputError, OperationalError

_OPERATIONAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG}


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if mlbom can write there; else ``InputError`` naming it. Nothing is created."""
    target = Path(path)
    if not str(path):
        raise InputError("the output path is empty")
    try:
        st = target.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"cannot use {path} as output: {exc.strerror or exc}") from exc
    if st is not None:
        _check_existing(target, st.st_mode)
        return target
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InputError(f"cannot write {path}: the folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: the folder {folder} is not writable")
    return target


def check_output_folder(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is a folder or can be made one (its parent exists); else
    ``InputError`` naming it. Nothing is created."""
    folder = Path(path)
    if folder.exists():
        if not folder.is_dir():
            raise InputError(f"cannot write a mirror to {path}: it is not a folder")
        return folder
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write a mirror to {path}: the folder {parent} does not exist")
    return folder


def _check_existing(target: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(f"cannot write {target}: it is a folder (give a file name)")
    if stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
        kind = "a block device" if stat.S_ISBLK(mode) else "a socket"
        raise InputError(f"refusing to write {target}: it is {kind}")


def _new_file_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to ``path`` (UTF-8 for text): atomically for a regular file, directly
    for a character device or FIFO."""
    target = check_output_path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    try:
        if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            _write_direct(target, payload)
        else:
            _write_replace(target, payload)
    except OSError as exc:
        raise _output_error(target, exc) from exc


def _write_direct(target: Path, payload: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_NOCTTY)  # never O_CREAT: it must exist
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
        fh.flush()


def _write_replace(target: Path, payload: bytes) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), _new_file_mode())
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _output_error(target: Path, exc: OSError) -> Exception:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    message = f"cannot write {target}: {reason.lower()}; no output file was written"
    if exc.errno in _OPERATIONAL_ERRNOS:
        return OperationalError(message)
    return InputError(message)
