"""Text that leaves mlbom: secrets redacted, control and bidi characters made visible.

Two jobs, one module, so every writer calls the same code:

- **Secrets.** ``redact_url`` strips the userinfo (``user:password@``) of a URL and masks
  the values of query parameters that look like credentials (``token``, ``access_token``,
  ``api_key``, ``sig``, ``X-Amz-Credential``...). ``redact_secrets`` does that to every URL
  inside a free text (an error message, a log line) and also masks Hub tokens (``hf_...``)
  and every value given to ``register_secret`` (the CLI registers ``--token``). Error
  messages are redacted when the exception is made (``MlbomError``), the endpoint when it is
  recorded, document URLs when they are written.
- **Text for people.** ``printable`` makes one value safe to show on a terminal, in
  Markdown, Mermaid, DOT or a SARIF message: C0 and C1 control characters (ESC of CSI and
  OSC sequences, BEL, U+009B), DEL, bidi overrides and isolates (U+202A-U+202E,
  U+2066-U+2069, U+200E/U+200F, U+061C) and line/paragraph separators become visible
  escapes (``\\x1b``, ``\\u202e``, ``\\n``), so a newline in a file name cannot start a new
  line of output and an escape sequence cannot reach the terminal. ``escape_json_text``
  does the same job for JSON written with ``ensure_ascii=False``: the data stays (as
  ``\\u009b``, ``\\u202e`` escapes), only its raw form is gone.

Callers can rely on: all functions are pure, total (never raise on any ``str``) and
idempotent.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

REDACTED = "***"

#: Query parameter names whose values are credentials (compared lower-case).
_SECRET_PARAM = re.compile(
    r"(^|[_\-.])(token|access[_\-]?token|refresh[_\-]?token|id[_\-]?token|auth|"
    r"authorization|api[_\-]?key|apikey|key|secret|client[_\-]?secret|password|passwd|pwd|"
    r"pass|sig|signature|credential|session|sessionid|jwt|bearer)$|^x-amz-", re.I)
#: Values that are credentials whatever their name (Hugging Face user and org tokens).
_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{16,}\b|\bapi_org_[A-Za-z0-9]{16,}\b")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s'\"<>`]+")

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever ``redact_secrets`` runs from now on (the CLI's ``--token``).
    Values shorter than 6 characters are not registered: they would mask ordinary words."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def redact_url(url: str) -> str:
    """``url`` without userinfo and with credential-like query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_registered(_HF_TOKEN.sub(REDACTED, url))
    netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret_param(k, v) for k, v in pairs):
            query = "&".join(
                f"{quote(k, safe='')}={REDACTED if _is_secret_param(k, v) else quote(v, safe='')}"
                for k, v in pairs)
    out = url  # untouched unless a credential was removed (``sqlite:///x`` keeps its ///)
    if netloc != parts.netloc or query != parts.query:
        out = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return _mask_registered(_HF_TOKEN.sub(REDACTED, out))


def _is_secret_param(name: str, value: str) -> bool:
    return bool(_SECRET_PARAM.search(name) or _HF_TOKEN.search(value))


def redact_secrets(text: str) -> str:
    """``text`` with every URL in it redacted and every known token masked."""
    if "://" in text:
        text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    return _mask_registered(_HF_TOKEN.sub(REDACTED, text))


def _mask_registered(text: str) -> str:
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


# -- text for people --------------------------------------------------------------------------
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Every character ``printable`` escapes: C0, DEL, C1, bidi controls, line separators.
UNSAFE_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` as one line a person can read safely: controls and bidi made visible."""
    s = text if isinstance(text, str) else str(text)
    return UNSAFE_CHARS.sub(_escape, s)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|!~])")


def markdown_text(text: object) -> str:
    """``printable(text)`` safe inside a markdown table cell or list item: HTML and markdown
    syntax escaped, so a hostile card value cannot inject markup into a pull-request comment."""
    s = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def json_document(value: Any) -> str:
    """``value`` as the JSON documents mlbom writes: indented by 2, non-ASCII kept, the
    characters ``printable`` escapes written as ``\\uXXXX``, one final newline."""
    return escape_json_text(json.dumps(value, indent=2, ensure_ascii=False)) + "\n"


def escape_json_text(document: str) -> str:
    """A JSON document written with ``ensure_ascii=False`` with the characters
    ``printable`` escapes written as ``\\uXXXX`` (JSON already escapes C0 controls). Valid
    JSON in, the same data out: those characters can only occur inside JSON strings."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)
