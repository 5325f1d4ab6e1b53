"""Static pickle scanning: which globals a pickle would import, without ever unpickling it.

Choice: picklescan (the scanner the Hugging Face Hub itself runs), not a hand-written
``pickletools`` walker. It disassembles with ``pickletools.genops`` only (no ``pickle.load``,
no ``find_class``), follows ``STACK_GLOBAL`` through the memo so obfuscated imports are found,
opens zip-based torch checkpoints (``archive/data.pkl``), legacy torch files (several pickles
in a row), numpy ``.npy`` object arrays and ``.npz`` archives, and keeps a maintained deny list
(``os``/``posix``/``nt``, ``subprocess``, ``builtins.eval``/``exec``/``open``/``getattr``,
``runpy``, ``socket``, ``pickle``, ``operator.attrgetter``...) and a small allow list (torch
storages, ``torch._utils._rebuild_tensor_v2``, ``collections.OrderedDict``, numpy arrays).
Globals on neither list are *suspicious*. On top of picklescan's deny list we mark a few
more modules dangerous (``EXTRA_DANGEROUS_MODULES``), so a picklescan list change cannot
silently downgrade them.

Callers can rely on: ``scan_pickle_file`` never raises for the file's content; a truncated,
malformed or unreadable file is reported in ``PickleScan.errors``. At most ``max_bytes`` of
a plain (non-zip) pickle file are read; zip archives are read through their directory and only
their pickle members are parsed. 7z archives are not opened (reported as an error).
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from picklescan import scanner as _ps

# picklescan logs every dangerous import as a warning; a library must not print, and
# without a handler Python's last-resort handler would write them to stderr.
logging.getLogger("picklescan").addHandler(logging.NullHandler())

MAX_PICKLE_SCAN_BYTES = 64 * 1024 * 1024

#: File extensions whose content is pickle-based (or may carry pickles).
PICKLE_EXTENSIONS = frozenset(
    {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".dat"}
)

#: Modules always treated as dangerous, whatever picklescan's list says.
EXTRA_DANGEROUS_MODULES = frozenset(
    {
        "os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "pty",
        "importlib", "ctypes", "webbrowser", "code", "codeop", "marshal", "pickle", "_pickle",
        "multiprocessing", "commands", "popen2", "platform",
    }
)
EXTRA_DANGEROUS_GLOBALS = frozenset(
    {
        ("builtins", "eval"), ("builtins", "exec"), ("builtins", "compile"),
        ("builtins", "open"), ("builtins", "__import__"), ("builtins", "getattr"),
        ("builtins", "setattr"), ("builtins", "globals"), ("builtins", "breakpoint"),
        ("__builtin__", "eval"), ("__builtin__", "exec"), ("__builtin__", "__import__"),
        ("__builtin__", "open"), ("__builtin__", "getattr"), ("__builtin__", "execfile"),
        ("types", "CodeType"), ("types", "FunctionType"),
        # ``builtins.open`` pickles as ``io.open``; picklescan only rates it suspicious.
        ("io", "open"), ("_io", "open"), ("io", "FileIO"), ("_io", "FileIO"),
        ("io", "open_code"), ("_io", "open_code"), ("codecs", "open"),
    }
)

_ZIP_MAGIC = b"PK\x03\x04"
_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"


@dataclass(frozen=True, order=True)
class PickleImport:
    """One global a pickle references: ``module.name`` and how risky it is."""

    module: str
    name: str
    safety: str  # innocuous, suspicious, dangerous

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class PickleScan:
    """What a static scan of one file found. Errors are data, not exceptions."""

    file: str
    imports: tuple[PickleImport, ...] = ()
    errors: tuple[str, ...] = ()
    bytes_scanned: int = 0

    @property
    def dangerous(self) -> tuple[PickleImport, ...]:
        return tuple(i for i in self.imports if i.safety == "dangerous")

    @property
    def suspicious(self) -> tuple[PickleImport, ...]:
        return tuple(i for i in self.imports if i.safety == "suspicious")


def is_pickle_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in PICKLE_EXTENSIONS


def _classify(module: str, name: str, picklescan_level: str) -> str:
    root = module.split(".", 1)[0]
    if (
        picklescan_level == "dangerous"
        or root in EXTRA_DANGEROUS_MODULES
        or (module, name) in EXTRA_DANGEROUS_GLOBALS
        or "unknown" in (module, name)
    ):
        return "dangerous"
    return picklescan_level


def _result(file: str, found: _ps.ScanResult, errors: list[str], n: int) -> PickleScan:
    imports = {
        PickleImport(g.module, g.name, _classify(g.module, g.name, g.safety.value))
        for g in found.globals
    }
    if found.scan_err:
        errors.append("the pickle stream is malformed after the imports listed")
    return PickleScan(file, tuple(sorted(imports)), tuple(errors), n)


def scan_pickle_stream(data: IO[bytes], file: str, *, ext: str | None = None) -> PickleScan:
    """Scan an open, seekable binary stream (a file or ``BytesIO``) named ``file``."""
    errors: list[str] = []
    try:
        found = _ps.scan_bytes(data, file, ext)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a scan error, as data
        return PickleScan(file, (), (f"could not scan: {type(exc).__name__}: {exc}"[:300],))
    return _result(file, found, errors, data.tell())


def scan_pickle_bytes(data: bytes, file: str) -> PickleScan:
    """Scan pickle bytes already in memory (e.g. the head of a remote file)."""
    return scan_pickle_stream(io.BytesIO(data), file, ext=os.path.splitext(file)[1].lower())


def scan_pickle_file(
    path: Path, *, name: str | None = None, max_bytes: int = MAX_PICKLE_SCAN_BYTES
) -> PickleScan:
    """Scan one local file statically. ``name`` is how findings name it (default: the path)."""
    label = name or str(path)
    ext = path.suffix.lower()
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            fh.seek(0)
            if head.startswith(_7Z_MAGIC):
                return PickleScan(label, (), ("7z archives are not opened",), 0)
            if head.startswith(_ZIP_MAGIC):
                return scan_pickle_stream(fh, label, ext=ext)
            if size <= max_bytes:
                return scan_pickle_stream(fh, label, ext=ext)
            data = fh.read(max_bytes)
    except OSError as exc:
        return PickleScan(label, (), (f"cannot read: {exc.strerror or exc}",))
    scan = scan_pickle_stream(io.BytesIO(data), label, ext=ext)
    note = f"only the first {max_bytes} of {size} bytes were scanned"
    return PickleScan(scan.file, scan.imports, (*scan.errors, note), scan.bytes_scanned)
