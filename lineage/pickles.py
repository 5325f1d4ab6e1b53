"""Static pickle scanning: which globals a pickle would import, without ever unpickling it.

Choice: picklescan's rules (the scanner the Hugging Face Hub itself runs) over our own
streaming walk. picklescan keeps a maintained deny list (``os``/``posix``/``nt``,
``subprocess``, ``builtins.eval``/``exec``/``open``/``getattr``, ``runpy``, ``socket``,
``pickle``, ``operator.attrgetter``...) and a small allow list (torch storages,
``torch._utils._rebuild_tensor_v2``, ``collections.OrderedDict``, numpy arrays); globals on
neither list are *suspicious*. On top of its deny list we mark a few more modules dangerous
(``EXTRA_DANGEROUS_MODULES``), so a picklescan list change cannot silently downgrade them.

The walk is ours because picklescan's keeps every opcode of a pickle in a list (a 64 MiB
pickle of ``NONE`` opcodes took 4.8 GB) and opens zip members without a size cap. Here the
opcodes stream through ``pickletools.genops`` (no ``pickle.load``, no ``find_class``) and only
what ``STACK_GLOBAL`` needs is kept: the last two values and the memoized *strings*. It
follows ``STACK_GLOBAL`` through the memo like picklescan (a memo key it does not hold, or a
non-string operand, is the import ``unknown``, rated dangerous), opens zip-based torch
checkpoints (``archive/data.pkl``) and ``.npz`` archives through their directory, legacy torch
files (up to five pickles in a row, then raw tensor bytes) and numpy ``.npy`` object arrays.

Bounds, per file (zip members share them): ``MAX_PICKLE_SCAN_BYTES`` of pickle bytes,
``MAX_PICKLE_OPCODES`` opcodes, ``MAX_MEMO_STRINGS`` memoized strings of at most
``MAX_MEMO_STRING_CHARS`` characters, ``MAX_ZIP_MEMBERS`` members looked at. A member is read
up to the smaller of its declared size and the cap, and never past the cap whatever the zip
directory claims. Whatever a bound stopped from being read is listed in
``PickleScan.incomplete`` (the ``pickle-scan-incomplete`` finding), never dropped.

Callers can rely on: ``scan_pickle_file`` never raises for the file's content; a truncated,
malformed or unreadable file is reported in ``PickleScan.errors``; peak memory is bounded by
the caps (about 100 MB), whatever the input.
"""

from __future__ import annotations

import io
import logging
import os
import pickletools
import zipfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from picklescan import scanner as _ps

# picklescan logs every dangerous import as a warning; a library must not print, and
# without a handler Python's last-resort handler would write them to stderr.
logging.getLogger("picklescan").addHandler(logging.NullHandler())

MAX_PICKLE_SCAN_BYTES = 64 * 1024 * 1024
MAX_PICKLE_OPCODES = 16_000_000
MAX_MEMO_STRINGS = 200_000
MAX_MEMO_STRING_CHARS = 256
MAX_ZIP_MEMBERS = 100_000  # a zip declaring more is not opened: its directory alone is large
MAX_ZIP_DIRECTORY_BYTES = 32 * 1024 * 1024  # nor one whose central directory is larger
#: A legacy (non-zip) torch file holds five pickles, then raw tensor bytes.
LEGACY_TORCH_PICKLES = 5
MAX_PICKLES_PER_STREAM = 1_000

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
_NUMPY_MAGIC = b"\x93NUMPY"
_PICKLE_MAGICS = tuple(bytes([0x80, proto]) for proto in range(6))
_TORCH_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt"})
_MEMO_PUTS = frozenset({"MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"})
_MEMO_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_STRING_OPS = frozenset({"SHORT_BINUNICODE", "UNICODE", "BINUNICODE", "BINUNICODE8", "STRING",
                         "BINSTRING", "SHORT_BINSTRING"})


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
    """What a static scan of one file found. Errors and stopped reads are data, not
    exceptions: ``errors`` (unreadable, malformed) and ``incomplete`` (a bound stopped the
    scan: what was not read, and why)."""

    file: str
    imports: tuple[PickleImport, ...] = ()
    errors: tuple[str, ...] = ()
    bytes_scanned: int = 0
    incomplete: tuple[str, ...] = ()

    @property
    def dangerous(self) -> tuple[PickleImport, ...]:
        return tuple(i for i in self.imports if i.safety == "dangerous")

    @property
    def suspicious(self) -> tuple[PickleImport, ...]:
        return tuple(i for i in self.imports if i.safety == "suspicious")


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


