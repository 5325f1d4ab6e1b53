"""The signed manifest and its digests compared with the files (Hub LFS sha256s or a folder).

Hub models are never downloaded: each signed sha256 is compared with the Hub's LFS sha256 of
that file; only small non-LFS files are fetched (``Source.read_file`` at ``node.sha``) and
hashed. Local folders are hashed with ``lineage.hashing``. Files the manifest does not cover
are a mismatch too (as in model-signing), except the signature files, git paths and the
manifest's own ``ignore_paths``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lineage.annotate.signatures._options import (
    GIT_PATHS,
    HASH_ALIASES,
    IN_TOTO_PAYLOAD,
    IN_TOTO_STATEMENT,
)
from lineage.errors import MlbomError
from lineage.graph import ModelNode
from lineage.hashing import hash_files, list_files, safe_join
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, Source

if TYPE_CHECKING:
    from model_signing import hashing as ms_hashing


@dataclass
class Compared:
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    mismatch_files: list[str] = field(default_factory=list)
    unable: str | None = None

    def mismatch(self, file: str, text: str) -> None:
        self.mismatches.append(text)
        self.mismatch_files.append(file)


@dataclass(frozen=True)
class Item:
    identifier: str  # file path, or "path:start:end" for shards
    algorithm: str
    digest: str

    @property
    def path(self) -> str:
        parts = self.identifier.rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return parts[0]
        return self.identifier


class PayloadError(Exception):
    def __init__(self, message: str, status: str) -> None:
        self.status = status
        super().__init__(message)


def typed_payload(payload_type: str, payload: bytes) -> bytes:
    if payload_type != IN_TOTO_PAYLOAD:
        raise ValueError(f"DSSE payload type {payload_type[:80]!r} is not in-toto")
    return payload


def signed_manifest(payload: bytes) -> tuple[list[Item], dict[str, Any]]:
    """The signed resources and serialization section, via model-signing's own reader."""
    from model_signing._signing import signing

    try:
        statement = json.loads(payload)
    except ValueError as exc:
        raise PayloadError(f"the signed payload is not JSON: {exc}", "not-verified") from exc
    if not isinstance(statement, dict) or statement.get("_type") != IN_TOTO_STATEMENT:
        raise PayloadError("the signed payload is not an in-toto v1 Statement", "not-verified")
    try:
        manifest = signing.dsse_payload_to_manifest(statement)
    except ValueError as exc:
        status = "invalid" if "inconsistent" in str(exc) else "not-verified"
        raise PayloadError(f"signed manifest: {exc}"[:300], status) from exc
    except (KeyError, TypeError) as exc:
        raise PayloadError(f"signed manifest is malformed: {exc}"[:300], "not-verified") from exc
    items = [
        Item(rd.identifier, rd.digest.algorithm, rd.digest.digest_hex)
        for rd in manifest.resource_descriptors()
    ]
    return items, dict(manifest.serialization_type)


def _is_ignored(name: str, ignored: set[str]) -> bool:
    parts = PurePosixPath(name).parts
    if parts and parts[0] in GIT_PATHS:
        return True
    return any(name == p or name.startswith(p.rstrip("/") + "/") for p in ignored)


def _plain_algorithm(algorithm: str) -> str:
    return algorithm.split("-sharded-", 1)[0]


def _digest_bytes(algorithm: str, data: bytes) -> str:
    name = _plain_algorithm(algorithm)
    if name == "blake3":
        import blake3

        return str(blake3.blake3(data).hexdigest())
    return hashlib.new(name, data).hexdigest()


def compare_hub(
    node: ModelNode,
    source: Source | None,
    items: list[Item],
    serialization: dict[str, Any],
    ignored: set[str],
) -> Compared:
    out = Compared()
    entries = {f.name: f for f in node.files}
    sharded = serialization.get("method") == "shards"
    expected_paths = {it.path for it in items}
    for it in items:
        entry = entries.get(it.path)
        if entry is None:
            out.mismatch(it.path, f"{it.path} is signed but missing from the repo")
            continue
        if entry.sha256 and not sharded and _plain_algorithm(it.algorithm) == "sha256":
            out.checked += 1
            if entry.sha256.lower() != it.digest:
                out.mismatch(it.path, f"digest mismatch for {it.path} (Hub LFS sha256 differs)")
            continue
        if entry.lfs or entry.sha256:
            out.unable = (
                f"{it.path}: signed as {it.algorithm}; only the Hub's LFS sha256 of whole files "
                "can be compared without downloading the weights"
            )
            continue
        if source is None or node.repo_id is None:
            out.unable = f"{it.path}: no source to read it from"
            continue
        try:
            data = source.read_file(node.repo_id, node.sha, it.path, max_bytes=MAX_SMALL_FILE_BYTES)
        except MlbomError as exc:
            out.unable = f"{it.path}: could not read it: {exc}"[:300]
            continue
        if sharded:
            start, end = (int(x) for x in it.identifier.rsplit(":", 2)[1:])
            data = data[start:end]
        out.checked += 1
        if _digest_bytes(it.algorithm, data) != it.digest:
            out.mismatch(it.path, f"digest mismatch for {it.path}")
    for name in sorted(entries):
        if name not in expected_paths and not _is_ignored(name, ignored):
            out.mismatch(name, f"{name} is in the repo but not covered by the signature")
    return out


