"""A loopback fake of the Hugging Face Hub that serves an offline mirror folder.

The real ``huggingface_hub`` client (``HfApi(endpoint=hub.endpoint)``, ``hf_hub_download``,
``get_hf_file_metadata``, ``list_models``) runs against it unchanged, so tests exercise the same
code paths as production. It serves the "mlbom-mirror/1" layout::

    <root>/models/<dir>/info.json | error.json, <root>/models/<dir>/files/<path>
    <root>/datasets/<dir>/info.json | error.json, <root>/datasets/<dir>/files/<path>

where ``<dir>`` is the repo id with ``/`` replaced by ``--``. Repos are looked up on every
request (case-insensitively, like the Hub), so a test may write a mirror into ``tmp_path`` and
serve it, or add repos while the server runs. ``info.json`` and ``files/`` are the head of
``main``; older commits a test wants served (say, after it moved the branch) go under
``<dir>/revisions/<sha>/info.json`` and ``<dir>/revisions/<sha>/files/<path>``.

What it speaks, and how it mirrors the real Hub:

- ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` (same for ``datasets``):
  ``info.json``, shaped by the query. Without ``blobs=true`` siblings carry only
  ``rfilename``; ``securityRepoStatus`` only with ``securityStatus=true``; ``baseModels``,
  ``childrenModelCount`` and ``downloadsAllTime`` only when asked for through ``expand``;
  ``expand=f`` (repeatable) returns just those fields plus ``id``/``_id``. A revision that is
  neither ``main``, the repo's sha (or a prefix of 7+ characters) nor one of its
  ``revisions/`` is a 404 ``RevisionNotFound``.
- ``GET``/``HEAD /{id}/resolve/{rev}/{path}`` (``/datasets/{id}/resolve/...``): the file under
  ``files/`` with ``X-Repo-Commit``, a quoted ``ETag`` (the LFS sha256, else the git blob id),
  ``Content-Length`` and ``Accept-Ranges``; one ``Range: bytes=`` range gives a 206. No Xet
  headers are sent, so the client downloads over plain HTTP. An LFS sibling that has no copy
  under ``files/`` answers ``HEAD`` from its metadata but ``GET`` with 404 ``EntryNotFound``.
- ``GET /api/models`` and ``/api/datasets``: ``filter`` (repeatable, all must match a tag),
  ``author``, ``search`` (substring of the id), ``pipeline_tag``, ``limit``, ``full``,
  ``cardData``, ``config``, ``expand``; pages of ``min(limit, page_size)`` items, the next page
  given by a ``Link: <url>; rel="next"`` header with an opaque ``cursor``, as the Hub does.
- ``error.json`` (``{"status": 401|403|404|451, "reason": ..., "message": ...}``) makes every
  request for that repo fail with that status and the ``X-Error-Code``/``X-Error-Message``
  headers ``hf_raise_for_status`` turns into ``GatedRepoError`` (reason ``gated``) or
  ``RepositoryNotFoundError`` (``not-found``); 451 is a plain ``HfHubHTTPError``.
- ``redirect.json`` (``{"to": "org/name"}``) in a repo folder makes every API and file request
  for that id a ``307`` to the same path under the new id, with a ``text/plain`` body, as the
  real Hub answers a renamed repo or a legacy id (``bert-base-uncased`` ->
  ``google-bert/bert-base-uncased``, recorded in ``tests/hub_recordings``).
- ``enforce_gating=True``: files of repos whose ``info.json`` says ``gated`` (other than
  ``README.md`` and ``.gitattributes``) answer 401 ``GatedRepo`` unless the request carries an
  ``Authorization`` header. Off by default: the snapshot's gated roots are readable.

Latency and faults, for tests of retries, timeouts and concurrency:

- ``rtt``: seconds slept before answering every request (an emulated network round trip).
- ``faults``: ``FaultRule`` (or dicts with the same keys). The first rule whose ``path`` regex
  matches the request path (query string included) and whose ``method`` matches fires, until
  it has fired ``times`` times. ``action`` is an HTTP status (429 adds ``Retry-After``,
  5xx a JSON error body), ``"reset"`` (TCP reset, no answer), ``"truncate"`` (the normal
  answer's headers with its ``Content-Length``, then only half of the body and a close) or
  ``"delay"`` (sleep ``delay`` seconds, then answer normally: from the repo as it is after
  the delay, like a server that was slow to look). Hostile servers, for tests of the client's
  deadlines and checks: ``"drip"`` (the whole normal answer, status line included, one byte
  every ``delay`` seconds), ``"html"`` (status 200 with an HTML page), ``"redirect_loop"``
  (a 302 to the same URL, for ever), ``"gzip_corrupt"`` (200 with ``Content-Encoding: gzip``
  and a body that is not gzip), ``"answer_as"`` (the metadata of the repo named in ``body``
  instead) and ``"smuggle"`` (the normal answer followed, beyond its ``Content-Length``, by a
  complete second answer whose JSON body is ``body``: what the next request on that
  connection reads if the client trusts the framing), ``"close_after"`` (the normal answer,
  kept alive as far as its headers say, then the connection closed: a keep-alive timeout),
  ``"huge_error"`` (a 404 whose JSON error body goes on for 256 MiB; the bytes the client
  let the server write before it hung up are added to ``.huge_error_bytes_sent``).

Every request is recorded in ``.requests`` as a ``HubRequest`` (method, kind, repo_id, path,
status, and the ``Range`` header when one was sent) so tests can count how often a model's
metadata was fetched, and which bytes of a file were asked for. ``max_in_flight`` is the
most requests ever being answered at once, and ``max_info_in_flight`` the most metadata
requests of those, for tests of bounded concurrency.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

__all__ = ["FakeHub", "FaultRule", "HubRequest", "repo_dir_name"]

_SHA_PREFIX = re.compile(r"^[0-9a-f]{7,40}$")
_TRUE = {"true", "1", "yes", "True"}
_EXPAND_ONLY = ("baseModels", "childrenModelCount", "downloadsAllTime")
_MODEL_EXPAND = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt",
        "disabled", "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token",
        "model-index", "pipeline_tag", "private", "resourceGroup", "safetensors", "sha",
        "siblings", "spaces", "tags", "transformersInfo", "trendingScore", "usedStorage",
        "widgetData", "securityRepoStatus",
    }
)
_DATASET_EXPAND = frozenset(
    {
        "author", "cardData", "citation", "createdAt", "description", "disabled", "downloads",
        "downloadsAllTime", "gated", "lastModified", "likes", "paperswithcode_id", "private",
        "siblings", "sha", "tags", "trendingScore", "usedStorage", "resourceGroup",
    }
)
_LIST_DEFAULT_FIELDS = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
    "library_name", "createdAt", "modelId",
)
_LIST_FULL_FIELDS = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
_ERROR_CODES = {"gated": "GatedRepo", "not-found": "RepoNotFound"}
_ALWAYS_PUBLIC = frozenset({"README.md", ".gitattributes"})
_ACTIONS = ("reset", "truncate", "delay", "drip", "html", "redirect_loop", "gzip_corrupt",
            "answer_as", "smuggle", "close_after", "huge_error")


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a deadline, a cap, Ctrl-C: what the fault tests
    provoke) is an expected event, not a server error worth a traceback on the test log."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def repo_dir_name(repo_id: str) -> str:
    """The mirror folder name of a repo id: ``org/name`` -> ``org--name``."""
    return repo_id.replace("/", "--")


class HubRequest(NamedTuple):
    """One request the fake Hub answered. ``kind`` is ``model_info``, ``dataset_info``,
    ``list_models``, ``list_datasets``, ``file`` or ``other``; ``repo_id`` is canonical when the
    repo exists (else as requested, or ``None``)."""

    method: str
    kind: str
    repo_id: str | None
    path: str
    status: int
    range: str | None = None  # the Range header, as sent


@dataclass
class FaultRule:
    """Make matching requests fail. See the module docstring for the actions."""

    path: str
    action: int | str
    times: int = 1
    method: str | None = None  # None: any method
    delay: float = 0.0  # for action "delay"
    retry_after: int = 1  # for status 429
    body: str = ""  # for "smuggle" (the forged JSON) and "answer_as" (a repo id)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.action, str) and self.action not in _ACTIONS:
            raise ValueError(f"unknown fault action: {self.action!r}")
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        if self.fired >= self.times:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self._regex.search(path) is not None


@dataclass
class _Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class _Repo:
    kind: str  # "model" or "dataset"
    dir: Path
    info: dict[str, Any] | None
    error: dict[str, Any] | None

    @property
    def repo_id(self) -> str | None:
        return self.info.get("id") if self.info else None


class FakeHub:
    """Serve a mirror folder over ``http://127.0.0.1:<free port>`` until ``stop()``.

    Use as a context manager, or call ``start()``/``stop()``. ``endpoint`` is the base URL to
    hand to ``HfApi(endpoint=...)`` / ``hf_hub_download(endpoint=...)``.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        rtt: float = 0.0,
        faults: Iterable[FaultRule | Mapping[str, Any]] = (),
        page_size: int = 20,
        enforce_gating: bool = False,
        listing: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.root = Path(root)
        # ``listing``: the models ``/api/models`` lists, in order, instead of the mirror's
        # (a benchmark serves millions without writing a folder each); filters still apply
        self.listing = listing
        self.rtt = rtt
        self.page_size = page_size
        self.enforce_gating = enforce_gating
        self.faults: list[FaultRule] = [
            f if isinstance(f, FaultRule) else FaultRule(**dict(f)) for f in faults
        ]
        self._lock = threading.Lock()
        self._requests: list[HubRequest] = []
        self.in_flight = 0  # requests being answered right now
        self.max_in_flight = 0  # the most ever answered at once (reset by reset_counts)
        self.huge_error_bytes_sent = 0  # see the "huge_error" fault
        self.info_in_flight = 0  # metadata requests (/api/models/.., /api/datasets/..) of those
        self.max_info_in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeHub:
        if self._server is not None:
            return self
        hub = self

        class Handler(_Handler):
            fake = hub

        ThreadingHTTPServer.request_queue_size = 128  # many parallel clients: no dropped SYNs
        server = _QuietServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="fakehub", kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeHub is not running")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- request log -------------------------------------------------------------------------
    @property
    def requests(self) -> list[HubRequest]:
        """A copy of the requests answered so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def counts(self) -> Counter[tuple[str, str, str | None]]:
        """``Counter`` of ``(method, kind, repo_id)`` over the requests so far."""
        return Counter((r.method, r.kind, r.repo_id) for r in self.requests)

    def count(
        self, kind: str | None = None, repo_id: str | None = None, method: str | None = None
    ) -> int:
        """How many requests matched all the given criteria (repo ids compared lower-case)."""
        want = repo_id.lower() if repo_id else None
        return sum(
            1
            for r in self.requests
            if (kind is None or r.kind == kind)
            and (method is None or r.method == method)
            and (want is None or (r.repo_id or "").lower() == want)
        )

    def reset_counts(self) -> None:
        with self._lock:
            self._requests.clear()
            self.max_in_flight = self.in_flight
            self.max_info_in_flight = self.info_in_flight

    def _enter(self, info: bool) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.info_in_flight += info
            self.max_info_in_flight = max(self.max_info_in_flight, self.info_in_flight)

    def _leave(self, info: bool) -> None:
        with self._lock:
            self.in_flight -= 1
            self.info_in_flight -= info

    def _record(self, request: HubRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, method: str, path: str) -> FaultRule | None:
        with self._lock:
            for rule in self.faults:
                if rule.matches(method, path):
                    rule.fired += 1
                    return rule
        return None

    # -- repo lookup -------------------------------------------------------------------------
    def _find_repo(self, kind: str, repo_id: str) -> _Repo | None:
        base = self.root / ("models" if kind == "model" else "datasets")
        wanted = repo_dir_name(repo_id)
        candidate = base / wanted
        if not candidate.is_dir():
            candidate = next(
                (p for p in _listdir(base) if p.name.lower() == wanted.lower() and p.is_dir()),
                base / wanted,
            )
        info_path, error_path = candidate / "info.json", candidate / "error.json"
        if error_path.is_file():
            return _Repo(kind, candidate, None, json.loads(error_path.read_text("utf-8")))
        if info_path.is_file():
            return _Repo(kind, candidate, json.loads(info_path.read_text("utf-8")), None)
        return None

    def _find_redirect(self, kind: str, repo_id: str) -> str | None:
        """The id a renamed repo now answers to (``redirect.json``), if it was renamed."""
        base = self.root / ("models" if kind == "model" else "datasets")
        wanted = repo_dir_name(repo_id).lower()
        for p in _listdir(base):
            if p.name.lower() == wanted and (p / "redirect.json").is_file():
                to = json.loads((p / "redirect.json").read_text("utf-8")).get("to")
                return str(to) if to else None
        return None

    def _all_infos(self, kind: str) -> list[dict[str, Any]]:
        base = self.root / ("models" if kind == "model" else "datasets")
        infos = []
        for d in sorted(_listdir(base)):
            info_path = d / "info.json"
            if info_path.is_file() and not (d / "error.json").exists():
                infos.append(json.loads(info_path.read_text("utf-8")))
        return sorted(infos, key=lambda i: str(i.get("id", "")).lower())


def _listdir(path: Path) -> list[Path]:
    try:
        return list(path.iterdir())
    except OSError:
        return []


def _json_reply(status: int, data: Any, headers: Mapping[str, str] | None = None) -> _Reply:
    body = json.dumps(data).encode("utf-8")
    return _Reply(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                  body)


def _error_reply(
    status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
) -> _Reply:
    extra = {"X-Error-Message": message}
    if code:
        extra["X-Error-Code"] = code
    return _json_reply(status, {"error": message}, {**extra, **(headers or {})})


def _repo_error_reply(repo: _Repo, repo_id: str) -> _Reply:
    assert repo.error is not None
    status = int(repo.error.get("status", 404))
    reason = str(repo.error.get("reason", "not-found"))
    message = str(repo.error.get("message") or f"{repo_id}: {reason}")
    code = _ERROR_CODES.get(reason)
    if code is None and status in (401, 404):
        code = "RepoNotFound"
    return _error_reply(status, message, code)


def _redirect_reply(path: str, old: str, new: str) -> _Reply:
    """The Hub's 307 for a renamed repo: the same path and query under the new id."""
    split = urlsplit(path)
    location = split.path.replace(f"/{quote(old)}/", f"/{quote(new)}/", 1)
    if split.path.endswith(f"/{quote(old)}"):
        location = split.path[: -len(quote(old))] + quote(new)
    if split.query:
        location += "?" + split.query
    body = f"Temporary Redirect. Redirecting to {location}".encode()
    return _Reply(307, {"Location": location, "Content-Type": "text/plain; charset=utf-8"},
                  body)


