"""An offline mirror folder (format ``mlbom-mirror/1``), as written by ``mlbom mirror``.

Layout (one revision per repo)::

    <root>/mirror.json                  {"format": "mlbom-mirror/1", "created", "targets",
                                         "complete": true|false}
    <root>/models/<dir>/info.json       the Hub's /api/models/{id} answer, verbatim
    <root>/models/<dir>/files/<path>    small files at that sha; GGUF files' first bytes
    <root>/models/<dir>/error.json      {"status", "reason", "message"} for unreadable repos
    <root>/models/<dir>/redirect.json   {"to": "<new id>"} for a repo renamed on the Hub
    <root>/datasets/<dir>/...           the same for datasets

``<dir>`` is the repo id with ``/`` replaced by ``--``. File names are checked against the
repo's file list and must stay inside the repo's folder: an id or file name never becomes an
arbitrary local path.

An interrupted ``mlbom mirror`` is never read as complete. The writer first writes
``mirror.json`` with ``"complete": false``, writes each repo's files before its ``info.json``
(so ``info.json`` says the repo is whole), and rewrites ``mirror.json`` with
``"complete": true`` last. A folder without ``mirror.json``, or with ``"complete": false``, is
refused (``IncompleteMirror``, exit 2); a repo folder without ``info.json`` or ``error.json``
is unresolved (``offline``: incomplete in the mirror). Mirrors written before the flag existed
(no ``complete`` key) are read as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lineage.capped_read import CappedReadError, read_capped
from lineage.errors import HubError, InputError, ParseError
from lineage.parsers.safe import load_json
from lineage.refs import ModelRef, is_valid_repo_id
from lineage.sources.apijson import snapshot_from_api
from lineage.sources.interface import (
    MAX_INFO_BYTES,
    MAX_SMALL_FILE_BYTES,
    RepoSnapshot,
    Source,
    answered_as,
)

MIRROR_FORMAT = "mlbom-mirror/1"
#: The one status table: the writer records a reason as this status, the reader maps back.
STATUS_BY_REASON = {"gated": 403, "not-found": 404, "unavailable-for-legal-reasons": 451}
REASON_BY_STATUS = {401: "gated", **{status: r for r, status in STATUS_BY_REASON.items()}}


class IncompleteMirror(InputError):
    """The mirror folder was not finished by ``mlbom mirror`` (interrupted, or not a mirror)."""


def check_mirror_complete(root: Path) -> None:
    """Refuse a mirror that ``mlbom mirror`` did not finish writing."""
    manifest = root / "mirror.json"
    if not manifest.is_file():
        raise IncompleteMirror(f"{root} is not a finished mlbom mirror (no mirror.json): "
                               "`mlbom mirror` was interrupted or never ran; run it again")
    try:
        data = _read_json(manifest)
    except (ParseError, HubError) as exc:
        raise IncompleteMirror(f"{manifest} is unreadable: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MIRROR_FORMAT:
        raise IncompleteMirror(f"{manifest} is not an {MIRROR_FORMAT} manifest")
    if data.get("complete") is False:
        raise IncompleteMirror(f"{root} is an incomplete mirror: `mlbom mirror` was "
                               "interrupted while writing it; run it again")


def repo_dir_name(repo_id: str) -> str:
    if not is_valid_repo_id(repo_id):
        raise ValueError(f"not a repo id: {repo_id!r}")
    return repo_id.replace("/", "--")


class MirrorSource(Source):
    name = "mirror"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise HubError(f"mirror folder {self.root} does not exist", reason="offline")
        check_mirror_complete(self.root)
        self._dirs: dict[tuple[str, str], Path] = {}
        for kind in ("models", "datasets"):
            base = self.root / kind
            if base.is_dir():
                for d in base.iterdir():
                    self._dirs[(kind, d.name.lower())] = d

    def _repo_dir(self, kind: str, repo_id: str) -> Path:
        found = self._dirs.get((kind, repo_dir_name(repo_id).lower()))
        if found is None:
            raise HubError(f"not in the mirror {self.root}", subject=repo_id, reason="offline")
        return found

    def _info(self, kind: str, ref: ModelRef) -> RepoSnapshot:
        folder = self._repo_dir(kind, ref.repo_id)
        err = folder / "error.json"
        if err.is_file():
            data = _read_json(err)
            status = data.get("status") if isinstance(data, dict) else None
            reason = REASON_BY_STATUS.get(status, "hub-error") if isinstance(status, int) \
                else "hub-error"
            if isinstance(data, dict) and isinstance(data.get("reason"), str):
                reason = data["reason"]
            raise HubError(f"recorded in the mirror as {reason}", subject=ref.repo_id,
                           reason=reason)
        renamed = not (folder / "info.json").is_file() and (folder / "redirect.json").is_file()
        if renamed:  # one hop, as the Hub answers a renamed repo: no chains, no loops
            folder = self._repo_dir(kind, _redirect_target(folder / "redirect.json", ref))
        if not (folder / "info.json").is_file():
            raise HubError("incomplete in the mirror (no info.json)", subject=ref.repo_id,
                           reason="offline")
        try:
            data = _read_json(folder / "info.json")
        except ParseError as exc:
            raise HubError(f"metadata in the mirror is unreadable ({exc.message})",
                           subject=ref.repo_id, reason="hub-error") from exc
        snap = snapshot_from_api(data, repo_id=ref.repo_id, kind=kind[:-1])
        if renamed:
            snap = answered_as(snap, data, ref.repo_id)
        if ref.revision and snap.sha and ref.revision != "main" and \
                not (len(ref.revision) >= 7 and snap.sha.startswith(ref.revision)):
            raise HubError(f"revision {ref.revision} is not in the mirror (it holds {snap.sha})",
                           subject=ref.repo_id, reason="offline")
        return snap

    def model_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("models", ref)

    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("datasets", ref)

    def _file_path(self, repo_id: str, filename: str) -> Path:
        kind = "models"
        folder = self._repo_dir(kind, repo_id) / "files"
        path = (folder / filename).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            raise HubError(f"{filename} is not in the mirror", subject=repo_id, reason="offline")
        return path

    def read_file(self, repo_id: str, sha: str | None, filename: str, *,
                  max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
        path = self._file_path(repo_id, filename)
        try:
            return read_capped(path, max_bytes)
        except CappedReadError as exc:
            raise ParseError(exc.choose(unreadable=f"cannot read: {exc.detail}",
                                        too_large=f"larger than {max_bytes} bytes"),
                             subject=repo_id, file=filename) from exc

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        with self._file_path(repo_id, filename).open("rb") as fh:
            return fh.read(n_bytes)

    def read_range(self, repo_id: str, sha: str | None, filename: str, offset: int,
                   n_bytes: int) -> bytes:
        """A mirror holds the first bytes a run read of a large file (a GGUF or safetensors
        header), so a range inside them is served and one past them is short."""
        with self._file_path(repo_id, filename).open("rb") as fh:
            fh.seek(offset)
            return fh.read(n_bytes)


def _redirect_target(path: Path, ref: ModelRef) -> str:
    """The new id a mirrored rename points at (``redirect.json``), checked to be a repo id."""
    data = _read_json(path)
    to = data.get("to") if isinstance(data, dict) else None
    if not isinstance(to, str) or not is_valid_repo_id(to):
        raise HubError("renamed in the mirror, but redirect.json names no repo id",
                       subject=ref.repo_id, reason="hub-error")
    return to


def _read_json(path: Path) -> Any:
    try:
        data = read_capped(path, MAX_INFO_BYTES)
    except CappedReadError as exc:
        if exc.reason == "too-large":
            raise ParseError(f"larger than {MAX_INFO_BYTES} bytes", file=str(path)) from None
        raise HubError(f"cannot read {path}: {exc.detail}", reason="offline") from exc
    return load_json(data, file=str(path))
