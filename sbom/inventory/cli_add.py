"""``mlbom inventory add``: what the command does once its options are parsed.

Two ways to name what is stored:

- ``--product P [--version V]``: every BOM given is one product version (as before: every BOM
  is read first, and one that cannot be read stores nothing; one commit).
- without ``--product``: each BOM is its own product version, named by the BOM itself (its
  ``metadata.component`` name and version: the product and version of a product BOM from
  ``mlbom generate --scan``, the model and its commit for a model BOM); or named in a list
  (``--list FILE``, ``-`` for stdin) of lines ``PATH`` or ``PATH<TAB>PRODUCT<TAB>VERSION``,
  where lines naming the same product version are that version's BOMs. They are stored in
  batches, one durable commit per ``--batch`` product versions. A BOM that cannot be read is
  reported on its own line naming the file and is not stored; the rest is, and the exit code
  is then 2.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from lineage.capped_read import CappedReadError, read_capped_text
from lineage.errors import InputError
from lineage.text_safety import printable
from sbom.inventory.batch import AddJob, AddReport, add_files, expand_paths

MAX_LIST_BYTES = 256 * 1024 * 1024  # about two million lines
PLAIN_EVERY_S = 10.0  # seconds between two progress lines when stderr is not a terminal


def add_command(
    boms: list[Path], product: str | None, version: str | None, list_file: Path | None,
    db: str | None, batch: int, jobs: int | None, quiet: bool,
) -> None:
    from sbom.inventory.store import open_store

    if product is not None:
        if list_file is not None:
            raise InputError("give either --product (all BOMs are one product version) or "
                             "--list (each line names its own), not both")
        paths = expand_paths(boms)
        with open_store(db) as store:
            r = store.add_boms(paths, product, version or "unversioned")
        sys.stderr.write(f"{'replaced' if r.replaced else 'stored'} {r.product} {r.version}: "
                         f"{r.boms} BOM(s), {r.nodes} nodes, {r.edges} edges\n")
        _cycle_note(r.dropped_cycle_edges, sys.stderr)
        return
    if version is not None:
        raise InputError("--version needs --product (without it each BOM names its own "
                         "product version)")
    job_list = [AddJob((f,)) for f in expand_paths(boms)]
    if list_file is not None:
        job_list += read_list(list_file)
    if not job_list:
        raise InputError("no BOM files given (give files, folders or --list FILE)")
    files = sum(len(j.files) for j in job_list)
    show = None if quiet else _progress_line(sys.stderr, files)
    with open_store(db) as store:
        report = add_files(store, job_list, batch=batch, workers=jobs, progress=show)
    _summary(report, files, sys.stderr)


def read_list(path: Path) -> list[AddJob]:
    """The jobs of a list file (see the module docstring); ``InputError`` names the line."""
    label = "stdin" if str(path) == "-" else str(path)
    try:
        text = read_capped_text("/dev/stdin" if label == "stdin" else path, MAX_LIST_BYTES)
    except CappedReadError as exc:
        raise InputError(exc.choose(
            unreadable=f"{label}: cannot read the list ({exc.detail})",
            too_large=f"{label}: the list is over the {MAX_LIST_BYTES >> 20} MiB limit",
            not_utf8=f"{label}: the list is not UTF-8")) from exc
    named: dict[tuple[str, str], list[str]] = {}
    jobs: list[AddJob | tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 1:
            jobs.append(AddJob((fields[0].strip(),)))
        elif len(fields) == 3 and all(f.strip() for f in fields):
            key = (fields[1].strip(), fields[2].strip())
            if key not in named:
                named[key] = []
                jobs.append(key)
            named[key].append(fields[0].strip())
        else:
            raise InputError(f"{label} line {number}: expected PATH or PATH<TAB>PRODUCT<TAB>"
                             f"VERSION, got {printable(line[:120])!r}")
    return [j if isinstance(j, AddJob) else AddJob(tuple(named[j]), *j) for j in jobs]


def _progress_line(out: TextIO, total: int) -> Callable[[AddReport, int], None]:
    """Progress after each commit: redrawn in place on a terminal, else a line every 10 s."""
    tty = out.isatty()
    last = [0.0]

    def show(report: AddReport, seen: int) -> None:
        now = time.monotonic()
        if not tty and now - last[0] < PLAIN_EVERY_S and seen < total:
            return
        last[0] = now
        text = (f"… {seen} of {total} BOM files read, {report.product_versions} product "
                f"version(s) stored in {report.commits} commit(s), "
                f"{len(report.failures)} failed")
        out.write(f"\r{text}\x1b[K" if tty else text + "\n")
        out.flush()

    return show


def _cycle_note(dropped: int, out: TextIO) -> None:
    if dropped:
        out.write(f"mlbom: warning: {dropped} dependency edge(s) closing a cycle in a BOM were "
                  "not stored: affected paths through them are not listed\n")


def _summary(report: AddReport, files: int, out: TextIO) -> None:
    if out.isatty():
        out.write("\r\x1b[K")
    for failure in report.failures:
        out.write(f"mlbom: error: {printable(failure.message)}\n")
    rate = report.boms / report.seconds if report.seconds else 0.0
    out.write(
        f"stored {report.product_versions} product version(s) ({report.replaced} replaced), "
        f"{report.boms} BOM(s) of {files}, in {report.commits} durable commit(s): "
        f"{report.seconds:.1f} s, {rate:.0f} BOMs/s ({report.cpu_seconds:.1f} CPU-s in this "
        f"process, {report.workers} parsing worker(s))\n")
    _cycle_note(report.dropped_cycle_edges, out)
    if report.failures:
        raise InputError(f"{len(report.failures)} of {files} BOM file(s) not stored "
                         "(each is named above); the rest is stored")