def _not_found(kind: str, repo_id: str) -> _Reply:
    return _error_reply(404, f"{kind.capitalize()} {repo_id} not found", "RepoNotFound")


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    return any(v in _TRUE for v in query.get(name, []))


def _revision_matches(info: Mapping[str, Any], revision: str) -> bool:
    sha = str(info.get("sha") or "")
    if revision == "main":
        return True
    return bool(sha) and bool(_SHA_PREFIX.match(revision)) and sha.startswith(revision)


def _old_revision(repo: _Repo, revision: str) -> _Repo | None:
    """An older commit of ``repo`` kept under ``revisions/<sha>/``, by sha or 7+ prefix."""
    if not _SHA_PREFIX.match(revision):
        return None
    for folder in sorted(_listdir(repo.dir / "revisions")):
        info_path = folder / "info.json"
        if folder.name.startswith(revision) and info_path.is_file():
            return _Repo(repo.kind, folder, json.loads(info_path.read_text("utf-8")), None)
    return None


def _split_repo_path(segments: Sequence[str]) -> tuple[str, list[str]] | None:
    """Split ``[ns, name, *rest]`` / ``[legacy, *rest]`` API path segments into id and rest."""
    if not segments or not segments[0]:
        return None
    if len(segments) == 1 or segments[1] in ("revision", "tree", "resolve"):
        return segments[0], list(segments[1:])
    return f"{segments[0]}/{segments[1]}", list(segments[2:])


