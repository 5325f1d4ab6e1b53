"""Pickle bombs: the static scan streams with bounded memory, and what a bound stopped from
being read is a ``pickle-scan-incomplete`` finding, never silence.

The inputs are generated here (nothing large is stored); each CLI run is a child process whose
own peak RSS is read with ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

from hostile import REPO_ROOT, card_text, components_by_ref, properties_of, write_folder

from lineage.pickles import MAX_PICKLE_SCAN_BYTES, scan_pickle_bytes, scan_pickle_file

MiB = 1024 * 1024
PEAK_LIMIT_KIB = 1024 * 1024  # 1 GiB


class _SystemCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def _generate(folder: Path, out: Path) -> tuple[int, str, int]:
    """``mlbom generate FOLDER --offline`` in a child; (exit code, stderr, peak RSS KiB)."""
    err = out.with_suffix(".stderr")
    with open(err, "wb") as err_fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sbom.cli", "generate", str(folder), "--offline", "-q",
             "-o", str(out)], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=err_fh)
        _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err.read_text(), usage.ru_maxrss


def _findings(out: Path, ref: str) -> list[str]:
    bom = json.loads(out.read_text("utf-8"))
    return properties_of(components_by_ref(bom)[ref], "mlbom:finding")


def test_64_mib_of_none_opcodes_stays_under_1_gb(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "nones", {"README.md": card_text("license: mit")})
    with open(folder / "weights.pkl", "wb") as fh:  # exactly the documented byte cap
        fh.write(b"\x80\x04")
        fh.write(b"N" * (MAX_PICKLE_SCAN_BYTES - 3))
        fh.write(b".")
    code, stderr, peak_kib = _generate(folder, tmp_path / "bom.json")
    assert code == 0, stderr
    print(f"peak RSS {peak_kib / 1024:.0f} MiB")
    assert peak_kib < PEAK_LIMIT_KIB
    found = _findings(tmp_path / "bom.json", "local:nones")
    assert any(f.startswith("pickle-scan-incomplete warning weights.pkl") and "opcode" in f
               for f in found), found


def test_a_1_mb_zip_whose_data_pkl_expands_to_256_mib(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bomb", {"README.md": card_text("license: mit")})
    with zipfile.ZipFile(folder / "model.pt", "w", zipfile.ZIP_DEFLATED,
                         compresslevel=9) as zf, zf.open("archive/data.pkl", "w",
                                                         force_zip64=True) as member:
        member.write(b"\x80\x04")
        chunk = b"N" * MiB
        for _ in range(256):
            member.write(chunk)
        member.write(pickle.dumps(_SystemCall())[2:])  # the import past every cap
    assert (folder / "model.pt").stat().st_size < 2 * MiB
    code, stderr, peak_kib = _generate(folder, tmp_path / "bom.json")
    assert code == 0, stderr
    print(f"peak RSS {peak_kib / 1024:.0f} MiB")
    assert peak_kib < PEAK_LIMIT_KIB
    found = _findings(tmp_path / "bom.json", "local:bomb")
    incomplete = [f for f in found if f.startswith("pickle-scan-incomplete warning model.pt")]
    assert incomplete and "archive/data.pkl" in incomplete[0], found


def test_a_member_is_never_read_past_its_cap_whatever_it_claims(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    evil = pickle.dumps(_SystemCall())
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x04" + b"N" * 5000 + evil[2:])
        zf.writestr("archive/extra.pkl", evil)
    scan = scan_pickle_file(path, name="model.pt", max_bytes=4096)
    assert scan.bytes_scanned <= 4096
    assert any("archive/data.pkl" in why for why in scan.incomplete), scan
    assert any("archive/extra.pkl" in why for why in scan.incomplete), scan


def test_a_string_claiming_an_exabyte_allocates_nothing_of_the_kind() -> None:
    # BINUNICODE8 with a length of 2**62: the reader stops at the cap instead of allocating
    data = b"\x80\x04\x8d" + (2**62).to_bytes(8, "little") + b"x" * 100
    scan = scan_pickle_bytes(data, "huge.pkl")
    assert scan.errors or scan.incomplete


def test_the_opcode_cap_is_a_finding_and_imports_before_it_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "w.pkl"
    path.write_bytes(pickle.dumps(_SystemCall()) + b"\x80\x04" + b"N" * 10_000 + b".")
    scan = scan_pickle_file(path, name="w.pkl", max_opcodes=1000)
    assert [i.name for i in scan.dangerous] == ["system"]
    assert any("opcode" in why for why in scan.incomplete)


def test_memoized_stack_global_is_still_resolved() -> None:
    """Protocol 4 names globals through the memo (SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)
    and BINGETs them again for a second use: both are followed."""
    data = pickle.dumps([_SystemCall(), _SystemCall()], protocol=4)
    scan = scan_pickle_bytes(data, "twice.pkl")
    assert [i.name for i in scan.dangerous] == ["system"]
    assert not scan.errors and not scan.incomplete


def test_a_zip_declaring_too_many_members_is_not_opened_and_says_so(tmp_path: Path) -> None:
    from lineage.pickles import MAX_ZIP_MEMBERS

    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(_SystemCall()))
        for i in range(MAX_ZIP_MEMBERS):
            zf.writestr(f"archive/data/{i}", b"")
    scan = scan_pickle_file(path, name="model.pt")
    assert any(f"declares {MAX_ZIP_MEMBERS + 1} members" in why for why in scan.incomplete)


def test_a_pickle_after_the_per_stream_cap_is_not_scanned_and_that_is_said() -> None:
    """1,000 harmless pickles in a row, then one calling os.system: the scan stops at its cap
    of pickles per stream, so the last one is not rated, and the scan says it stopped."""
    from lineage.pickles import MAX_PICKLES_PER_STREAM

    data = pickle.dumps(1) * MAX_PICKLES_PER_STREAM + pickle.dumps(_SystemCall())
    scan = scan_pickle_bytes(data, "many.pkl")
    assert scan.dangerous == ()
    assert any(f"stopped after {MAX_PICKLES_PER_STREAM} pickles" in why
               for why in scan.incomplete), scan.incomplete
    shorter = scan_pickle_bytes(pickle.dumps(1) * 10 + pickle.dumps(_SystemCall()), "ten.pkl")
    assert [i.name for i in shorter.dangerous] == ["system"] and not shorter.incomplete
