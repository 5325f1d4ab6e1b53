"""The Hugging Face Hub, through ``huggingface_hub``: the only module here that talks HTTP.

One metadata request per model: ``GET /api/models/{id}[/revision/{rev}]?blobs=true&
securityStatus=true``. That default answer already carries ``cardData``, ``config``, ``tags``
(with the Hub's ``base_model:<relation>:<id>`` records), ``sha``, ``gated``, activity, and,
thanks to ``blobs``, every file's LFS sha256 plus the Hub's security scan. The ``expand=``
form cannot be combined with ``blobs``/``securityStatus`` (huggingface_hub refuses it), so it
would cost a second request per model for the hashes. The raw JSON is kept, because the
offline mirror stores it verbatim.

Requests go through ``huggingface_hub``'s shared HTTP session and its ``hf_raise_for_status``,
whose typed errors are translated into ``HubError`` with the unresolved reason the BOM
records. Transient failures (429, 5xx, timeouts, dropped connections) are retried with capped
exponential backoff and jitter, honouring ``Retry-After``, within a total time budget.

Metadata is cached on disk keyed by commit sha (immutable once pinned). A branch or tag name
is first resolved to a sha; that lookup is cached for ``ref_ttl`` seconds only.

``read_file_early`` reads a small file by branch name in the same round trip as the metadata,
before the sha is known. It answers the bytes together with the commit the Hub says they come
from (``X-Repo-Commit``), so the caller keeps them only when that commit is the one the
metadata pinned. It is a guess, so it is never retried and never raises: a missing file, a
gated repo or a busy Hub all answer ``None``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lineage.capped_read import CappedReadError, read_capped
from lineage.errors import HubError, InvalidIdError, ParseError
from lineage.refs import ModelRef, clip, is_commit_sha, is_safe_repo_file
from lineage.sources.apijson import snapshot_from_api
from lineage.sources.hub_client import Answer, HubClient, answered_repo
from lineage.sources.interface import (
    MAX_INFO_BYTES,
    MAX_SMALL_FILE_BYTES,
    RepoSnapshot,
    Source,
    answered_as,
)

DEFAULT_ENDPOINT = "https://huggingface.co"


def resolve_endpoint(endpoint: str | None) -> str:
    """``--endpoint``, else ``HF_ENDPOINT`` read now (huggingface_hub reads it only at import)."""
    value = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    return value.rstrip("/")


class HubSource(Source):
    name = "hub"

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        timeout: float = 20.0,
        attempt_deadline: float = 30.0,
        retry_budget: float = 60.0,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        ref_ttl: float = 600.0,
        run_deadline: float | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        self.token = token
        self.client = HubClient(
            self.endpoint, token, timeout=timeout, attempt_deadline=attempt_deadline,
            retry_budget=retry_budget, max_attempts=max_attempts, backoff_base=backoff_base,
            backoff_cap=backoff_cap, run_deadline=run_deadline)
        self.ref_ttl = ref_ttl
        self.use_cache = use_cache and cache_dir is not None
        key = hashlib.sha256(self.endpoint.encode()).hexdigest()[:16]
        self.cache_dir = (cache_dir / key) if cache_dir is not None else None
        self._cache_root = str(self.cache_dir)
        self.counts: Counter[str] = Counter()  # requests actually sent, by kind
        self._lock = threading.Lock()
        self._made_dirs: set[str] = set()  # cache folders known to exist

    def cancel(self) -> None:
        self.client.cancel()

    # -- plumbing ---------------------------------------------------------------------------
    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def _get(self, url: str, subject: str, *, params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, max_bytes: int, kind: str,
             retry: bool = True) -> Answer:
        return self.client.get(url, subject, params=params, headers=headers,
                               max_bytes=max_bytes, retry=retry,
                               on_send=lambda: self._count(kind))

    # -- cache --------------------------------------------------------------------------------
    def _cache_path(self, kind: str, repo_id: str, name: str) -> str | None:
        """Everything cached about a repo sits in one folder: ``<kind>/<org>--<name>/``.
        Paths are plain strings: a second run builds thousands, and pathlib costs ~10 us
        each."""
        if not self.use_cache or self.cache_dir is None:
            return None
        return f"{self._cache_root}/{kind}/{repo_id.lower().replace('/', '--')}/{name}"

    def _make_parent(self, path: str) -> None:
        folder = os.path.dirname(path)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)

    def _cache_read(self, path: str | None, max_age: float | None = None) -> Any:
        """A JSON value this class wrote, or ``None`` (absent, older than ``max_age`` seconds,
        or unreadable). Its nesting was bounded before it was written and ``json.dumps`` wrote
        it as ASCII, so it is parsed as is."""
        if path is None:
            return None
        try:
            if max_age is not None and time.time() - os.stat(path).st_mtime > max_age:
                return None
            return json.loads(read_capped(path, MAX_INFO_BYTES))
        except (OSError, CappedReadError, ValueError, RecursionError):
            return None

    def _cache_write(self, path: str | None, value: Any) -> None:
        self._file_cache_write(path, json.dumps(value).encode())

    # -- Source -------------------------------------------------------------------------------
    def _cached_sha(self, api_kind: str, ref: ModelRef) -> str | None:
        """The commit ``ref`` names: itself when it is a sha, else a fresh cached lookup."""
        if ref.revision and is_commit_sha(ref.revision):
            return ref.revision
        ref_name = quote(ref.revision or "HEAD", safe="")
        cached_ref = self._cache_read(
            self._cache_path(api_kind, ref.repo_id, f"ref-{ref_name}.json"), max_age=self.ref_ttl)
        if isinstance(cached_ref, dict) and isinstance(cached_ref.get("sha"), str):
            return str(cached_ref["sha"])
        return None

    def info_if_cached(self, kind: str, ref: ModelRef) -> RepoSnapshot | None:
        """The snapshot ``model_info``/``dataset_info`` would give, from the cache alone."""
        api_kind = "models" if kind == "model" else "datasets"
        sha = self._cached_sha(api_kind, ref)
        if sha is None:
            return None
        cached = self._cache_read(self._cache_path(api_kind, ref.repo_id, f"{sha}.json"))
        if not isinstance(cached, dict):
            return None
        # _info wrote it from an answer load_json had bounded: the walk is not made again
        return answered_as(snapshot_from_api(cached, repo_id=ref.repo_id, kind=kind,
                                             depth_checked=True), cached, ref.repo_id)

    def _info(self, kind: str, ref: ModelRef) -> RepoSnapshot:
        cached = self.info_if_cached(kind, ref)
        if cached is not None:
            return cached
        api_kind = "models" if kind == "model" else "datasets"
        ref_name = quote(ref.revision or "HEAD", safe="")
        ref_path = self._cache_path(api_kind, ref.repo_id, f"ref-{ref_name}.json")
        url = f"{self.endpoint}/api/{api_kind}/{ref.repo_id}"
        if ref.revision:
            url += f"/revision/{quote(ref.revision, safe='')}"
        params = {"blobs": "true", "securityStatus": "true"} if kind == "model" else \
            {"blobs": "true"}
        data, answer = self.client.get_json(
            url, ref.repo_id, params=params, max_bytes=MAX_INFO_BYTES,
            what=f"{ref.repo_id} metadata", on_send=lambda: self._count(f"{kind}_info"))
        _check_identity(data, ref, answered_repo(answer.url, api_kind) or ref.repo_id)
        snap = answered_as(snapshot_from_api(data, repo_id=ref.repo_id, kind=kind,
                                             depth_checked=True), data, ref.repo_id)
        if snap.sha:
            self._cache_write(self._cache_path(api_kind, ref.repo_id, f"{snap.sha}.json"), data)
            if not (ref.revision and is_commit_sha(ref.revision)):
                self._cache_write(ref_path, {"sha": snap.sha})
        return snap

    def model_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("model", ref)

    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        return self._info("dataset", ref)

    def _file_cache_path(self, repo_id: str, sha: str | None, filename: str,
                         suffix: str = "") -> str | None:
        """Where a file read at a commit sha is cached; ``None`` for branch reads (mutable)."""
        if not (sha and is_commit_sha(sha)):
            return None
        digest = hashlib.sha256(filename.encode()).hexdigest()[:32]
        return self._cache_path("models", repo_id, f"{sha}.file-{digest}{suffix}")

    def _file_cache_read(self, path: str | None) -> bytes | None:
        """A file this class cached, or ``None``. A cached file over the largest answer this
        class ever asks for is not one it wrote whole: a miss, so the Hub is asked again and
        its answer capped as usual."""
        if path is None:
            return None
        try:
            return read_capped(path, max(MAX_INFO_BYTES, MAX_SMALL_FILE_BYTES))
        except CappedReadError:
            return None

    def _file_cache_write(self, path: str | None, data: bytes) -> None:
        """Write whole or not at all (a temporary file renamed into place), so a concurrent
        run never reads half a file. Plain ``os`` calls: pathlib doubles the cost here."""
        if path is None:
            return
        try:
            self._make_parent(path)
            tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs speed

    # Derived data (the resolver's facts) sits beside the metadata it was derived from, and
    # counts only while it is not older than that metadata: fetching the metadata at the same
    # sha again (a branch lookup expired) makes it stale.
    def load_derived(self, repo_id: str, sha: str, name: str) -> bytes | None:
        path = self._derived_path(repo_id, sha, name)
        meta = self._cache_path("models", repo_id, f"{sha}.json")
        if path is None or meta is None:
            return None
        try:
            if os.stat(path).st_mtime_ns < os.stat(meta).st_mtime_ns:
                return None
        except OSError:
            return None
        return self._file_cache_read(path)

    def store_derived(self, repo_id: str, sha: str, name: str, data: bytes) -> None:
        self._file_cache_write(self._derived_path(repo_id, sha, name), data)

    def _derived_path(self, repo_id: str, sha: str, name: str) -> str | None:
        if not is_commit_sha(sha) or not is_safe_repo_file(name) or "/" in name:
            return None
        return self._cache_path("models", repo_id, f"{sha}.{name}")

    def read_file(self, repo_id: str, sha: str | None, filename: str, *,
                  max_bytes: int = MAX_SMALL_FILE_BYTES) -> bytes:
        """A small file at ``sha`` by one ``GET /{id}/resolve/{sha}/{file}``, size-capped.

        One round trip, where ``hf_hub_download`` spends two (``HEAD`` for the metadata, then
        ``GET``). Files read at a commit sha are cached on disk (immutable), unless the cache
        is off."""
        _check_file_name(repo_id, filename)
        path = self._file_cache_path(repo_id, sha, filename)
        data = self._file_cache_read(path)
        if data is None:
            url = f"{self.endpoint}/{repo_id}/resolve/{sha or 'main'}/{quote(filename)}"
            try:
                data = self._get(url, repo_id, max_bytes=max_bytes, kind="file").body
            except ParseError as exc:
                raise ParseError(f"larger than {max_bytes} bytes", subject=repo_id,
                                 file=filename) from exc
            except HubError as exc:
                if exc.reason == "not-found":
                    raise HubError(f"{filename} not found", subject=repo_id,
                                   reason="not-found") from exc
                raise
            self._file_cache_write(path, data)
        if len(data) > max_bytes:
            raise ParseError(f"larger than {max_bytes} bytes", subject=repo_id, file=filename)
        return data

    def read_file_early(self, repo_id: str, revision: str | None, filename: str, *,
                        max_bytes: int = MAX_SMALL_FILE_BYTES) -> tuple[bytes, str] | None:
        """A small file by one ``GET /{id}/resolve/{revision or main}/{file}``, sent before the
        metadata has pinned a sha: its bytes and the commit the Hub answered them from, or
        ``None``. One attempt, no retry, nothing raised: a missing file costs one small 404.

        When the revision is a commit sha, the answer may be the cached file at that sha. A
        branch is not looked up in the cache: the only fresh lookup there is the one the
        metadata request sent alongside has just written, and whether it is there yet is a
        matter of timing (the request count must not be). Bytes read are cached under the
        commit they come from, which is what makes them safe to reuse."""
        if not is_safe_repo_file(filename):
            return None
        try:
            ModelRef(repo_id, revision)
        except InvalidIdError:
            return None
        sha = revision if revision and is_commit_sha(revision) else None
        if sha is not None:
            data = self._file_cache_read(self._file_cache_path(repo_id, sha, filename))
            if data is not None:
                return (data, sha) if len(data) <= max_bytes else None
        url = (f"{self.endpoint}/{repo_id}/resolve/{quote(revision or 'main', safe='')}/"
               f"{quote(filename)}")
        try:
            answer = self._get(url, repo_id, max_bytes=max_bytes, kind="file_early",
                               retry=False)
        except (HubError, ParseError):
            return None
        data = answer.body
        commit = answer.headers.get("x-repo-commit", "")
        if not is_commit_sha(commit):
            return None
        self._file_cache_write(self._file_cache_path(repo_id, commit, filename), data)
        return data, commit

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        """The first ``n_bytes`` of a file by one ``Range`` request, cached at a commit sha. A
        server that ignored ``Range`` gives the file's head all the same (capped)."""
        return self._read_bytes(repo_id, sha, filename, 0, n_bytes)

    def read_range(self, repo_id: str, sha: str | None, filename: str, offset: int,
                   n_bytes: int) -> bytes:
        """``n_bytes`` from ``offset`` by one ``Range`` request (a safetensors header after
        its length), cached at a commit sha. An answer that is not the range asked for (a
        server that ignored ``Range``) is refused rather than misread."""
        return self._read_bytes(repo_id, sha, filename, offset, n_bytes)

    def _read_bytes(self, repo_id: str, sha: str | None, filename: str, offset: int,
                    n_bytes: int) -> bytes:
        _check_file_name(repo_id, filename)
        suffix = f".head{n_bytes}" if offset == 0 else f".range{offset}-{n_bytes}"
        path = self._file_cache_path(repo_id, sha, filename, suffix)
        cached = self._file_cache_read(path)
        if cached is not None:
            return cached
        url = f"{self.endpoint}/{repo_id}/resolve/{sha or 'main'}/{quote(filename)}"
        answer = self._get(url, repo_id, max_bytes=n_bytes, kind="file_head",
                           headers={"Range": f"bytes={offset}-{offset + n_bytes - 1}"})
        if offset and not answer.headers.get("content-range", "").startswith(f"bytes {offset}-"):
            raise ParseError("the Hub did not answer the byte range asked for", subject=repo_id,
                             file=filename)
        self._file_cache_write(path, answer.body)
        return answer.body