def _shape_info(info: Mapping[str, Any], query: Mapping[str, list[str]], kind: str) -> _Reply:
    expand = [e for values in query.get("expand", []) for e in values.split(",") if e]
    if expand:
        allowed = _MODEL_EXPAND if kind == "model" else _DATASET_EXPAND
        bad = [e for e in expand if e not in allowed]
        if bad:
            return _error_reply(400, f'"expand" contains unknown values: {", ".join(bad)}')
        if _flag(query, "blobs") or _flag(query, "securityStatus"):
            return _error_reply(400, '"expand" cannot be combined with blobs or securityStatus')
        out = {k: info[k] for k in ("_id", "id") if k in info}
        for name in expand:
            if name in info:
                out[name] = _thin_siblings(info[name]) if name == "siblings" else info[name]
        return _json_reply(200, out)
    out = {k: v for k, v in info.items() if k not in _EXPAND_ONLY and k != "securityRepoStatus"}
    if _flag(query, "securityStatus") and "securityRepoStatus" in info:
        out["securityRepoStatus"] = info["securityRepoStatus"]
    if "siblings" in out and not _flag(query, "blobs"):
        out["siblings"] = _thin_siblings(out["siblings"])
    return _json_reply(200, out)


def _thin_siblings(siblings: Any) -> Any:
    if not isinstance(siblings, list):
        return siblings
    return [{"rfilename": s.get("rfilename")} for s in siblings if isinstance(s, dict)]


