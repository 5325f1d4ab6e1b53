"""SHA-256 of local files, using every core.

Signature checks and weight hashes on local folders read whole models (gigabytes), so this is a
hot path (goal: at least 90% of ``sha256sum``'s throughput on the same files; see
``bench/bench_hashing.py``). Files are hashed in a thread pool: ``hashlib`` releases the GIL
while it digests a buffer larger than 2 KiB, so one thread per core keeps every core busy. Each
worker reads into one reused buffer (``readinto``), so no per-read allocation happens.

Callers can rely on: names are relative POSIX paths under ``root``; a name that escapes
``root`` (``..``, absolute) or a file that cannot be read raises ``InputError`` naming it;
the result maps each name to a lower-case hex digest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from lineage.errors import InputError

CHUNK_SIZE = 4 * 1024 * 1024  # 1-8 MiB reads keep the syscall overhead negligible


def default_workers() -> int:
    """One thread per usable core (at least one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def safe_join(root: Path, name: str) -> Path:
    """``root / name`` for a relative POSIX ``name`` that stays inside ``root``."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise InputError(f"refusing to read a path outside the folder: {name!r}", subject=str(root))
    return root.joinpath(*pure.parts)


def hash_file(
    path: Path, *, algorithm: str = "sha256", chunk_size: int = CHUNK_SIZE
) -> str:
    """Hex digest of one file (``algorithm`` as ``hashlib.new`` names it)."""
    hasher = hashlib.new(algorithm)
    buf = bytearray(chunk_size)
    view = memoryview(buf)
    try:
        with open(path, "rb", buffering=0) as fh:
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                hasher.update(view[:n])
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", subject=str(path)) from exc
    return hasher.hexdigest()


def hash_files(
    root: Path,
    names: Iterable[str],
    *,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    algorithm: str = "sha256",
) -> dict[str, str]:
    """Digest every file ``root/name`` in parallel; returns ``{name: hex digest}``.

    Larger files are started first so that one big file does not end up alone on one core at
    the end of the run.
    """
    unique = list(dict.fromkeys(names))
    paths = {name: safe_join(root, name) for name in unique}
    if not unique:
        return {}

    def size_of(name: str) -> int:
        try:
            return paths[name].stat().st_size
        except OSError:
            return 0

    order = sorted(unique, key=size_of, reverse=True)
    n_workers = min(workers or default_workers(), len(order))
    job: Callable[[str], str] = lambda name: hash_file(  # noqa: E731
        paths[name], algorithm=algorithm, chunk_size=chunk_size
    )
    if n_workers == 1:
        return {name: job(name) for name in unique}
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="mlbom-hash") as pool:
        digests = dict(zip(order, pool.map(job, order), strict=True))
    return {name: digests[name] for name in unique}


def list_files(root: Path) -> list[str]:
    """Every regular file under ``root`` as a relative POSIX path, sorted; symlinked files are
    listed (the caller decides about them), symlinked folders are not followed."""
    out: list[str] = []
    for base, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        rel = Path(base).relative_to(root)
        for f in files:
            p = Path(base) / f
            if p.is_file():
                out.append((rel / f).as_posix())
    return sorted(out)