def _check_identity(data: Any, ref: ModelRef, final_repo: str) -> None:
    """A metadata answer must be about the repo asked for (or the one the Hub redirected a
    renamed repo to) and, when a commit was asked for, about that commit: anything else is a
    forged or misrouted answer, and nothing from it may reach the BOM."""
    if not isinstance(data, dict):
        return  # snapshot_from_api reports a non-object answer on the node
    answered = data.get("id", data.get("modelId"))
    wanted = {ref.repo_id.lower(), final_repo.lower()}
    if not isinstance(answered, str) or answered.lower() not in wanted:
        raise HubError(f"the Hub's answer is about {clip(repr(answered), 120)}, not the repo "
                       "asked for; answer discarded", subject=ref.repo_id)
    sha = data.get("sha")
    if ref.revision and is_commit_sha(ref.revision) and sha != ref.revision:
        raise HubError(f"the Hub's answer is for commit {clip(repr(sha), 60)}, not the pinned "
                       f"{ref.revision}; answer discarded", subject=ref.repo_id)


def _check_file_name(repo_id: str, filename: str) -> None:
    # a sibling or manifest entry named "../../x" would otherwise become a URL outside the repo
    if not is_safe_repo_file(filename):
        raise ParseError(f"file name {clip(repr(filename), 120)} is not a path inside the repo; "
                         "not requested", subject=repo_id)