def compare_local(
    node: ModelNode, items: list[Item], serialization: dict[str, Any], ignored: set[str]
) -> Compared:
    root = node.local_dir
    assert root is not None
    out = Compared()
    try:
        present = [n for n in list_files(root) if not _is_ignored(n, ignored)]
    except OSError as exc:
        out.unable = f"cannot list {root}: {exc}"
        return out
    expected_paths = {it.path for it in items}
    allow_symlinks = str(serialization.get("allow_symlinks", False)).lower() == "true"
    for name in present:
        if not allow_symlinks and safe_join(root, name).is_symlink():
            out.mismatch(name, f"{name} is a symlink, which the signature does not allow")
    for name in present:
        if name not in expected_paths:
            out.mismatch(name, f"{name} is in the folder but not covered by the signature")
    present_set = set(present)
    for it in items:
        if it.path not in present_set:
            out.mismatch(it.path, f"{it.path} is signed but missing from the folder")
    if out.mismatches:
        return out
    plain_sha = serialization.get("method") == "files" and all(
        it.algorithm == "sha256" for it in items
    )
    try:
        actual = (
            _local_sha256(node, [it.path for it in items])
            if plain_sha
            else _local_model_signing(root, serialization, ignored)
        )
    except MlbomError as exc:
        out.unable = str(exc)
        return out
    except Exception as exc:  # noqa: BLE001 - model-signing hashing errors are data here
        out.unable = f"could not hash the folder as the signature describes: {exc}"[:300]
        return out
    for it in items:
        out.checked += 1
        if actual.get(it.identifier) != it.digest:
            out.mismatch(it.path, f"digest mismatch for {it.path}")
    return out


def _local_sha256(node: ModelNode, names: list[str]) -> dict[str, str]:
    assert node.local_dir is not None
    known: dict[str, str] = {}
    if node.weights is not None:
        known = {w.name: w.sha256 for w in node.weights.files if w.sha256}
    todo = [n for n in names if n not in known]
    return {**known, **hash_files(node.local_dir, todo)}


def hashing_config_from_serialization(
    serialization: dict[str, Any], ignore: Iterable[str] = ()
) -> ms_hashing.Config:
    """A model-signing hashing configuration rebuilt from a signed manifest's
    ``serialization`` section (model-signing 1.1.1's own guess breaks on ``blake2b`` and on
    ``shard_size`` floats). ``ignore`` adds paths (the signature file) to the ignored ones."""
    from model_signing import hashing

    hash_type = str(serialization.get("hash_type", "sha256"))
    algorithm = HASH_ALIASES.get(_plain_algorithm(hash_type))
    if algorithm is None:
        raise ValueError(f"unsupported hash type {hash_type!r}")
    allow = str(serialization.get("allow_symlinks", False)).lower() == "true"
    paths = [*(serialization.get("ignore_paths") or []), *ignore]
    cfg = hashing.Config()  # type: ignore[no-untyped-call]
    cfg.set_ignored_paths(paths=paths, ignore_git_paths=True)
    method = serialization.get("method")
    if method == "files":
        cfg.use_file_serialization(hashing_algorithm=algorithm, allow_symlinks=allow)  # type: ignore[arg-type]
    elif method == "shards":
        cfg.use_shard_serialization(
            hashing_algorithm=algorithm,  # type: ignore[arg-type]
            shard_size=int(serialization["shard_size"]),
            allow_symlinks=allow,
        )
    else:
        raise ValueError(f"unsupported serialization method {method!r}")
    cfg.set_allow_symlinks(allow)
    return cfg


def _local_model_signing(
    root: Path, serialization: dict[str, Any], ignored: set[str]
) -> dict[str, str]:
    cfg = hashing_config_from_serialization(serialization, sorted(ignored))
    manifest = cfg.hash(root)
    return {rd.identifier: rd.digest.digest_hex for rd in manifest.resource_descriptors()}