# -- bounded reading --------------------------------------------------------------------------
class _CapHit(Exception):
    """A scan bound was reached; the message says which."""


@dataclass
class _Budget:
    """What one file's scan may still read; shared by the members of a zip."""

    max_bytes: int = MAX_PICKLE_SCAN_BYTES
    max_ops: int = MAX_PICKLE_OPCODES
    bytes_read: int = 0
    ops: int = 0
    incomplete: list[str] = field(default_factory=list)

    def note(self, why: str) -> None:
        if why not in self.incomplete:
            self.incomplete.append(why)


class _CappedRaw(io.RawIOBase):
    """A raw stream over ``raw`` that ends at ``limit`` bytes and at the budget's byte cap.

    Wrapped in an ``io.BufferedReader`` (so ``genops``' one-byte reads stay in C), it makes
    any read, even one for a string claiming 2**62 bytes, end at the cap. ``capped`` says
    the stream ended at a cap while more data was there (not at its natural end)."""

    def __init__(self, raw: IO[bytes], budget: _Budget, limit: int) -> None:
        super().__init__()
        self.raw, self.budget, self.limit = raw, budget, limit
        self.pos = 0
        self.capped = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR and offset == 0:  # a position query, as tell() makes
            return self.pos
        raise io.UnsupportedOperation("seek")

    def readinto(self, buffer: Any) -> int:
        left = min(self.limit - self.pos, self.budget.max_bytes - self.budget.bytes_read)
        if left <= 0:
            if not self.capped and self.raw.read(1):
                self.capped = True  # there was more: the cap, not the end, stopped us
            return 0
        view = memoryview(buffer)
        data = self.raw.read(min(len(view), left))
        view[: len(data)] = data
        self.pos += len(data)
        self.budget.bytes_read += len(data)
        return len(data)


class _Reads:
    """Only the buffered reader's ``read``, ``readline`` and ``peek`` (C methods). Without a
    ``tell``, ``genops`` asks no position per opcode, which would cost a Python call each."""

    __slots__ = ("peek", "read", "readline")

    def __init__(self, buffered: io.BufferedReader) -> None:
        self.read, self.readline, self.peek = buffered.read, buffered.readline, buffered.peek


def _bounded(raw: IO[bytes], budget: _Budget, limit: int) -> tuple[_Reads, _CappedRaw]:
    capped = _CappedRaw(raw, budget, limit)
    return _Reads(io.BufferedReader(capped, 64 * 1024)), capped


# -- the walk ---------------------------------------------------------------------------------
_GLOBAL_OPS = frozenset({"GLOBAL", "INST", "STACK_GLOBAL"})


class _GlobalsWalk:
    """The globals one stream's pickles reference, found as the opcodes stream by: the
    memo holds only strings, and only the last two values are kept for ``STACK_GLOBAL``
    (like picklescan, memo writes are skipped when looking back for its operands)."""

    def __init__(self, budget: _Budget, label: str) -> None:
        self.budget, self.label = budget, label
        self.found: set[tuple[str, str]] = set()
        self.memo: dict[int, str] = {}
        self.memo_next = 0
        self.recent: deque[tuple[Any, Any, Any]] = deque([(None, None, None)] * 2, maxlen=2)

    def one_pickle(self, reader: _Reads) -> None:
        """Walk one pickle up to its STOP. Raises ``_CapHit`` or the parser's error."""
        budget, recent = self.budget, self.recent
        ops, max_ops = budget.ops, budget.max_ops
        try:
            for item in pickletools.genops(reader):  # type: ignore[arg-type]
                ops += 1
                if ops > max_ops:
                    raise _CapHit(f"{self.label}: stopped after {max_ops} opcodes "
                                  "(the opcode cap)")
                name = item[0].name
                if name in _MEMO_PUTS:
                    self._put(name, item[1])
                    continue
                if name in _GLOBAL_OPS:
                    self._global(name, item[1])
                recent.append(item)
        finally:
            budget.ops = min(ops, max_ops)

    def _global(self, name: str, arg: object) -> None:
        if name != "STACK_GLOBAL":
            module, _, attr = str(arg).partition(" ")
            self.found.add((module, attr))
            return
        older, newer = self.recent
        self.found.add((self._string_of(older), self._string_of(newer)))

    def _put(self, name: str, arg: object) -> None:
        index = self.memo_next if name == "MEMOIZE" else arg
        self.memo_next += name == "MEMOIZE"
        if not isinstance(index, int):
            return
        value = self._string_of(self.recent[-1])
        if value == "unknown":
            self.memo.pop(index, None)
        elif len(self.memo) < MAX_MEMO_STRINGS or index in self.memo:
            self.memo[index] = value[:MAX_MEMO_STRING_CHARS]
        else:
            self.budget.note(f"{self.label}: more than {MAX_MEMO_STRINGS} memoized strings; "
                             "later references to them are rated as unknown imports")

    def _string_of(self, item: tuple[Any, Any, Any]) -> str:
        opcode, arg = item[0], item[1]
        name = opcode.name if opcode is not None else ""
        if name in _STRING_OPS and isinstance(arg, str):
            return arg
        if name in _MEMO_GETS and isinstance(arg, int):
            return self.memo.get(arg, "unknown")
        return "unknown"

    def stream(self, reader: _Reads, max_pickles: int) -> str | None:
        """Walk up to ``max_pickles`` pickles in a row; the parse error, if one ended it."""
        for _ in range(max_pickles):
            if not reader.peek(1):
                return None
            ops_before = self.budget.ops
            try:
                self.one_pickle(reader)
            except _CapHit:
                raise
            except Exception as exc:  # noqa: BLE001 - a malformed stream is data
                if self.found:
                    return "the pickle stream is malformed after the imports listed"
                if self.budget.ops == ops_before:
                    return f"not a pickle stream ({type(exc).__name__}: {exc})"[:300]
                return (f"the pickle stream is malformed or cut short ({type(exc).__name__}: "
                        f"{exc}); what follows was not scanned")[:300]
        return None


