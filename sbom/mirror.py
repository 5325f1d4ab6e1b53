"""``mlbom mirror``: write an offline snapshot of lineage metadata for air-gapped sites.

The targets are resolved through a ``RecordingSource`` that wraps the real one, so the mirror
holds exactly what an offline run will ask for: every model's and dataset's API answer,
the small files read (cards, configs, recipes, signatures) and GGUF header bytes. Repos that
could not be read are recorded with their reason, so an offline run reports them the same
way. No weights are stored. The format is described in ``lineage/sources/mirror.py``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lineage.errors import HubError, InputError
from lineage.pipeline import RunOptions, build_graph, open_source
from lineage.refs import ModelRef
from lineage.resolver import parse_target
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, RepoSnapshot, Source
from lineage.sources.mirror import MIRROR_FORMAT, STATUS_BY_REASON, repo_dir_name
from sbom.atomic import check_output_folder, write_atomic


@dataclass
class _Recorded:
    info: dict[str, object] | None = None
    error: dict[str, object] | None = None
    redirect: str | None = None  # a renamed repo's old id: the id the Hub redirected it to
    files: dict[str, bytes] = field(default_factory=dict)


class RecordingSource(Source):
    """Pass-through source that remembers every answer (thread-safe)."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.name = inner.name
        self.repos: dict[tuple[str, str], _Recorded] = {}
        self.missed: dict[tuple[str, str], str] = {}  # transient failures: not facts, not kept
        self._lock = threading.Lock()

    def _rec(self, kind: str, repo_id: str) -> _Recorded:
        with self._lock:
            return self.repos.setdefault((kind, repo_id), _Recorded())

    def _info(self, kind: str, ref: ModelRef, call: object) -> RepoSnapshot:
        try:
            snap: RepoSnapshot = call(ref)  # type: ignore[operator]
        except HubError as exc:
            if exc.reason != "hub-error":  # transient failures are not facts to mirror
                self._rec(kind, ref.repo_id).error = {
                    "status": STATUS_BY_REASON.get(exc.reason, 404), "reason": exc.reason,
                    "message": exc.message}
            else:  # ... but a mirror without them is not whole: the caller must say so
                with self._lock:
                    self.missed[(kind, ref.repo_id)] = exc.message
            raise
        self._rec(kind, snap.repo_id).info = snap.raw
        if snap.renamed_from:
            self._rec(kind, snap.renamed_from).redirect = snap.repo_id
        return snap

    def model_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("models", ref, self.inner.model_info)

    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("datasets", ref, self.inner.dataset_info)

    def read_file(self, repo_id: str, sha: str | None, filename: str, *,
                  max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
        data = self.inner.read_file(repo_id, sha, filename, max_bytes=max_bytes)
        self._rec("models", repo_id).files[filename] = data
        return data

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        data = self.inner.read_head(repo_id, sha, filename, n_bytes)
        self._keep_prefix(repo_id, filename, 0, data)
        return data

    def read_range(self, repo_id: str, sha: str | None, filename: str, offset: int,
                   n_bytes: int) -> bytes:
        data = self.inner.read_range(repo_id, sha, filename, offset, n_bytes)
        self._keep_prefix(repo_id, filename, offset, data)
        return data

    def _keep_prefix(self, repo_id: str, filename: str, offset: int, data: bytes) -> None:
        """A large file is mirrored as the prefix the run read: a safetensors header's length
        and then its JSON are two ranges that join into one prefix. A safetensors read that
        went past its header (the first read asks for more than most headers hold) is kept
        up to the header's end only: a mirror holds no tensor data."""
        if offset == 0 and filename.endswith(".safetensors") and len(data) >= 8:
            data = data[:8 + int.from_bytes(data[:8], "little")]
        with self._lock:
            files = self.repos.setdefault(("models", repo_id), _Recorded()).files
            have = files.get(filename, b"")
            if offset <= len(have):
                files[filename] = max(have, have[:offset] + data, key=len)


def _hub_ref(target: str) -> ModelRef:
    """A mirror target: a Hub repo id or Hub URL (a folder has nothing to mirror)."""
    ref = parse_target(target) if "://" in target or not target.strip() else \
        ModelRef.parse(target)
    if not isinstance(ref, ModelRef):
        raise InputError(f"{target}: mlbom mirror takes Hub repo ids")
    return ref


@dataclass
class MirrorResult:
    repos: int
    files: int
    errors: int
    missed: tuple[str, ...] = ()  # "<id>: <why>" for repos the Hub failed to answer


def write_mirror(targets: list[str], out_dir: Path, opts: RunOptions) -> MirrorResult:
    """Resolve each target through a recording source and write the mirror folder."""
    check_output_folder(out_dir)  # before any work
    inner = open_source(opts)
    if inner is None:
        raise InputError("mlbom mirror needs the Hub (or another mirror); drop --offline")
    rec = RecordingSource(inner)
    for target in targets:
        build_graph(_hub_ref(target), opts, source=rec)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_manifest(out_dir, targets, complete=False)  # until the last repo is written
    n_files = n_errors = 0
    for (kind, repo_id), item in sorted(rec.repos.items()):
        n_files += _write_repo(out_dir / kind / repo_dir_name(repo_id), item)
        n_errors += item.info is None and item.error is not None
    _write_manifest(out_dir, targets, complete=True)
    missed = tuple(f"{repo_id}: {why}" for (kind, repo_id), why in sorted(rec.missed.items())
                   if (kind, repo_id) not in rec.repos or rec.repos[(kind, repo_id)].info is None)
    return MirrorResult(repos=len(rec.repos), files=n_files, errors=n_errors, missed=missed)


def _write_repo(folder: Path, item: _Recorded) -> int:
    """One repo: its files first, then ``info.json`` (or ``error.json``), the marker that
    says the repo is whole. Returns the number of files written."""
    n_files = 0
    for name, data in item.files.items():
        path = (folder / "files" / name).resolve()
        if not path.is_relative_to((folder / "files").resolve()):
            continue  # a crafted file name never escapes the mirror
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        n_files += 1
    if item.info is not None:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "info.json", json.dumps(item.info, indent=1) + "\n")
    elif item.error is not None:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "error.json", json.dumps(item.error, indent=1) + "\n")
    elif item.redirect is not None:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "redirect.json", json.dumps({"to": item.redirect}) + "\n")
    return n_files


def _write_manifest(out_dir: Path, targets: list[str], *, complete: bool) -> None:
    write_atomic(out_dir / "mirror.json", json.dumps({
        "format": MIRROR_FORMAT,
        "created": datetime.now(tz=timezone.utc).replace(microsecond=0).isoformat(),
        "targets": targets,
        "complete": complete,
    }, indent=2) + "\n")
