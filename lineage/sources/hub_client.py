"""The one module that talks HTTP to the Hub: ``HubClient``.

Everything mlbom asks the Hub (repo metadata, small files and byte ranges, pages of
``/api/models``) goes through ``HubClient.get``, over huggingface_hub's shared ``httpx2`` client
(``get_session``), whose factory this module sets once so that every socket read and connect
honours a deadline. What the client promises:

- **A total deadline per request.** Each attempt ends by ``attempt_deadline`` seconds, all
  attempts and back-off of one request by ``retry_budget`` seconds, and every request by the
  run's deadline when one is set (``run_deadline``). The bound is enforced on every socket
  operation (reads are cut into short slices), so a server that sends one byte every few
  seconds cannot hold mlbom: the per-read timeout alone would never fire.
- **One retry policy.** 429, 5xx, timeouts, dropped connections and broken framing are retried
  with capped exponential back-off and jitter, honouring ``Retry-After``. Nothing is retried
  once the run's deadline has passed or ``cancel()`` was called (Ctrl-C): sleeps and socket
  reads end within ``_SLICE`` seconds of it.
- **One error table** (``_ERRORS``): huggingface_hub's and httpx2's exceptions become
  ``HubError`` with the unresolved reason the BOM records, or a retry. Nothing else escapes.
- **Framing is checked.** On HTTP/1.1 an answer that was already buffered before its request
  was sent (a previous answer's ``Content-Length`` was shorter than its body) is discarded
  with its connection and the request is sent again on a fresh one. Callers check that a
  metadata answer names the repo asked for (``answered_repo``).
- **HTML is not JSON.** ``get_json`` refuses an answer that is an HTML page (a proxy, a login
  or captive portal) as an operational failure, not as malformed input.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from lineage.errors import HubError, ParseError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SLICE = 0.1  # longest blocking socket call: how fast a deadline or Ctrl-C is noticed
_CONNECT_SLICE = 1.0  # a connect cut short is simply tried again (a SYN retransmission)
_FRESH = 2.0  # seconds after its last use that an idle connection is taken as still open


class _Transient(Exception):
    """A failure worth another attempt."""

    def __init__(self, message: str, retry_after: float | None = None, *,
                 unreachable: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unreachable = unreachable  # no connection could be made at all


class _Cancelled(Exception):
    """The run was cancelled or its deadline passed: no further attempt."""


@dataclass(frozen=True)
class Answer:
    """One answered GET: the body (capped), the headers (a redirect's under the final
    answer's), the final URL and the ``rel="next"`` link when the answer has one."""

    body: bytes
    headers: dict[str, str]
    url: str
    next_url: str | None = None


# -- deadlines on every socket operation -------------------------------------------------------
class _Bound(threading.local):
    """The deadline (monotonic) and cancel flag of the request running in this thread."""

    deadline: float | None = None
    cancel: threading.Event | None = None


_BOUND = _Bound()


def _time_left(limit: float | None) -> float | None:
    """Seconds this thread's request may still block, at most ``limit`` (``None``: no bound at
    all, a caller outside ``HubClient``); raises when no time is left."""
    if _BOUND.cancel is not None and _BOUND.cancel.is_set():
        raise _Cancelled("cancelled")
    left = limit
    if _BOUND.deadline is not None:
        remaining = _BOUND.deadline - time.monotonic()
        left = remaining if left is None else min(left, remaining)
    if left is not None and left <= 0:
        import httpcore2

        raise httpcore2.ReadTimeout("deadline reached")
    return left


def _sliced(left: float | None, piece: float) -> tuple[float, bool]:
    """The timeout for one blocking call, and whether it is only a slice of ``left``."""
    if left is None or left > piece:
        return piece, True
    return left, False


class _DeadlineStream:
    """An httpcore network stream whose every call ends by the request's deadline (httpcore
    only calls these methods; its ``NetworkStream`` base class is an interface).
    ``reads_since_write`` feeds the framing check; a ``broken`` stream is never reused."""

    def __init__(self, wrapped: Any) -> None:
        self._inner = wrapped
        self.reads_since_write = 0
        self.broken = False
        self._new_request = True  # the next write starts a request
        self._last_io = time.monotonic()

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore2

        per_read_end = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _time_left(None if per_read_end is None else per_read_end - time.monotonic())
            piece, partial = _sliced(left, _SLICE)
            try:
                data: bytes = self._inner.read(max_bytes, timeout=piece)
            except httpcore2.ReadTimeout:
                if partial:
                    continue  # only a slice ended: look at the deadline and cancel again
                raise
            self.reads_since_write += 1
            self._new_request = True
            self._last_io = time.monotonic()
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._new_request:
            self._new_request = False
            if self._inner.get_extra_info("is_readable"):
                import httpcore2

                # bytes (or a close) came on an idle connection before any request: never
                # read them as this request's answer. The pool then sends the request on
                # another connection at once, as for any connection that became unusable.
                self.broken = True
                raise httpcore2.ConnectionNotAvailable()
        self.reads_since_write = 0
        self._last_io = time.monotonic()
        self._inner.write(buffer, timeout=_time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _time_left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            if self.broken:
                return True  # the pool then drops this connection instead of reusing it
            if time.monotonic() - self._last_io < _FRESH:
                # the pool asks this of every idle connection for every request (a poll
                # each); a connection used this recently is checked once, by write()
                return False
        return self._inner.get_extra_info(info)


class _DeadlineBackend:
    """httpcore's socket backend, with the deadline on connects and on every stream."""

    def __init__(self) -> None:
        import httpcore2

        self._inner = httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None
                    ) -> _DeadlineStream:
        import httpcore2

        end = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _time_left(None if end is None else end - time.monotonic())
            piece, partial = _sliced(left, _CONNECT_SLICE)
            try:
                return _DeadlineStream(self._inner.connect_tcp(
                    host, port, piece, local_address, socket_options))
            except httpcore2.ConnectTimeout:
                if partial:
                    continue
                raise

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _DeadlineStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _time_left(timeout),
                                                               socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_INSTALLED: list[bool] = []
_INSTALL_LOCK = threading.Lock()
HTTP2 = False  # see bench/README.md: the fake Hub speaks HTTP/1.1; h2 is not installed


def _client_factory() -> Any:
    """huggingface_hub's default client (proxies from the environment included), whose
    connection pools get the network backend that puts the deadline on every socket call."""
    import httpx2
    from huggingface_hub.utils._http import hf_request_event_hook

    client = httpx2.Client(event_hooks={"request": [hf_request_event_hook]},
                           follow_redirects=True, timeout=None, http2=HTTP2,
                           limits=httpx2.Limits(max_connections=128,
                                                max_keepalive_connections=64))
    # httpx2 takes no network backend (and ignores proxy variables when given a transport):
    # the pools it built get ours before they open any connection
    transports = [client._transport, *client._mounts.values()]  # noqa: SLF001
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = _DeadlineBackend()
    return client


def _session() -> Any:
    from huggingface_hub.utils._http import get_session, set_client_factory

    if not _INSTALLED:
        with _INSTALL_LOCK:
            if not _INSTALLED:
                set_client_factory(_client_factory)
                _INSTALLED.append(True)
    return get_session()


# -- the error table ---------------------------------------------------------------------------
def _http_error(exc: Any, subject: str) -> Exception:
    status = exc.response.status_code if exc.response is not None else None
    if status == 451:
        return HubError("unavailable for legal reasons (HTTP 451)", subject=subject,
                        reason="unavailable-for-legal-reasons")
    if status in (401, 403):
        return HubError(f"access denied (HTTP {status}); pass --token", subject=subject,
                        reason="gated")
    return HubError(f"Hub answered HTTP {status}", subject=subject)


def _error_table() -> list[tuple[tuple[type[BaseException], ...],
                                 Callable[[Any, str], Exception]]]:
    """Most specific first: the first row whose classes match translates the exception."""
    import httpcore2
    import httpx2
    from huggingface_hub import errors as hf

    return [
        ((hf.OfflineModeIsEnabled,), lambda e, s: HubError(
            "HF_HUB_OFFLINE is set, so no request is sent: unset it, or use --offline or "
            "--hub-mirror DIR", subject=s, reason="offline")),
        ((hf.GatedRepoError,), lambda e, s: HubError(
            "gated: accept its conditions on the Hub and pass --token", subject=s,
            reason="gated")),
        ((hf.RepositoryNotFoundError, hf.RevisionNotFoundError, hf.RemoteEntryNotFoundError),
         lambda e, s: HubError("not found on the Hub (or private)", subject=s,
                               reason="not-found")),
        ((hf.HfHubHTTPError,), _http_error),
        ((httpx2.TooManyRedirects,), lambda e, s: HubError(
            "redirect loop: the Hub kept redirecting (more than 20 hops)", subject=s)),
        ((httpx2.ConnectError, httpx2.ConnectTimeout, httpcore2.ConnectError,
          httpcore2.ConnectTimeout),
         lambda e, s: _Transient(type(e).__name__, unreachable=True)),
        ((httpx2.TimeoutException, httpcore2.TimeoutException),
         lambda e, s: _Transient("timed out")),
        ((httpx2.DecodingError,), lambda e, s: _Transient(
            "the answer's compressed body is corrupt")),
        ((httpx2.TransportError, httpcore2.NetworkError, httpcore2.ProtocolError),
         lambda e, s: _Transient(f"connection failed: {type(e).__name__}")),
        ((httpx2.RequestError, httpx2.InvalidURL), lambda e, s: HubError(
            f"request failed: {type(e).__name__}", subject=s)),
    ]


_TABLE: list[Any] = []


def translate(exc: BaseException, subject: str) -> Exception | None:
    """Our exception for one of huggingface_hub's or httpx2's, or ``None`` (not theirs)."""
    if not _TABLE:
        _TABLE.extend(_error_table())
    for classes, make in _TABLE:
        if isinstance(exc, classes):
            made: Exception = make(exc, subject)
            return made
    return None


# -- the run's deadline ------------------------------------------------------------------------
DEADLINE_MESSAGE = "timed out: the run's --deadline was reached before the Hub answered"
# The record of the current run: a client made after ``forget_deadline_cuts()`` reports to
# the record that was current when it was made, so a thread still ending a request of an
# earlier run (a drip, a slow listing) can never mark the next run partial.
_RUN_CUTS = [threading.Event()]


def deadline_cut_a_request() -> bool:
    """True once a client made since the last ``forget_deadline_cuts()`` had a request refused
    or ended by its ``run_deadline``: what was written is partial (the CLI exits 3)."""
    return _RUN_CUTS[0].is_set()


def forget_deadline_cuts() -> None:
    """Start a new run's record (the CLI calls this as each command starts)."""
    _RUN_CUTS[0] = threading.Event()


# -- the client --------------------------------------------------------------------------------
class HubClient:
    """GETs to one Hub endpoint under one retry policy and one deadline (see the module doc).

    ``run_deadline`` is a ``time.monotonic()`` value after which nothing more is sent and
    whatever is in flight ends: requests then fail with ``HubError`` (``timed out``)."""

    def __init__(self, endpoint: str, token: str | None = None, *, timeout: float = 20.0,
                 attempt_deadline: float = 30.0, retry_budget: float = 60.0,
                 max_attempts: int = 6, backoff_base: float = 0.5, backoff_cap: float = 8.0,
                 run_deadline: float | None = None) -> None:
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout
        self.attempt_deadline = attempt_deadline
        self.retry_budget = retry_budget
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.run_deadline = run_deadline
        self.cancelled = threading.Event()
        #: Told (subject, seconds) before each backoff sleep (the CLI's progress display).
        self.retry_listener: Callable[[str, float], None] | None = None
        self._headers: dict[str, str] | None = None
        self._run_cuts = _RUN_CUTS[0]  # the run this client belongs to (see above)

    def cancel(self) -> None:
        """End every request now (Ctrl-C): in-flight reads stop within a fraction of a
        second, back-off sleeps at once, and nothing more is sent."""
        self.cancelled.set()

    def headers(self) -> dict[str, str]:
        if self._headers is None:  # built once: the token and user agent do not change
            from huggingface_hub.utils._headers import build_hf_headers

            from lineage import __version__

            self._headers = dict(build_hf_headers(
                token=self.token, library_name="mlbom", library_version=__version__))
        return self._headers

    # -- retry policy --------------------------------------------------------------------------
    def _deadline_message(self) -> str:
        self._run_cuts.set()  # only ever said when the deadline refuses or ends a request
        return DEADLINE_MESSAGE

    def deadline_passed(self) -> bool:
        return self.run_deadline is not None and time.monotonic() >= self.run_deadline

    def _give_up(self, subject: str, attempts: int, exc: Exception) -> HubError:
        if self.run_deadline is not None and time.monotonic() >= self.run_deadline:
            return HubError(self._deadline_message(), subject=subject)
        if isinstance(exc, _Transient) and exc.unreachable:
            return HubError(
                f"gave up after {attempts} attempts: cannot connect to the Hub at "
                f"{self.endpoint} ({exc}); check the network and --endpoint, or work without "
                "it: --offline (parents recorded, not fetched) or --hub-mirror DIR (a "
                "snapshot written by `mlbom mirror`)", subject=subject, reason="hub-error")
        return HubError(
            f"gave up after {attempts} attempts ({exc}); the Hub at {self.endpoint} may be "
            "down or rate-limiting: retry later, pass --token, or use --hub-mirror",
            subject=subject, reason="hub-error")

    def _with_retries(self, subject: str, action: Callable[[float], Answer]) -> Answer:
        budget_end = time.monotonic() + self.retry_budget
        attempt = 0
        while True:
            attempt += 1
            end = min(budget_end, time.monotonic() + self.attempt_deadline)
            if self.run_deadline is not None:
                end = min(end, self.run_deadline)
            try:
                return action(end)
            except _Transient as exc:
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
                delay = delay * (0.5 + random.random() / 2)  # jitter: no thundering herd
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.backoff_cap * 4))
                stop = budget_end if self.run_deadline is None else min(budget_end,
                                                                          self.run_deadline)
                # nothing listens at all (no network, a wrong --endpoint): say so soon
                most = min(self.max_attempts, 3) if exc.unreachable else self.max_attempts
                if attempt >= most or time.monotonic() + delay > stop:
                    raise self._give_up(subject, attempt, exc) from exc
                if self.retry_listener is not None:
                    self.retry_listener(subject, delay)
                if self.cancelled.wait(delay):
                    raise HubError("interrupted", subject=subject) from exc

    # -- one GET -------------------------------------------------------------------------------
    def get(self, url: str, subject: str, *, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None, max_bytes: int,
            retry: bool = True, on_send: Callable[[], None] | None = None) -> Answer:
        """The answer to one GET, body capped at ``max_bytes`` (``ParseError`` beyond it,
        unless a ``Range`` was asked: a server that ignored it gives its head). Raises
        ``HubError`` (with its unresolved reason) and ``ParseError`` only."""
        if params:  # encoded here once: httpx2 would parse the URL again to merge them
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"

        def once(end: float) -> Answer:
            if self.cancelled.is_set():
                raise HubError("interrupted", subject=subject)
            if self.run_deadline is not None and time.monotonic() >= self.run_deadline:
                raise HubError(self._deadline_message(), subject=subject)
            _BOUND.deadline, _BOUND.cancel = end, self.cancelled
            if on_send is not None:
                on_send()
            try:
                return self._send(url, subject, headers, max_bytes)
            except (_Transient, HubError, ParseError):
                raise
            except _Cancelled as exc:
                raise HubError("interrupted", subject=subject) from exc
            except Exception as exc:
                ours = translate(exc, subject)
                if ours is None:
                    raise
                if isinstance(ours, _Transient) and self.cancelled.is_set():
                    raise HubError("interrupted", subject=subject) from exc
                raise ours from exc
            finally:
                _BOUND.deadline, _BOUND.cancel = None, None

        if retry:
            return self._with_retries(subject, once)
        try:
            return once(time.monotonic() + self.attempt_deadline if self.run_deadline is None
                        else min(self.run_deadline, time.monotonic() + self.attempt_deadline))
        except _Transient as exc:
            raise HubError(str(exc), subject=subject) from exc

    def _send(self, url: str, subject: str, headers: dict[str, str] | None,
              max_bytes: int) -> Answer:
        from huggingface_hub.utils._http import hf_raise_for_status

        ranged = "Range" in (headers or {})
        with _session().stream("GET", url, timeout=self.timeout,
                               headers={**self.headers(), **(headers or {})}) as resp:
            _check_framing(resp)
            if resp.status_code in RETRY_STATUSES:
                ra = resp.headers.get("Retry-After")
                raise _Transient(f"HTTP {resp.status_code}",
                                 float(ra) if ra and ra.strip().isdigit() else None)
            if resp.status_code >= 400:
                hf_raise_for_status(_error_answer(resp))
            body = bytearray()
            for chunk in resp.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    break
            if len(body) > max_bytes:
                if not ranged:
                    raise ParseError(f"answer larger than {max_bytes} bytes", subject=subject)
                del body[max_bytes:]
            answered: dict[str, str] = {}
            for hop in (*resp.history, resp):
                answered.update(hop.headers)
            link = resp.links.get("next", {}).get("url")
            return Answer(bytes(body), answered, str(resp.url), link)

    def get_json(self, url: str, subject: str, *, what: str, max_bytes: int,
                 params: dict[str, Any] | None = None,
                 on_send: Callable[[], None] | None = None) -> tuple[Any, Answer]:
        """A JSON answer, parsed with the size and depth limits of ``load_json``. An HTML page
        is a ``HubError`` (the Hub, or something posing as it, is not answering the API)."""
        from lineage.parsers.safe import load_json

        answer = self.get(url, subject, params=params, max_bytes=max_bytes, on_send=on_send)
        kind = answer.headers.get("content-type", "").lower()
        if "html" in kind or answer.body.lstrip()[:1] == b"<":
            raise HubError(
                f"{self.endpoint} answered an HTML page, not the Hub's JSON API (a proxy, "
                "login page or wrong --endpoint?)", subject=subject)
        return load_json(answer.body, file=what, max_bytes=max_bytes), answer

    # -- listings ------------------------------------------------------------------------------
    def list_page(self, path: str, subject: str, *, page_no: int,
                  max_bytes: int = 64 * 1024 * 1024) -> tuple[list[Any], str | None]:
        """One page of a listing (``/api/models?...``, or a relative ``next`` link): its items
        and the next page as a path relative to the endpoint (``None`` on the last page)."""
        data, answer = self.get_json(self.endpoint + path, subject, max_bytes=max_bytes,
                                     what=f"listing page {page_no}")
        if not isinstance(data, list):
            raise HubError(f"listing page {page_no} is not a JSON list", subject=subject)
        return data, relative_url(answer.next_url) if answer.next_url else None

    def list_models(self, *, filter: str | None = None, expand: tuple[str, ...] = (),
                    limit: int | None = None, subject: str = "") -> Iterator[dict[str, Any]]:
        """The Hub's model listing, page after page, as the JSON objects it lists."""
        query = []
        if filter:
            query.append(f"filter={quote(filter, safe='')}")
        query += [f"expand={quote(e, safe='')}" for e in expand]
        if limit is not None:
            query.append(f"limit={min(limit, 1000)}")
        path: str | None = "/api/models" + ("?" + "&".join(query) if query else "")
        given, page_no = 0, 0
        while path is not None and (limit is None or given < limit):
            page_no += 1
            items, path = self.list_page(path, subject or self.endpoint, page_no=page_no)
            for item in items:
                if isinstance(item, dict):
                    given += 1
                    yield item
                    if limit is not None and given >= limit:
                        return