# -- files and containers ---------------------------------------------------------------------
def _classified(label: str, walk: _GlobalsWalk, budget: _Budget, errors: list[str]
                ) -> PickleScan:
    found = _ps._build_scan_result_from_raw_globals(walk.found, label)
    imports = {PickleImport(g.module, g.name, _classify(g.module, g.name, g.safety.value))
               for g in found.globals}
    return PickleScan(label, tuple(sorted(imports)), tuple(errors), budget.bytes_read,
                      tuple(budget.incomplete))


def _scan_stream(raw: IO[bytes], label: str, ext: str, walk: _GlobalsWalk, budget: _Budget,
                 errors: list[str], *, limit: int, name: str | None = None) -> None:
    """One pickle-bearing stream (a file or a zip member): legacy torch, .npy or pickles."""
    reader, capped = _bounded(raw, budget, limit)
    where = f"{label}: member {name}" if name else label
    torch_legacy = ext in _TORCH_SUFFIXES and not name
    try:
        if reader.peek(8).startswith(_NUMPY_MAGIC) and not _numpy_holds_objects(reader, errors):
            return
        err = walk.stream(reader, LEGACY_TORCH_PICKLES if torch_legacy else
                          MAX_PICKLES_PER_STREAM)
        if err is None and not torch_legacy and reader.peek(1):  # legacy torch: tensor data
            budget.note(f"{where}: stopped after {MAX_PICKLES_PER_STREAM} pickles in a row; "
                        "the rest of the stream was not scanned")
    except _CapHit as cap:
        budget.note(str(cap))
        return
    except MemoryError:
        err = "a pickle argument too large to read"
    if capped.capped:
        budget.note(f"{where}: only the first {capped.pos} bytes were scanned (cap: "
                    f"{budget.max_bytes} bytes of pickle data per file)")
    elif err and not (torch_legacy and walk.found):
        errors.append(f"{name}: {err}" if name else err)


def _numpy_holds_objects(reader: _Reads, errors: list[str]) -> bool:
    """Read a .npy header; True when its dtype holds objects (then a pickle follows)."""
    try:
        from numpy.lib import format as npformat

        version = npformat.read_magic(reader)
        read = npformat.read_array_header_1_0 if version == (1, 0) else \
            npformat.read_array_header_2_0
        _shape, _order, dtype = read(reader)
    except Exception as exc:  # noqa: BLE001 - a malformed header is data
        errors.append(f"malformed .npy header: {type(exc).__name__}: {exc}"[:300])
        return False
    return bool(dtype.hasobject)


