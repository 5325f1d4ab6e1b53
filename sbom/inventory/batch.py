"""Ingest many BOM files at once: parse in worker processes, write in few durable commits.

``add_files(store, jobs)`` takes ``AddJob``s (BOM files and the product version they are) and
stores them through ``Store.add_many``, ``batch`` product versions per transaction: each
commit is durable when it returns (SQLite ``synchronous = FULL``, PostgreSQL fsync and
synchronous_commit on) and covers whole product versions only, so after a crash a product
version is either stored with all its BOMs or not changed. ``workers`` processes (spawned,
so nothing of the store is shared) read and parse the BOMs and compute their rows
(``closure.prepare``) while this process writes; ``workers=0`` does everything here (on a
machine whose cores are all busy that is as fast: measured in bench/bench_inventory.py).

A BOM that cannot be read is a ``FileFailure`` naming the file and the problem: its product
version is not stored (nor changed), every other one is. Database failures raise
``StoreError`` and a worker that dies ``OperationalError``; what earlier commits stored stays
stored.
"""

from __future__ import annotations

import gc
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from lineage.errors import InputError, OperationalError
from sbom.inventory.closure import PreparedBom, prepare
from sbom.inventory.ingest import parse_bom_file
from sbom.inventory.store import check_name

DEFAULT_BATCH = 5000  # product versions per commit
_CHUNK = 50  # files per task sent to a worker
_IN_PROCESS_BELOW = 200  # files: fewer are parsed here (starting workers costs more)


@dataclass(frozen=True)
class AddJob:
    """BOM files that are one product version. ``product`` ``None``: named by the BOM itself
    (one file: its ``metadata.component`` name and version, see ``product_of``)."""

    files: tuple[str, ...]
    product: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class FileFailure:
    file: str
    message: str  # one line, naming the file


@dataclass
class AddReport:
    """What ``add_files`` did. ``seconds`` is wall time; ``cpu_seconds`` this process's CPU
    (workers' not included)."""

    product_versions: int = 0
    boms: int = 0
    replaced: int = 0
    commits: int = 0
    failures: list[FileFailure] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    workers: int = 0
    read_seconds: float = 0.0  # wall time waiting for parsed BOMs (all of the parse at jobs=0)
    store_seconds: float = 0.0  # wall time in add_many: writing and committing
    dropped_cycle_edges: int = 0  # edges closing a cycle in a foreign BOM, not stored


Progress = Callable[[AddReport, int], None]  # the report so far, files seen so far


def product_of(bom: PreparedBom) -> tuple[str, str]:
    """The product version a BOM names itself: its root component's name and version
    (``unversioned`` without one). For a product BOM of ``generate --scan`` that is the
    product and its version; for a model BOM, the model and its commit."""
    return bom.rows.root_name, bom.root_version or "unversioned"


def add_files(
    store: Any, jobs: Iterable[AddJob], *, batch: int = DEFAULT_BATCH, workers: int | None = None,
    progress: Progress | None = None, total_files: int | None = None,
) -> AddReport:
    """Store every job's BOMs (see the module docstring). ``workers`` ``None``: one per CPU
    but one (which this process writes on) when there are enough files to be worth it
    (``total_files`` tells). Workers are spawned: a script that calls this with workers must
    guard its entry point with ``if __name__ == "__main__":``."""
    job_list = list(jobs)
    files = sum(len(j.files) for j in job_list) if total_files is None else total_files
    if workers is None:
        workers = max((os.cpu_count() or 1) - 1, 0) if files >= _IN_PROCESS_BELOW else 0
    report = AddReport(workers=workers)
    t0, c0 = time.perf_counter(), time.process_time()
    named: dict[tuple[str, str], str] = {}  # product version -> the file that named it
    pending: list[tuple[list[PreparedBom], str, str]] = []
    seen = 0
    with _paused_gc():
        parsed_jobs = _prepared(job_list, workers, ahead=min(2 * batch, 4000))
        while True:
            w0 = time.perf_counter()
            item = next(parsed_jobs, None)
            report.read_seconds += time.perf_counter() - w0
            if item is None:
                break
            job, parsed = item
            seen += len(job.files)
            entry = _entry(job, parsed, named, report)
            if entry is not None:
                pending.append(entry)
            if len(pending) >= batch:
                _commit(store, pending, report)
                if progress:
                    progress(report, seen)
        if pending:
            _commit(store, pending, report)
            if progress:
                progress(report, seen)
    report.seconds = time.perf_counter() - t0
    report.cpu_seconds = time.process_time() - c0
    return report


