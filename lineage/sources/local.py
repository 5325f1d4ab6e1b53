"""A local model folder: the release being shipped.

Only metadata files are read (card, configs, recipes, GGUF headers); weights are listed, and
hashed or scanned later by annotators that were asked to. Files are never imported or run.
Symlinks that leave the folder are ignored, so a crafted folder cannot make mlbom read
``/etc/passwd`` through a file named ``config.json``.

Listing caps never hide a weight file: every weight-like name (``weight_format``), metadata
file and signature bundle (``kept_before_cap``) is kept up to ``MAX_LOCAL_WEIGHT_FILES``,
other files up to ``MAX_LOCAL_FILES``, and the walk stops after
``MAX_LOCAL_ENTRIES`` entries. Each cap hit is a problem on the node; a cut that may have hidden
weight files (the weight cap or the walk cap) also marks the listing incomplete
(``RepoSnapshot.listing_complete``), so the weights are reported as not fully checked. A
symlink loop, an unreadable folder or file is a problem naming the file, never a crash.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lineage.capped_read import CappedReadError, read_capped
from lineage.errors import HubError, InputError, ParseError
from lineage.graph import FileEntry
from lineage.ids import local_key
from lineage.parsers.card import MAX_CARD_BYTES, parse_card
from lineage.refs import ModelRef
from lineage.sources.interface import (
    MAX_SMALL_FILE_BYTES,
    RepoSnapshot,
    Source,
    kept_before_cap,
)

MAX_LOCAL_FILES = 20_000  # files that are not weights
MAX_LOCAL_WEIGHT_FILES = 100_000
MAX_LOCAL_ENTRIES = 1_000_000  # folder entries visited
SKIP_DIRS = {".git", ".cache", "__pycache__", ".hg", ".svn", "node_modules"}


@dataclass
class _Listing:
    files: list[FileEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    complete: bool = True  # False when weight files may be missing from ``files``
    weights: int = 0
    _noted: int = 0

    def cut(self, problem: str, *, weights: bool) -> None:
        if problem not in self.problems:
            self.problems.append(problem)
        self.complete = self.complete and not weights

    def note(self, problem: str) -> None:
        """A file that could not be read; the first 20 are named, then a count."""
        self._noted += 1
        if self._noted <= 20:
            self.problems.append(problem)
        elif self._noted == 21:
            self.problems.append("more files could not be read (not listed here)")


class LocalFolder(Source):
    """A ``Source`` for one folder: one repo at no commit, whatever id it is asked for.

    ``snapshot()`` (also ``model_info``) describes it like a Hub repo; ``read_file`` and
    ``read_head`` read inside the folder only. It holds no datasets.
    """

    name = "local"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            if not self.path.is_dir():
                raise InputError(f"{path} is not a folder")
            self.root = self.path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise InputError(f"{path} cannot be read as a folder: {exc}") from exc

    @property
    def folder_name(self) -> str:
        return self.root.name or "model"

    @property
    def node_key(self) -> str:
        """The key (bom-ref) of the folder's node: ``local:<folder name>``."""
        return local_key(self.folder_name)

    def model_info(self, ref: ModelRef | None = None) -> RepoSnapshot:
        return self.snapshot()

    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        raise HubError("a local model folder holds no datasets", subject=str(ref),
                       reason="not-found")

    def list_files(self) -> list[FileEntry]:
        return self._listing().files

    def _listing(self) -> _Listing:
        """Every weight-like file, other files up to the cap, problems for what was cut."""
        out = _Listing()
        others = 0
        for rel, entry in self._entries(out):
            is_weight = kept_before_cap(rel)
            if not is_weight:
                others += 1
                if others > MAX_LOCAL_FILES:
                    continue
            elif out.weights >= MAX_LOCAL_WEIGHT_FILES:
                out.cut(f"more than {MAX_LOCAL_WEIGHT_FILES} weight files; later ones are not "
                        "listed, so the weights are not fully checked", weights=True)
                continue
            size = self._size(rel, entry, out)
            if size is None:
                continue
            out.weights += is_weight
            out.files.append(FileEntry(rel, size))
        if others > MAX_LOCAL_FILES:
            out.cut(f"{others} other files (not weights, metadata or signatures); only the "
                    f"first {MAX_LOCAL_FILES} are listed (every weight and metadata file is)",
                    weights=False)
        out.files.sort(key=lambda f: f.name)
        return out

    def _entries(self, out: _Listing) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """(relative path, entry) of every file-like entry, folders in sorted order."""
        visited = 0
        stack = [self.root]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                out.cut(f"cannot list {self._rel(folder) or '.'}: {exc.strerror or exc}",
                        weights=True)
                continue
            for entry in entries:
                visited += 1
                if visited > MAX_LOCAL_ENTRIES:
                    out.cut(f"more than {MAX_LOCAL_ENTRIES} entries in the folder; the rest "
                            "is not listed, so the weights are not fully checked", weights=True)
                    return
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS:
                        stack.append(Path(entry.path))
                    continue
                yield self._rel(Path(entry.path)), entry
            stack.sort(reverse=True)

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path != self.root else ""

    def _size(self, rel: str, entry: os.DirEntry[str], out: _Listing) -> int | None:
        """The size of a regular file inside the folder; ``None`` (with a problem when it
        is worth saying) for symlinks out, loops, devices and unreadable entries."""
        try:
            if entry.is_symlink():
                target = Path(entry.path).resolve(strict=True)
                if not target.is_relative_to(self.root) or not target.is_file():
                    return None
                return target.stat().st_size
            if not entry.is_file(follow_symlinks=False):
                return None
            return entry.stat(follow_symlinks=False).st_size
        except RuntimeError:
            out.note(f"{rel}: symlink loop, not read")
        except OSError as exc:
            out.note(f"{rel}: {exc.strerror or exc}, not read")
        return None

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root) and path.resolve().is_file()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop
            return False

    def _path(self, filename: str) -> Path:
        full = self.root / filename
        if not self._inside(full):
            raise ParseError("not a file inside the model folder", file=filename)
        return full

    def read_file(self, repo_id: str, sha: str | None, filename: str, *,
                  max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
        try:
            return read_capped(self._path(filename), max_bytes)
        except CappedReadError as exc:
            raise ParseError(exc.choose(unreadable=f"cannot read: {exc.detail}",
                                        too_large=f"larger than {max_bytes} bytes"),
                             file=filename) from exc

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        try:
            with self._path(filename).open("rb") as fh:
                return fh.read(n_bytes)
        except OSError as exc:
            raise ParseError(f"cannot read: {exc.strerror or exc}", file=filename) from exc

    def snapshot(self) -> RepoSnapshot:
        listing = self._listing()
        files = listing.files
        names = {f.name for f in files}
        card: dict[str, object] = {}
        problems: list[str] = list(listing.problems)
        if "README.md" in names:
            try:
                # a card of any size: its front matter sits at the top, parse_card cuts
                meta = parse_card(self.read_head(self.folder_name, None, "README.md",
                                                 MAX_CARD_BYTES + 1))
                card = meta.data
                problems.extend(meta.problems)
            except ParseError as exc:
                problems.append(str(exc))
        if not files and listing.complete and not listing.problems:
            # a wrong path or a download that never finished: not a model with no findings
            raise InputError(f"{self.path} is an empty folder: no weights, config or card to "
                             "check (a wrong path, or a download that has not finished?)")
        tags = card.get("tags")
        return RepoSnapshot(
            repo_id=self.folder_name, sha=None, kind="local", card_data=card, config=None,
            tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
            siblings=tuple(files), problems=tuple(problems),
            listing_complete=listing.complete,
        )