def _scan_zip(fh: IO[bytes], label: str, walk: _GlobalsWalk, budget: _Budget,
              errors: list[str]) -> None:
    """Pickle and .npy members of a zip (torch checkpoint, .npz), each bounded by its declared
    size and by the budget; a member past a bound is named in ``incomplete``."""
    try:
        declared, directory = _declared_members(fh)
        if declared > MAX_ZIP_MEMBERS or directory > MAX_ZIP_DIRECTORY_BYTES:
            budget.note(f"{label}: the zip declares {declared} members in a {directory}-byte "
                        f"directory (caps: {MAX_ZIP_MEMBERS} members, "
                        f"{MAX_ZIP_DIRECTORY_BYTES} bytes); it was not opened")
            return
        archive = _ps.RelaxedZipFile(fh, "r")
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
        errors.append(f"not a readable zip archive: {exc}"[:300])
        return
    with archive:
        for info in archive.infolist()[:MAX_ZIP_MEMBERS]:
            if budget.bytes_read >= budget.max_bytes or budget.ops >= budget.max_ops:
                budget.note(f"{label}: member {info.filename} and later ones were not "
                            "scanned (the per-file scan cap was reached)")
                break
            _scan_member(archive, info, label, walk, budget, errors)


def _declared_members(fh: IO[bytes]) -> tuple[int, int]:
    """(members, central directory bytes) as the zip's end record declares them, read before
    the directory is parsed (``zipfile`` builds an object per entry it finds there, whatever
    the count says). (0, 0) when there is no end record."""
    end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
    fh.seek(0)
    if not end:
        return 0, 0
    return (int(end[zipfile._ECD_ENTRIES_TOTAL]),  # type: ignore[attr-defined]
            int(end[zipfile._ECD_SIZE]))  # type: ignore[attr-defined]


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
                 walk: _GlobalsWalk, budget: _Budget, errors: list[str]) -> None:
    ext = os.path.splitext(info.filename)[1].lower()
    try:
        with archive.open(info, "r") as member:
            magic = member.read(8)
        if not (ext in _ps._pickle_file_extensions or ext in _ps._numpy_file_extensions
                or magic.startswith(_PICKLE_MAGICS) or magic.startswith(_NUMPY_MAGIC)):
            return
        if info.file_size > budget.max_bytes:
            budget.note(f"{label}: member {info.filename} declares {info.file_size} bytes; "
                        f"only the first {budget.max_bytes} are scanned")
        with archive.open(info, "r") as member:
            _scan_stream(member, label, ext, walk, budget, errors,
                         limit=min(info.file_size, budget.max_bytes), name=info.filename)
    except (zipfile.BadZipFile, RuntimeError, OSError, ValueError, EOFError) as exc:
        errors.append(f"{info.filename}: unreadable zip member: {exc}"[:300])


def scan_pickle_stream(data: IO[bytes], file: str, *, ext: str | None = None,
                       max_bytes: int = MAX_PICKLE_SCAN_BYTES,
                       max_opcodes: int = MAX_PICKLE_OPCODES) -> PickleScan:
    """Scan an open, seekable binary stream (a file or ``BytesIO``) named ``file``."""
    budget = _Budget(max_bytes=max_bytes, max_ops=max_opcodes)
    walk = _GlobalsWalk(budget, file)
    errors: list[str] = []
    suffix = (ext if ext is not None else os.path.splitext(file)[1]).lower()
    try:
        head = data.read(8)
        data.seek(0)
        if head.startswith(_7Z_MAGIC):
            return PickleScan(file, (), (), 0, ("7z archives are not opened",))
        if head.startswith(_ZIP_MAGIC):
            _scan_zip(data, file, walk, budget, errors)
        else:
            _scan_stream(data, file, suffix, walk, budget, errors, limit=max_bytes)
    except OSError as exc:
        errors.append(f"cannot read: {exc.strerror or exc}")
    return _classified(file, walk, budget, errors)


def scan_pickle_bytes(data: bytes, file: str) -> PickleScan:
    """Scan pickle bytes already in memory (e.g. the head of a remote file)."""
    return scan_pickle_stream(io.BytesIO(data), file, ext=os.path.splitext(file)[1].lower())


def scan_pickle_file(
    path: Path, *, name: str | None = None, max_bytes: int = MAX_PICKLE_SCAN_BYTES,
    max_opcodes: int = MAX_PICKLE_OPCODES,
) -> PickleScan:
    """Scan one local file statically. ``name`` is how findings name it (default: the path)."""
    label = name or str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            scan = scan_pickle_stream(fh, label, ext=path.suffix.lower(), max_bytes=max_bytes,
                                      max_opcodes=max_opcodes)
    except OSError as exc:
        return PickleScan(label, (), (f"cannot read: {exc.strerror or exc}",))
    if scan.bytes_scanned >= max_bytes and size > max_bytes and not any(
            "only the first" in i for i in scan.incomplete):
        note = f"only the first {max_bytes} of {size} bytes were scanned"
        return PickleScan(scan.file, scan.imports, scan.errors, scan.bytes_scanned,
                          (*scan.incomplete, note))
    return scan
