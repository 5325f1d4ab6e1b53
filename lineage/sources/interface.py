"""What a metadata source is: the Hub, an offline mirror folder, or a local model folder.

A source answers three questions about a repo: its metadata at a revision (``RepoSnapshot``,
pinned to a commit sha), the bytes of a small file at that sha, and the first bytes of a large
one (for GGUF headers), or a range of them (a safetensors header after its 8-byte length).
Failures raise ``HubError`` with a ``reason`` the resolver records on the node; a source never
returns partial garbage silently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any

from lineage.graph import FileEntry
from lineage.refs import ModelRef, is_valid_repo_id

# Caps on what is read from any source. Documented in README "Limits and safety".
MAX_SMALL_FILE_BYTES = 2 * 1024 * 1024  # cards, configs, adapter configs, mergekit recipes
MAX_INFO_BYTES = 16 * 1024 * 1024  # one model_info JSON answer
GGUF_HEADER_BYTES = 4 * 1024 * 1024  # GGUF metadata is read from at most the first 4 MiB


@dataclass(frozen=True)
class RepoSnapshot:
    """A repo's metadata at one commit, as the Hub's ``/api/models/{id}`` gives it."""

    repo_id: str
    sha: str | None
    kind: str = "model"  # model or dataset
    card_data: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()
    siblings: tuple[FileEntry, ...] = ()
    base_models: tuple[dict[str, Any] | str, ...] = ()  # the Hub's ``baseModels``: records or ids
    gated: str | None = None
    private: bool | None = None
    downloads: int | None = None
    likes: int | None = None
    created_at: str | None = None
    last_modified: str | None = None
    author: str | None = None
    library_name: str | None = None
    pipeline_tag: str | None = None
    security: dict[str, Any] | None = None  # ``securityRepoStatus`` as given
    problems: tuple[str, ...] = ()  # fields that were malformed and ignored
    listing_complete: bool = True  # False: a cap cut the file list, weights may be missing
    renamed_from: str | None = None  # the id asked for, when the Hub answered under another
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # API JSON

    def has_file(self, name: str) -> bool:
        return any(s.name == name for s in self.siblings)


def answered_as(snap: RepoSnapshot, data: Any, requested: str) -> RepoSnapshot:
    """``snap`` under the id the answer ``data`` names, when that is another repo than the one
    ``requested`` (the Hub redirected a renamed repo, or a legacy id, to it): a supply-chain
    record names the repo that was read, and keeps the id asked for as ``renamed_from``.
    The caller has checked that the answer may name that id (``hub._check_identity``)."""
    answered = data.get("id", data.get("modelId")) if isinstance(data, dict) else None
    if not isinstance(answered, str) or answered.lower() == requested.lower():
        return snap
    if not is_valid_repo_id(answered):
        return snap
    return replace(snap, repo_id=answered, renamed_from=requested)


def renamed_problem(requested: str, answered: str) -> str:
    """The line a renamed repo's node carries: the old id keeps working only as long as nobody
    registers it again, so a card that declares it is one step from naming someone else's
    repo."""
    return (f"renamed on the Hub: {requested} redirects to {answered}, recorded as "
            f"{answered}; declare {answered} (anyone may register the old id again)")


class Source(ABC):
    """Where repo metadata comes from. Implementations must be safe to call from threads."""

    #: A short name for messages and the BOM ("hub", "mirror", "offline").
    name: str = "source"

    @abstractmethod
    def model_info(self, ref: ModelRef) -> RepoSnapshot:
        """Metadata of a model at ``ref.revision`` (default branch when None)."""

    @abstractmethod
    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        """Metadata of a dataset."""

    @abstractmethod
    def read_file(
        self, repo_id: str, sha: str | None, filename: str, *, max_bytes: int = MAX_SMALL_FILE_BYTES
    ) -> bytes:
        """The bytes of a small file; ``ParseError`` if it is larger than ``max_bytes``."""

    @abstractmethod
    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        """At most the first ``n_bytes`` of a (possibly huge) file, by range request."""

    def read_range(self, repo_id: str, sha: str | None, filename: str, offset: int,
                   n_bytes: int) -> bytes:
        """At most ``n_bytes`` of a file from byte ``offset`` (a safetensors header after its
        8-byte length). Sources that can seek or send a ``Range`` override this; the default
        reads the head up to the end of the range, so it suits local files only."""
        return self.read_head(repo_id, sha, filename, offset + n_bytes)[offset:]

    def info_if_cached(self, kind: str, ref: ModelRef) -> RepoSnapshot | None:
        """What ``model_info`` (``kind`` "model") or ``dataset_info`` would answer, when it
        can be answered without a network request; else ``None``. Never raises."""
        return None

    def load_derived(self, repo_id: str, sha: str, name: str) -> bytes | None:
        """Bytes stored by ``store_derived`` for the repo at commit ``sha``, or ``None``."""
        return None

    def store_derived(self, repo_id: str, sha: str, name: str, data: bytes) -> None:  # noqa: B027
        """Keep bytes a caller derived from the repo at commit ``sha`` (immutable, so they
        stay valid) for later runs. Sources without a cache drop them."""

    def read_file_early(self, repo_id: str, revision: str | None, filename: str, *,
                        max_bytes: int = MAX_SMALL_FILE_BYTES) -> tuple[bytes, str] | None:
        """A small file read by revision name before the metadata has pinned a sha: its bytes
        and the commit sha they come from, or ``None`` when the source cannot say. A caller
        uses the bytes only when that sha is the one the metadata then gives. Never raises.
        Sources that answer locally gain nothing from reading ahead and keep this default."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or files."""

    def cancel(self) -> None:  # noqa: B027 - optional hook
        """End what is in flight now (Ctrl-C): calls then fail fast instead of waiting."""

#: Files the lineage, license and signature steps read by name; a listing keeps them (like
#: weight files) whatever its cap on other files.
LINEAGE_FILES = frozenset({"README.md", "config.json", "adapter_config.json",
                           "mergekit_config.yml", "mergekit_config.yaml", "model_index.json",
                           "LICENSE", "LICENSE.md", "LICENSE.txt"})


def kept_before_cap(name: str) -> bool:
    """True for names a capped listing must never drop: weight files, the metadata files
    lineage is read from, and signature bundles (``*.sig``)."""
    from lineage.annotate.weights import weight_format

    return name in LINEAGE_FILES or name.endswith(".sig") or weight_format(name) is not None
