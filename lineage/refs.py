"""Hub ids as values, validated once at the edge.

``ModelRef`` is what the rest of mlbom passes around: ``str()`` and ``ModelRef.parse`` round-trip,
and it seeds bom-refs and SPDXIDs. ``decode_parent_value`` turns whatever a card or config
declares as a parent into a ``ParentValue``: a Hub ref when the decoding is unambiguous,
otherwise the raw string with the reason it could not be followed (``local-path`` or
``invalid-id``). A declared parent is never dropped and never invented.

Ids are ASCII only: a Unicode look-alike (Cyrillic ``а`` for Latin ``a``) is an invalid id, not
a different repo. An id never becomes a local path that mlbom reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lineage.errors import InvalidIdError

MAX_ID_LENGTH = 96 * 2 + 1  # namespace/name, each at most 96 characters on the Hub
MAX_RAW_LENGTH = 1024  # longer declared values are cut when stored, to bound output size

_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"^(?:{_PART}/)?{_PART}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_REVISION = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")
_HF_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<path>[^?#]*)", re.I)
_CACHE_PATH = re.compile(
    r"(?:^|[/\\])(?P<kind>models|datasets)--(?P<id>[A-Za-z0-9._-]+?(?:--[A-Za-z0-9._-]+)?)"
    r"[/\\]snapshots[/\\](?P<sha>[0-9a-f]{40})(?:[/\\]|$)"
)
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")

# First path segments that mark a relative folder, not a Hub namespace. ``models``,
# ``datasets`` and ``spaces`` are reserved on the Hub; the rest are the folder names that
# training scripts write checkpoints to and that cards then leak as ``base_model``.
LOCAL_FOLDER_NAMES = frozenset(
    {
        "models", "datasets", "spaces", "model", "checkpoints", "checkpoint", "ckpt", "ckpts",
        "output", "outputs", "out", "results", "runs", "saved_models", "saved_model", "tmp",
        "content", "workspace", "weights", "merged", "merged_model", "final", "final_model",
    }
)


def is_commit_sha(value: str) -> bool:
    return bool(_SHA.match(value))


def is_valid_repo_id(value: str, *, require_namespace: bool = False) -> bool:
    """True for ``org/name`` (and legacy ``name`` unless ``require_namespace``).

    Follows the Hub's rules: ASCII letters, digits, ``-``, ``_`` and ``.``; no ``--`` or ``..``;
    no leading or trailing ``-``/``.``; at most 96 characters a part.
    """
    if not value or len(value) > MAX_ID_LENGTH or not _REPO_ID.match(value):
        return False
    if "--" in value or ".." in value or value.endswith(".git"):
        return False
    return not (require_namespace and "/" not in value)


@dataclass(frozen=True, order=True)
class ModelRef:
    """A Hub repo id with an optional revision (branch, tag or commit sha)."""

    repo_id: str
    revision: str | None = None

    def __post_init__(self) -> None:
        if not is_valid_repo_id(self.repo_id):
            raise InvalidIdError(f"not a valid Hub repo id: {self.repo_id[:120]!r}")
        if self.revision is not None and not _REVISION.match(self.revision):
            raise InvalidIdError(
                f"not a valid revision: {self.revision[:120]!r}", subject=self.repo_id
            )

    def __str__(self) -> str:
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Parse ``org/name`` or ``org/name@revision``; raise ``InvalidIdError`` otherwise."""
        text = text.strip()
        repo_id, sep, revision = text.partition("@")
        if sep and not revision:
            raise InvalidIdError(f"empty revision after '@' in {text[:120]!r}")
        return cls(repo_id, revision or None)

    @property
    def pinned(self) -> bool:
        return self.revision is not None and is_commit_sha(self.revision)

    def with_revision(self, revision: str | None) -> ModelRef:
        return ModelRef(self.repo_id, revision)


@dataclass(frozen=True)
class ParentValue:
    """A declared parent: a Hub ref, or the raw value with why it cannot be followed."""

    raw: str
    ref: ModelRef | None
    reason: str | None = None  # "local-path" or "invalid-id" when ref is None

    @property
    def display(self) -> str:
        return str(self.ref) if self.ref else self.raw