def _entry(
    job: AddJob, parsed: list[PreparedBom | FileFailure], named: dict[tuple[str, str], str],
    report: AddReport,
) -> tuple[list[PreparedBom], str, str] | None:
    """The ``add_many`` entry of one job, or ``None`` (its failures recorded)."""
    failed = [p for p in parsed if isinstance(p, FileFailure)]
    if failed:
        report.failures += failed
        return None
    boms = [p for p in parsed if isinstance(p, PreparedBom)]
    if job.product is not None:
        product, version = job.product, job.version or "unversioned"
    else:
        product, version = product_of(boms[0])
    try:
        product, version = check_name(product, "product"), check_name(version, "version")
    except InputError as exc:
        report.failures.append(FileFailure(job.files[0], f"{job.files[0]}: {exc}"))
        return None
    if job.product is not None:
        return boms, product, version
    first = named.setdefault((product, version), job.files[0])
    if first != job.files[0]:  # a second file naming the same product version
        report.failures.append(FileFailure(job.files[0], (
            f"{job.files[0]}: names product {product!r} version {version!r}, which "
            f"{first} in this run names too; not stored (give --product/--version, or a "
            "list with one line per BOM of that version)")))
        return None
    return boms, product, version


def _commit(store: Any, pending: list[tuple[list[PreparedBom], str, str]],
            report: AddReport) -> None:
    t0 = time.perf_counter()
    results = store.add_many(pending)
    report.store_seconds += time.perf_counter() - t0
    report.commits += 1
    report.product_versions += len(results)
    report.boms += sum(r.boms for r in results)
    report.replaced += sum(r.replaced for r in results)
    report.dropped_cycle_edges += sum(r.dropped_cycle_edges for r in results)
    pending.clear()


def _prepare_file(path: str) -> PreparedBom | FileFailure:
    try:
        return prepare(parse_bom_file(path))
    except InputError as exc:
        return FileFailure(path, str(exc))
    except OSError as exc:
        return FileFailure(path, f"{path}: cannot read BOM ({exc.strerror or exc})")


def _prepare_chunk(paths: Sequence[str]) -> list[PreparedBom | FileFailure]:
    """A worker's task. Its garbage collector stays off: parsed BOMs hold no cycles."""
    gc.disable()
    return [_prepare_file(p) for p in paths]


def _prepared(
    jobs: list[AddJob], workers: int, ahead: int
) -> Iterator[tuple[AddJob, list[PreparedBom | FileFailure]]]:
    """Each job with its files parsed and prepared, in job order. The workers keep about
    ``ahead`` files parsed beyond the one being yielded, so they go on parsing while this
    process writes and commits a batch."""
    if workers <= 0:
        for job in jobs:
            yield job, [_prepare_file(f) for f in job.files]
        return
    chunks = _chunks(jobs)
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        window: deque[tuple[list[AddJob], Future[list[PreparedBom | FileFailure]]]] = deque()
        for chunk in chunks:  # a bounded window: memory stays flat however many files
            window.append((chunk, pool.submit(_prepare_chunk,
                                              [f for j in chunk for f in j.files])))
            if len(window) > max(workers * 4, ahead // _CHUNK):
                yield from _split(*window.popleft())
        while window:
            yield from _split(*window.popleft())


def _chunks(jobs: list[AddJob]) -> Iterator[list[AddJob]]:
    chunk: list[AddJob] = []
    size = 0
    for job in jobs:
        chunk.append(job)
        size += len(job.files)
        if size >= _CHUNK:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _split(
    chunk: list[AddJob], future: Future[list[PreparedBom | FileFailure]]
) -> Iterator[tuple[AddJob, list[PreparedBom | FileFailure]]]:
    try:
        results = future.result()
    except BrokenProcessPool as exc:  # killed (the OOM killer, a signal): say so, stop
        raise OperationalError(
            f"a BOM parsing worker died ({exc}) while reading {chunk[0].files[0]} or the "
            f"{sum(len(j.files) for j in chunk) - 1} files after it; what earlier commits "
            "stored stays stored (rerun with --jobs 0 to parse in one process)") from None
    start = 0
    for job in chunk:
        yield job, results[start:start + len(job.files)]
        start += len(job.files)


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Parsed BOMs are many small acyclic objects: reference counting frees them, and the
    cyclic collector's passes over a batch held in memory cost a third of the parse."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def expand_paths(paths: Iterable[Path]) -> list[str]:
    """BOM files from paths given on the command line: a folder stands for the ``*.json``
    files in it and below, sorted; a missing path is an ``InputError``."""
    out: list[str] = []
    for path in paths:
        if path.is_dir():
            out += sorted(str(p) for p in path.rglob("*.json") if p.is_file())
        elif path.exists():
            out.append(str(path))
        else:
            raise InputError(f"{path}: no such file or folder")
    return out
