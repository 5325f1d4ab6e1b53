"""Static pickle scanning: dangerous imports are found, and nothing is ever unpickled."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

from lineage.pickles import scan_pickle_bytes, scan_pickle_file

_SYSTEM = "posix.system" if os.name == "posix" else "nt.system"


class _SystemCall:
    """Unpickling this runs ``os.system`` to create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.marker}",))


class _OpenCall:
    """Unpickling this creates a marker file through ``builtins.open``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.marker), "w"))


def test_booby_trapped_pickle_is_flagged_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"a": _SystemCall(marker), "b": _OpenCall(marker)}))

    scan = scan_pickle_file(evil, name="evil.pkl")

    assert {str(i) for i in scan.dangerous} == {_SYSTEM, "io.open"}
    assert scan.file == "evil.pkl"
    assert not marker.exists()


def test_torch_zip_checkpoint_member_is_scanned(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    ckpt = tmp_path / "model.pt"
    with zipfile.ZipFile(ckpt, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(_SystemCall(marker)))
        zf.writestr("archive/data/0", b"\x00" * 64)

    scan = scan_pickle_file(ckpt, name="model.pt")

    assert [str(i) for i in scan.dangerous] == [_SYSTEM]
    assert not marker.exists()


def test_plain_data_pickle_has_no_dangerous_imports(tmp_path: Path) -> None:
    from collections import OrderedDict

    path = tmp_path / "state.pkl"
    path.write_bytes(pickle.dumps(OrderedDict(w=[1.0, 2.0])))

    scan = scan_pickle_file(path)

    assert scan.dangerous == ()
    assert [str(i) for i in scan.imports] == ["collections.OrderedDict"]


def test_unreadable_and_malformed_files_are_data_not_exceptions(tmp_path: Path) -> None:
    missing = scan_pickle_file(tmp_path / "nope.bin", name="nope.bin")
    assert missing.errors and "cannot read" in missing.errors[0]

    truncated = pickle.dumps(_SystemCall(tmp_path / "x"))[:-3]
    scan = scan_pickle_bytes(truncated, "cut.pkl")
    assert [str(i) for i in scan.dangerous] == [_SYSTEM]


def test_large_plain_file_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    payload = pickle.dumps(_SystemCall(tmp_path / "x"))
    path.write_bytes(payload + b"\x80\x04" + b"N" * 4096 + b".")

    scan = scan_pickle_file(path, max_bytes=len(payload) + 10)

    assert [str(i) for i in scan.dangerous] == [_SYSTEM]
    assert any("only the first" in e for e in scan.incomplete), scan  # said, never silent
    assert scan.bytes_scanned <= len(payload) + 10