def _list_item(
    info: Mapping[str, Any], query: Mapping[str, list[str]], kind: str
) -> dict[str, Any]:
    expand = [e for values in query.get("expand", []) for e in values.split(",") if e]
    if expand:
        out = {k: info[k] for k in ("_id", "id") if k in info}
        for name in expand:
            if name in info:
                out[name] = _thin_siblings(info[name]) if name == "siblings" else info[name]
        return out
    fields = list(_LIST_DEFAULT_FIELDS)
    if _flag(query, "full"):
        fields += _LIST_FULL_FIELDS
    if _flag(query, "cardData") or (kind == "dataset" and _flag(query, "full")):
        fields.append("cardData")
    if _flag(query, "config"):
        fields.append("config")
    out = {k: info[k] for k in fields if k in info}
    if "siblings" in out:
        out["siblings"] = _thin_siblings(out["siblings"])
    return out


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return int(json.loads(base64.urlsafe_b64decode(padded))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("invalid cursor") from exc


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive for one ``bytes=`` range; ``None`` if unsatisfiable."""
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):
        length = int(m.group(2))
        if length == 0 or size == 0:
            return None
        return max(0, size - length), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two sends; with Nagle on, each answer waits ~40 ms for the
    # client's delayed ACK, which a loopback "Hub" must not add to every measured round trip.
    disable_nagle_algorithm = True
    fake: FakeHub
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._handle()

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._handle()

    def _handle(self) -> None:
        info = self.path.startswith(("/api/models/", "/api/datasets/"))
        self.fake._enter(info)
        try:
            self._answer()
        finally:
            self.fake._leave(info)

    def _answer(self) -> None:
        hub = self.fake
        if hub.rtt:
            time.sleep(hub.rtt)
        fault = hub._take_fault(self.command, self.path)
        if fault is not None and fault.action == "delay":
            time.sleep(fault.delay)
            fault = None
        kind, repo_id, reply = self._route()
        if fault is not None and isinstance(fault.action, int):
            reply = _fault_reply(fault)
        elif fault is not None and fault.action in _REPLACING:
            reply = self._hostile_reply(fault, reply)
        status = reply.status if fault is None or not isinstance(fault.action, str) or \
            fault.action in _REPLACING else 0
        hub._record(HubRequest(self.command, kind, repo_id, self.path, status,
                               self.headers.get("Range")))
        if fault is not None and fault.action == "reset":
            self._reset()
        elif fault is not None and fault.action == "truncate":
            self._send(reply, truncate=True)
        elif fault is not None and fault.action == "drip":
            self._drip(reply, fault.delay)
        elif fault is not None and fault.action == "close_after":
            self._send(reply)  # a keep-alive answer, then the server closes the connection
            self.close_connection = True
        elif fault is not None and fault.action == "huge_error":
            self._huge_error()
        elif fault is not None and fault.action == "smuggle":
            forged = _json_reply(200, json.loads(fault.body))
            self._send(reply, extra=self._wire(forged))
        else:
            self._send(reply)

    def _hostile_reply(self, fault: FaultRule, reply: _Reply) -> _Reply:
        if fault.action == "html":
            page = b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>"
            return _Reply(200, {"Content-Type": "text/html; charset=utf-8"}, page)
        if fault.action == "redirect_loop":
            return _Reply(302, {"Location": self.path}, b"")
        if fault.action == "gzip_corrupt":
            return _Reply(200, {"Content-Type": "application/json",
                                "Content-Encoding": "gzip"}, b"\x1f\x8b\x08\x00garbage" * 8)
        repo = self.fake._find_repo("model", fault.body)  # answer_as
        assert repo is not None and repo.info is not None, fault.body
        return _shape_info(repo.info, {}, "model")

    def _wire(self, reply: _Reply) -> bytes:
        """A whole HTTP/1.1 answer as bytes."""
        lines = [f"HTTP/1.1 {reply.status} OK"]
        headers = {"Content-Length": str(len(reply.body)), **reply.headers}
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body

    def _drip(self, reply: _Reply, delay: float) -> None:
        """The whole answer one byte at a time: a server that never stops, nor finishes."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            for byte in self._wire(reply):
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(delay)

    # -- writing -----------------------------------------------------------------------------
    def _send(self, reply: _Reply, truncate: bool = False, extra: bytes = b"") -> None:
        self.send_response(reply.status)
        headers = {"Content-Length": str(len(reply.body)), **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self._reset()
            return
        self.wfile.write(reply.body + extra)

    def _huge_error(self) -> None:
        """A 404 with a 256 MiB body, written until the client stops reading."""
        size, chunk = 256 << 20, b'{"error": "' + b"x" * (1 << 16)
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Error-Code", "RepoNotFound")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        try:
            while sent < size:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            with self.fake._lock:
                self.fake.huge_error_bytes_sent += sent
            self.close_connection = True

    def _reset(self) -> None:
        """Close the TCP connection with a reset (SO_LINGER 0) and nothing more sent."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    # -- routing -----------------------------------------------------------------------------
    def _route(self) -> tuple[str, str | None, _Reply]:
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        segments = [unquote(s) for s in split.path.split("/")[1:]]
        if segments and segments[-1] == "":
            segments = segments[:-1]
        if len(segments) >= 2 and segments[0] == "api" and segments[1] in ("models", "datasets"):
            kind = "model" if segments[1] == "models" else "dataset"
            if len(segments) == 2:
                return f"list_{segments[1]}", None, self._list(kind, query)
            return self._api_repo(kind, segments[2:], query)
        if segments and segments[0] == "datasets":
            return self._resolve("dataset", segments[1:])
        if segments and segments[0] not in ("api", "spaces"):
            return self._resolve("model", segments)
        return "other", None, _error_reply(404, f"no such endpoint: {split.path}")

    def _api_repo(
        self, kind: str, segments: list[str], query: Mapping[str, list[str]]
    ) -> tuple[str, str | None, _Reply]:
        what = f"{kind}_info"
        parsed = _split_repo_path(segments)
        if parsed is None:
            return what, None, _error_reply(404, "no repo id")
        repo_id, rest = parsed
        if rest and not (len(rest) == 2 and rest[0] == "revision"):
            return "other", repo_id, _error_reply(404, f"endpoint not served: {'/'.join(rest)}")
        repo = self.fake._find_repo(kind, repo_id)
        if repo is None:
            moved = self.fake._find_redirect(kind, repo_id)
            if moved:
                return what, repo_id, _redirect_reply(self.path, repo_id, moved)
            return what, repo_id, _not_found(kind, repo_id)
        if repo.error is not None:
            return what, repo_id, _repo_error_reply(repo, repo_id)
        assert repo.info is not None
        canonical = repo.repo_id or repo_id
        if rest and not _revision_matches(repo.info, rest[1]):
            old = _old_revision(repo, rest[1])
            if old is None or old.info is None:
                return what, canonical, _error_reply(
                    404, f"Invalid rev id: {rest[1]}", "RevisionNotFound"
                )
            repo = old
        assert repo.info is not None
        return what, canonical, _shape_info(repo.info, query, kind)

    def _resolve(self, kind: str, segments: list[str]) -> tuple[str, str | None, _Reply]:
        if len(segments) >= 3 and segments[1] == "resolve":
            repo_id, rest = segments[0], segments[2:]
        elif len(segments) >= 4 and segments[2] == "resolve":
            repo_id, rest = f"{segments[0]}/{segments[1]}", segments[3:]
        else:
            return "other", None, _error_reply(404, "not a resolve URL")
        revision, filename = rest[0], "/".join(rest[1:])
        repo = self.fake._find_repo(kind, repo_id)
        if repo is None:
            moved = self.fake._find_redirect(kind, repo_id)
            if moved:
                return "file", repo_id, _redirect_reply(self.path, repo_id, moved)
            return "file", repo_id, _not_found(kind, repo_id)
        if repo.error is not None:
            return "file", repo_id, _repo_error_reply(repo, repo_id)
        assert repo.info is not None
        info, canonical = repo.info, repo.repo_id or repo_id
        if not _revision_matches(info, revision):
            old = _old_revision(repo, revision)
            if old is None or old.info is None:
                return "file", canonical, _error_reply(
                    404, f"Invalid rev id: {revision}", "RevisionNotFound"
                )
            repo, info = old, old.info
        commit = {"X-Repo-Commit": str(info.get("sha") or "")}
        if (
            self.fake.enforce_gating
            and info.get("gated")
            and filename not in _ALWAYS_PUBLIC
            and "Authorization" not in self.headers
        ):
            return "file", canonical, _error_reply(
                401, "Access to this model is restricted.", "GatedRepo", commit
            )
        sibling = next(
            (s for s in info.get("siblings") or []  # hostile fixtures hold non-objects too
             if isinstance(s, dict) and s.get("rfilename") == filename), None
        )
        files_root = (repo.dir / "files").resolve()
        path = (files_root / filename).resolve()
        inside = path.is_relative_to(files_root) and ".." not in filename.split("/")
        if not filename or not inside or not path.is_file():
            if sibling and sibling.get("lfs") and self.command == "HEAD":
                return "file", canonical, _Reply(200, _file_headers(sibling, None, commit))
            return "file", canonical, _error_reply(
                404, "Entry not found", "EntryNotFound", commit
            )
        data = path.read_bytes()
        headers = _file_headers(sibling, data, commit)
        wanted = self.headers.get("Range")
        if wanted:
            span = _parse_range(wanted, len(data))
            if span is None:
                headers = {**commit, "Content-Range": f"bytes */{len(data)}"}
                return "file", canonical, _error_reply(416, "Range Not Satisfiable", None, headers)
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return "file", canonical, _Reply(206, headers, data[start : end + 1])
        return "file", canonical, _Reply(200, headers, data)

    def _list(self, kind: str, query: Mapping[str, list[str]]) -> _Reply:
        listing = self.fake.listing if kind == "model" else None
        infos: Sequence[Mapping[str, Any]] = (
            listing if listing is not None else self.fake._all_infos(kind))
        filters = [f for values in query.get("filter", []) for f in values.split(",") if f]
        author = next(iter(query.get("author", [])), None)
        search = ((query.get("search") or [""])[0]).lower()
        pipeline = next(iter(query.get("pipeline_tag", [])), None)
        selected = infos if not (filters or author or search or pipeline) else [
            i
            for i in infos
            if all(f in (i.get("tags") or []) for f in filters)
            and (not author or str(i.get("id", "")).split("/")[0] == author)
            and (not search or search in str(i.get("id", "")).lower())
            and (not pipeline or i.get("pipeline_tag") == pipeline)
        ]
        try:
            limit = int((query.get("limit") or ["0"])[0])
            offset = _decode_cursor(query["cursor"][0]) if query.get("cursor") else 0
        except ValueError:
            return _error_reply(400, "invalid limit or cursor")
        size = min(limit, self.fake.page_size) if limit > 0 else self.fake.page_size
        page = selected[offset : offset + size]
        headers: dict[str, str] = {}
        if offset + size < len(selected):
            params = [(k, v) for k, vs in query.items() if k != "cursor" for v in vs]
            params.append(("cursor", _encode_cursor(offset + size)))
            url = f"{self.fake.endpoint}/api/{kind}s?{urlencode(params, quote_via=quote)}"
            headers["Link"] = f'<{url}>; rel="next"'
        return _json_reply(200, [_list_item(i, query, kind) for i in page], headers)


def _file_headers(
    sibling: Mapping[str, Any] | None, data: bytes | None, commit: Mapping[str, str]
) -> dict[str, str]:
    lfs = (sibling or {}).get("lfs") or None
    if lfs:
        etag = str(lfs.get("sha256"))
        size = len(data) if data is not None else int(lfs.get("size", 0))
    else:
        etag = str((sibling or {}).get("blobId") or _git_blob_id(data or b""))
        size = len(data or b"")
    headers = {
        **commit,
        "ETag": f'"{etag}"',
        "Accept-Ranges": "bytes",
        "Content-Type": "application/octet-stream",
    }
    if lfs:
        headers["X-Linked-Etag"] = f'"{etag}"'
        headers["X-Linked-Size"] = str(size)
    if data is None:
        headers["Content-Length"] = str(size)
    return headers


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


_REPLACING = ("html", "redirect_loop", "gzip_corrupt", "answer_as")


def _fault_reply(rule: FaultRule) -> _Reply:
    status = int(rule.action)
    headers = {"Retry-After": str(rule.retry_after)} if status == 429 else {}
    return _error_reply(status, f"injected fault {status}", None, headers)