def relative_url(url: str) -> str:
    """Path and query of a URL, so a link followed later works on the same endpoint even when
    the host name in it differs (a proxy, a new loopback port)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def answered_repo(url: str, api_kind: str) -> str | None:
    """The repo id an ``/api/{models|datasets}/{id}[/revision/..]`` URL names (after any
    redirect), or ``None`` for another URL."""
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    if len(parts) < 3 or parts[0] != "api" or parts[1] != api_kind:
        return None
    rest = parts[2:]
    if len(rest) >= 2 and rest[1] != "revision":
        return f"{rest[0]}/{rest[1]}"
    return rest[0]


# An error answer's body only feeds the one-line message (huggingface_hub reads its "error"
# field); a server that streams megabytes with a 404 is not read past this.
_ERROR_BODY_BYTES = 64 * 1024


def _error_answer(resp: Any) -> Any:
    """``resp`` with at most ``_ERROR_BODY_BYTES`` of its (decoded) body, for
    ``hf_raise_for_status``; the body's framing headers go, as the bytes kept are decoded."""
    import httpx2

    body = bytearray()
    for chunk in resp.iter_bytes():
        body.extend(chunk)
        if len(body) >= _ERROR_BODY_BYTES:
            break
    headers = [(k, v) for k, v in resp.headers.multi_items()
               if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
    return httpx2.Response(resp.status_code, headers=headers,
                          content=bytes(body[:_ERROR_BODY_BYTES]), request=resp.request,
                          history=resp.history)


def _check_framing(resp: Any) -> None:
    """An HTTP/1.1 answer parsed without a single read after its request was written was
    sitting in the connection's buffer already: bytes a previous answer's framing did not
    account for. Drop the connection and send again."""
    if resp.http_version != "HTTP/1.1":
        return
    stream = resp.extensions.get("network_stream")
    if stream is not None and getattr(stream, "reads_since_write", 1) == 0:
        stream.broken = True
        raise _Transient("connection framing broken (an answer arrived before its request)")
