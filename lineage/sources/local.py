"""A local model folder: the release being shipped.

Only metadata files are read (card, configs, recipes, GGUF headers); weights are listed, and
hashed or scanned later by annotators that were asked to. Files are never imported or run.
Symlinks that leave the folder are ignored, so a crafted folder cannot make mlbom read
``/etc/passwd`` through a file named ``config.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

from lineage.errors import HubError, InputError, ParseError
from lineage.graph import FileEntry
from lineage.ids import local_key
from lineage.parsers.card import MAX_CARD_BYTES, parse_card
from lineage.refs import ModelRef
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, RepoSnapshot, Source

MAX_LOCAL_FILES = 20_000
SKIP_DIRS = {".git", ".cache", "__pycache__", ".hg", ".svn", "node_modules"}


class LocalFolder(Source):
    """A ``Source`` for one folder: one repo at no commit, whatever id it is asked for.

    ``snapshot()`` (also ``model_info``) describes it like a Hub repo; ``read_file`` and
    ``read_head`` read inside the folder only. It holds no datasets.
    """

    name = "local"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"{path} is not a folder")
        self.root = self.path.resolve()

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
        out: list[FileEntry] = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for fname in sorted(filenames):
                full = Path(dirpath) / fname
                if not self._inside(full):
                    continue
                try:
                    size = full.stat().st_size
                except OSError:
                    continue
                out.append(FileEntry(full.relative_to(self.root).as_posix(), size))
                if len(out) >= MAX_LOCAL_FILES:
                    return out
        return out

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root) and path.resolve().is_file()
        except OSError:
            return False

    def _path(self, filename: str) -> Path:
        full = self.root / filename
        if not self._inside(full):
            raise ParseError("not a file inside the model folder", file=filename)
        return full

    def read_file(self, repo_id: str, sha: str | None, filename: str, *,
                  max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
        full = self._path(filename)
        if full.stat().st_size > max_bytes:
            raise ParseError(f"larger than {max_bytes} bytes", file=filename)
        return full.read_bytes()

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        with self._path(filename).open("rb") as fh:
            return fh.read(n_bytes)

    def snapshot(self) -> RepoSnapshot:
        files = self.list_files()
        names = {f.name for f in files}
        card: dict[str, object] = {}
        problems: list[str] = []
        if "README.md" in names:
            try:
                # a card of any size: its front matter sits at the top, parse_card cuts
                meta = parse_card(self.read_head(self.folder_name, None, "README.md",
                                                 MAX_CARD_BYTES + 1))
                card, problems = meta.data, list(meta.problems)
            except ParseError as exc:
                problems.append(str(exc))
        tags = card.get("tags")
        return RepoSnapshot(
            repo_id=self.folder_name, sha=None, kind="local", card_data=card, config=None,
            tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
            siblings=tuple(files), problems=tuple(problems),
        )