def clip(value: str, limit: int = MAX_RAW_LENGTH) -> str:
    """Cut a stored raw value to ``limit`` characters, marking the cut."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


MAX_FILE_NAME_LENGTH = 1000


def is_safe_repo_file(name: object) -> bool:
    """True when ``name`` is a relative path that stays inside a repo.

    File names come from the Hub's ``siblings`` (or a signature manifest), which anyone can
    write; a name like ``../../etc/passwd`` or ``/etc/passwd`` must never become a URL path that
    leaves the repo or a local path outside the mirror or model folder.
    """
    if not isinstance(name, str) or not name or len(name) > MAX_FILE_NAME_LENGTH:
        return False
    if name.startswith("/") or "\\" in name or _DRIVE.match(name):
        return False
    if any(ord(c) < 0x20 for c in name):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def looks_like_local_path(value: str) -> bool:
    if value.startswith(("/", "~", "./", "../", ".\\", "..\\", "\\", "file:")):
        return True
    if value in (".", "..") or _DRIVE.match(value) or "\\" in value:
        return True
    parts = value.split("/")
    if len(parts) > 2:
        return True
    return len(parts) == 2 and parts[0].lower() in LOCAL_FOLDER_NAMES


def decode_parent_value(value: object, *, allow_legacy: bool = True) -> ParentValue:
    """Decode one declared parent value.

    - ``https://huggingface.co/org/name`` (also ``/tree/<rev>``) → ``org/name[@rev]``;
    - a Hugging Face cache path ``.../models--org--name/snapshots/<sha>`` → ``org/name@<sha>``;
    - ``org/name`` (and legacy ``name`` when ``allow_legacy``) → itself;
    - anything path-like (absolute, relative, Windows, 3+ segments, ``models/Foo``) →
      ``local-path``; everything else → ``invalid-id``.
    """
    if not isinstance(value, str):
        return ParentValue(clip(repr(value)), None, "invalid-id")
    raw = clip(value.strip())
    if not raw:
        return ParentValue(raw, None, "invalid-id")

    url = _HF_URL.match(raw)
    if url:
        return _decode_hub_url(raw, url.group("path"))
    if re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.I):
        return ParentValue(raw, None, "invalid-id")

    cache = _CACHE_PATH.search(raw)
    if cache and cache.group("kind") == "models":
        repo_id = cache.group("id").replace("--", "/", 1)
        if is_valid_repo_id(repo_id):
            return ParentValue(raw, ModelRef(repo_id, cache.group("sha")))

    if looks_like_local_path(raw):
        return ParentValue(raw, None, "local-path")
    repo_id, sep, revision = raw.partition("@")
    if is_valid_repo_id(repo_id, require_namespace=not allow_legacy):
        if sep:
            if revision and _REVISION.match(revision):
                return ParentValue(raw, ModelRef(repo_id, revision))
            return ParentValue(raw, None, "invalid-id")
        return ParentValue(raw, ModelRef(repo_id))
    return ParentValue(raw, None, "invalid-id")


def _decode_hub_url(raw: str, path: str) -> ParentValue:
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] in ("datasets", "spaces", "api", "docs", "blog", "papers"):
        return ParentValue(raw, None, "invalid-id")
    if len(parts) >= 2 and parts[1] not in ("tree", "blob", "resolve", "commit"):
        repo_id, rest = "/".join(parts[:2]), parts[2:]
    else:
        repo_id, rest = parts[0], parts[1:]
    revision = rest[1] if len(rest) >= 2 and rest[0] in ("tree", "blob", "resolve") else None
    if not is_valid_repo_id(repo_id) or (revision and not _REVISION.match(revision)):
        return ParentValue(raw, None, "invalid-id")
    return ParentValue(raw, ModelRef(repo_id, revision))


def decode_dataset_id(value: object) -> ParentValue:
    """Decode a card ``datasets`` entry: a Hub dataset id (legacy bare ids allowed)."""
    if not isinstance(value, str):
        return ParentValue(clip(repr(value)), None, "invalid-id")
    raw = clip(value.strip())
    m = re.match(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/datasets/([^?#]+)", raw, re.I)
    candidate = "/".join(m.group(1).split("/")[:2]) if m else raw
    if is_valid_repo_id(candidate):
        return ParentValue(raw, ModelRef(candidate))
    reason = "local-path" if looks_like_local_path(raw) else "invalid-id"
    return ParentValue(raw, None, reason)
