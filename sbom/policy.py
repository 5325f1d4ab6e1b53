"""License policy files for ``mlbom licenses --policy FILE``.

A policy is YAML::

    version: 1                      # optional; only 1 exists
    allow: [permissive, public-domain, Apache-2.0]
    deny: [noncommercial, research-only, AGPL-3.0-only]
    review: [llama, gemma, openrail]
    rules:
      commercial: true              # everything in the lineage must allow commercial use
      require-signature: true       # the target must carry a verified model signature
    exceptions:
      - model: acme/our-llama-finetune
        reason: Legal approved the Llama 3.1 terms (TICKET-123)
        expires: 2026-06-30
        kinds: [policy-denied, policy-review]   # optional; these two by default
    # read by ``mlbom check`` (``mlbom licenses`` accepts and ignores them):
    signers:                        # which models must be signed, and by whom
      - models: ["acme/*"]
        identity: release@acme.example        # keyless: identity + issuer ...
        issuer: https://accounts.google.com
      - models: ["partner/*"]
        public-key: keys/partner.pem          # ... or a PEM key (relative to this file)
    remote-code:
      allow: ["acme/*-code"]        # code repos models may load with trust_remote_code
    deny-models: ["badorg/*"]       # fnmatch patterns on repo ids, case-insensitive
    deny-datasets: ["*/leaked-*"]
    severity:                       # override a kind's default severity
      remote-code: error
      unknown-provenance: info

Entries of ``allow``/``deny``/``review`` are SPDX ids, Hub license ids (or their known
spellings), license families (see ``lineage.licenses.FAMILIES``) or ``LicenseRef-...`` names.
``deny`` wins over ``review``; with a non-empty ``allow`` list, a known license that no entry
allows is denied and an unknown one needs review. The rules may also stand at the top level
(``commercial: true``). An exception waives the listed finding kinds for findings about that
model (the node that causes them) or for every finding when it names the target; an expired
exception no longer applies and is itself reported.

``docs/policy.md`` documents every key. Loading is strict: unknown keys, wrong types,
duplicate keys, unknown license entries, YAML aliases and files over 256 KiB raise
``PolicyError`` naming the file, line and key.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lineage.capped_read import CappedReadError, read_capped, read_capped_text
from lineage.errors import PolicyError
from lineage.licenses import FAMILIES, license_facts, spdx_expression
from sbom.finding_kinds import ALL_KINDS, LICENSE_KINDS, SEVERITIES

MAX_POLICY_BYTES = 256 * 1024

#: Every finding kind the license review emits (exceptions may waive any of them).
FINDING_KINDS = tuple(LICENSE_KINDS)
DEFAULT_WAIVED = ("policy-denied", "policy-review")

_TOP_KEYS = ("version", "allow", "deny", "review", "rules", "exceptions", "commercial",
             "require-signature", "signers", "remote-code", "deny-models", "deny-datasets",
             "severity")
_SIGNER_KEYS = ("models", "identity", "issuer", "public-key")
_RULE_KEYS = ("commercial", "require-signature")
_EXCEPTION_KEYS = ("model", "reason", "expires", "kinds")


@dataclass(frozen=True)
class PolicyEntry:
    """One allow/deny/review entry. ``kind`` is family, license (a knowledge-base key), spdx
    (an SPDX id mlbom has no facts for) or ref (a ``LicenseRef-`` or custom name)."""

    text: str
    kind: str
    value: str  # the family, knowledge-base key, lower-case SPDX id or lower-case ref
    line: int


@dataclass(frozen=True)
class PolicyException:
    model: str
    reason: str
    expires: dt.date | None
    kinds: tuple[str, ...]
    line: int

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def covers(self, name: str) -> bool:
        """Whether the exception's ``model`` (a repo id, or an fnmatch pattern) names
        ``name``, case-insensitively."""
        return fnmatch.fnmatchcase(name.lower(), self.model.lower())


@dataclass(frozen=True)
class Pattern:
    """An fnmatch pattern on repo ids (case-insensitive), with the line that gave it."""

    text: str
    line: int

    def matches(self, repo_id: str) -> bool:
        return fnmatch.fnmatchcase(repo_id.lower(), self.text.lower())


@dataclass(frozen=True)
class SignerRule:
    """Models matching ``models`` must be signed by ``identity`` + ``issuer`` (keyless) or
    verify with ``public_key``."""

    models: tuple[Pattern, ...]
    line: int
    identity: str | None = None
    issuer: str | None = None
    public_key: Path | None = None

    def applies(self, repo_id: str) -> bool:
        return any(p.matches(repo_id) for p in self.models)

    def describe(self) -> str:
        if self.public_key is not None:
            return f"the public key {self.public_key.name}"
        return f"{self.identity} (issuer {self.issuer})"


@dataclass(frozen=True)
class Policy:
    path: str
    allow: tuple[PolicyEntry, ...] = ()
    deny: tuple[PolicyEntry, ...] = ()
    review: tuple[PolicyEntry, ...] = ()
    commercial: bool = False
    require_signature: bool = False
    exceptions: tuple[PolicyException, ...] = field(default_factory=tuple)
    signers: tuple[SignerRule, ...] = ()
    remote_code_allow: tuple[Pattern, ...] = ()
    deny_models: tuple[Pattern, ...] = ()
    deny_datasets: tuple[Pattern, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    severity_lines: dict[str, int] = field(default_factory=dict)

    def signer_for(self, repo_id: str) -> SignerRule | None:
        """The first signers entry that covers ``repo_id``."""
        return next((r for r in self.signers if r.applies(repo_id)), None)


class _LineDict(dict[Any, Any]):
    lines: dict[Any, int]


class _LineList(list[Any]):
    lines: list[int]


class _Problem(Exception):
    def __init__(self, message: str, line: int) -> None:
        self.line = line
        super().__init__(message)


class _PolicyLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
    """SafeLoader that records line numbers, rejects duplicate keys and aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call, unused-ignore]
            raise _Problem("YAML aliases are not allowed in a policy", event.start_mark.line + 1)
        return super().compose_node(parent, index)


def _construct_map(loader: _PolicyLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    out = _LineDict()
    out.lines = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise _Problem("mapping key is not a scalar", line)
        if key in out:
            raise _Problem(f"{key}: duplicate key (first at line {out.lines[key]})", line)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


def _construct_seq(loader: _PolicyLoader, node: yaml.SequenceNode) -> _LineList:
    out = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


_PolicyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_PolicyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate a policy file; ``PolicyError`` (exit 2) on any problem."""
    p = Path(path)
    try:
        text = read_capped_text(p, MAX_POLICY_BYTES)
    except CappedReadError as exc:
        raise PolicyError(exc.choose(
            unreadable=f"{p}: cannot read policy file: {exc.detail}",
            too_large=f"{p}: policy file is larger than {MAX_POLICY_BYTES // 1024} KiB",
            not_utf8=f"{p}: policy file is not UTF-8")) from None
    return parse_policy(text, path=str(p))


def parse_policy(text: str, *, path: str = "<policy>") -> Policy:
    """Validate policy YAML ``text``; ``path`` only names the file in messages."""
    try:
        doc = yaml.load(text, Loader=_PolicyLoader)  # noqa: S506 - a SafeLoader subclass
    except _Problem as exc:
        raise PolicyError(f"{path}:{exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{path}:{line} invalid YAML: {problem}") from None
    try:
        return _build(doc, path)
    except _Problem as exc:
        raise PolicyError(f"{path}:{exc.line}: {exc}") from None


def _build(doc: object, path: str) -> Policy:
    if doc is None:
        raise _Problem("policy is empty", 1)
    if not isinstance(doc, _LineDict):
        raise _Problem("policy must be a mapping of allow/deny/review/rules/exceptions", 1)
    for key in doc:
        if key not in _TOP_KEYS:
            raise _Problem(f"{key}: unknown key (expected one of {', '.join(_TOP_KEYS)})",
                           doc.lines[key])
    if "version" in doc and doc["version"] != 1:
        raise _Problem("version: only version 1 exists", doc.lines["version"])
    lists = {k: _entries(doc, k) for k in ("allow", "deny", "review")}
    seen: dict[tuple[str, str], tuple[str, PolicyEntry]] = {}
    for name, entries in lists.items():
        for e in entries:
            other = seen.get((e.kind, e.value))
            if other and other[0] != name:
                raise _Problem(f"{name}: {e.text!r} is also listed under {other[0]} "
                               f"(line {other[1].line})", e.line)
            seen[(e.kind, e.value)] = (name, e)
    rules: dict[str, bool] = {}
    if "rules" in doc:
        block = doc["rules"]
        if not isinstance(block, _LineDict):
            raise _Problem("rules: must be a mapping", doc.lines["rules"])
        for key, value in block.items():
            if key not in _RULE_KEYS:
                raise _Problem(f"rules.{key}: unknown rule (expected {', '.join(_RULE_KEYS)})",
                               block.lines[key])
            rules[key] = _bool(value, f"rules.{key}", block.lines[key])
    for key in _RULE_KEYS:
        if key in doc:
            if key in rules:
                raise _Problem(f"{key}: given both at the top level and under rules",
                               doc.lines[key])
            rules[key] = _bool(doc[key], key, doc.lines[key])
    severity, severity_lines = _severities(doc)
    return Policy(
        path=path, allow=lists["allow"], deny=lists["deny"], review=lists["review"],
        commercial=rules.get("commercial", False),
        require_signature=rules.get("require-signature", False),
        exceptions=_exceptions(doc),
        signers=_signers(doc, path),
        remote_code_allow=_remote_code(doc),
        deny_models=_patterns(doc, "deny-models"),
        deny_datasets=_patterns(doc, "deny-datasets"),
        severity=severity, severity_lines=severity_lines,
    )


def _bool(value: object, key: str, line: int) -> bool:
    if not isinstance(value, bool):
        raise _Problem(f"{key}: must be true or false, not {value!r}", line)
    return value


def _entries(doc: _LineDict, key: str) -> tuple[PolicyEntry, ...]:
    if key not in doc or doc[key] is None:
        return ()
    items = doc[key]
    if not isinstance(items, _LineList):
        raise _Problem(f"{key}: must be a list of license ids or families", doc.lines[key])
    out = []
    for i, item in enumerate(items):
        line = items.lines[i]
        if not isinstance(item, str) or not item.strip():
            raise _Problem(f"{key}[{i}]: must be a license id or family, not {item!r}", line)
        out.append(_policy_entry(item, line=line, key=f"{key}[{i}]"))
    return tuple(out)


def _policy_entry(text: str, *, line: int = 0, key: str = "entry") -> PolicyEntry:
    """Classify one allow/deny/review entry; ``_Problem`` when it names nothing known."""
    t = text.strip()
    if t.lower() in FAMILIES:
        return PolicyEntry(t, "family", t.lower(), line)
    facts = license_facts(t)
    if facts is not None:
        return PolicyEntry(t, "license", facts.key, line)
    if t.startswith("LicenseRef-"):
        return PolicyEntry(t, "ref", t.lower(), line)
    spdx = spdx_expression(t)
    if spdx is not None and " " not in spdx:
        return PolicyEntry(t, "spdx", spdx.lower(), line)
    raise _Problem(
        f"{key}: {t!r} is not a known SPDX id, Hub license id or family "
        "(write LicenseRef-<name> for a custom license)", line,
    )


def _exceptions(doc: _LineDict) -> tuple[PolicyException, ...]:
    if "exceptions" not in doc or doc["exceptions"] is None:
        return ()
    items = doc["exceptions"]
    if not isinstance(items, _LineList):
        raise _Problem("exceptions: must be a list", doc.lines["exceptions"])
    out = []
    for i, item in enumerate(items):
        where = f"exceptions[{i}]"
        if not isinstance(item, _LineDict):
            raise _Problem(f"{where}: must be a mapping with model, reason and expires",
                           items.lines[i])
        for key in item:
            if key not in _EXCEPTION_KEYS:
                raise _Problem(f"{where}.{key}: unknown key (expected "
                               f"{', '.join(_EXCEPTION_KEYS)})", item.lines[key])
        for key in ("model", "reason"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise _Problem(f"{where}.{key}: required, a non-empty string",
                               item.lines.get(key, items.lines[i]))
        if "expires" not in item:
            raise _Problem(f"{where}.expires: required (YYYY-MM-DD)", items.lines[i])
        expires = _date(item["expires"], f"{where}.expires", item.lines["expires"])
        kinds: Sequence[str] = DEFAULT_WAIVED
        if "kinds" in item:
            raw = item["kinds"]
            if not isinstance(raw, _LineList) or not raw:
                raise _Problem(f"{where}.kinds: must be a non-empty list of finding kinds",
                               item.lines["kinds"])
            for j, k in enumerate(raw):
                if k not in ALL_KINDS:
                    raise _Problem(f"{where}.kinds[{j}]: unknown finding kind {k!r}",
                                   raw.lines[j])
            kinds = tuple(raw)
        out.append(PolicyException(item["model"].strip(), item["reason"].strip(), expires,
                                   tuple(kinds), items.lines[i]))
    return tuple(out)


def _date(value: object, key: str, line: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Problem(f"{key}: must be a date YYYY-MM-DD, not {value!r}", line)


def _patterns(doc: _LineDict, key: str, items: object = None, line: int = 0
              ) -> tuple[Pattern, ...]:
    if items is None:
        if key not in doc or doc[key] is None:
            return ()
        items, line = doc[key], doc.lines[key]
    if not isinstance(items, _LineList):
        raise _Problem(f"{key}: must be a list of repo id patterns (org/name, org/*)", line)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip() or any(c.isspace() for c in item.strip()):
            raise _Problem(f"{key}[{i}]: must be a repo id pattern such as org/* , not "
                           f"{item!r}", items.lines[i])
        out.append(Pattern(item.strip(), items.lines[i]))
    return tuple(out)


def _remote_code(doc: _LineDict) -> tuple[Pattern, ...]:
    if "remote-code" not in doc or doc["remote-code"] is None:
        return ()
    block = doc["remote-code"]
    if not isinstance(block, _LineDict):
        raise _Problem("remote-code: must be a mapping with allow: [patterns]",
                       doc.lines["remote-code"])
    for key in block:
        if key != "allow":
            raise _Problem(f"remote-code.{key}: unknown key (expected allow)", block.lines[key])
    if "allow" not in block or block["allow"] is None:
        return ()
    return _patterns(block, "remote-code.allow", block["allow"], block.lines["allow"])


def _severities(doc: _LineDict) -> tuple[dict[str, str], dict[str, int]]:
    if "severity" not in doc or doc["severity"] is None:
        return {}, {}
    block = doc["severity"]
    if not isinstance(block, _LineDict):
        raise _Problem("severity: must be a mapping of finding kind to error, warning or info",
                       doc.lines["severity"])
    out: dict[str, str] = {}
    for kind, value in block.items():
        line = block.lines[kind]
        if kind not in ALL_KINDS:
            raise _Problem(f"severity.{kind}: unknown finding kind", line)
        if value not in SEVERITIES:
            raise _Problem(f"severity.{kind}: must be error, warning or info, not {value!r}",
                           line)
        out[str(kind)] = str(value)
    return out, dict(block.lines)


def _signers(doc: _LineDict, path: str) -> tuple[SignerRule, ...]:
    if "signers" not in doc or doc["signers"] is None:
        return ()
    items = doc["signers"]
    if not isinstance(items, _LineList):
        raise _Problem("signers: must be a list of {models, identity, issuer} or "
                       "{models, public-key}", doc.lines["signers"])
    return tuple(_signer(item, f"signers[{i}]", items.lines[i], path)
                 for i, item in enumerate(items))


def _signer(item: object, where: str, line: int, path: str) -> SignerRule:
    if not isinstance(item, _LineDict):
        raise _Problem(f"{where}: must be a mapping with models and identity+issuer or "
                       "public-key", line)
    for key in item:
        if key not in _SIGNER_KEYS:
            raise _Problem(f"{where}.{key}: unknown key (expected {', '.join(_SIGNER_KEYS)})",
                           item.lines[key])
    if "models" not in item:
        raise _Problem(f"{where}.models: required, a list of repo id patterns", line)
    models = item["models"]
    if isinstance(models, str):  # one pattern may stand alone
        models = _LineList([models])
        models.lines = [item.lines["models"]]
    patterns = _patterns(item, f"{where}.models", models, item.lines["models"])
    if not patterns:
        raise _Problem(f"{where}.models: must name at least one pattern", item.lines["models"])
    texts = {}
    for key in ("identity", "issuer", "public-key"):
        if key in item:
            value = item[key]
            if not isinstance(value, str) or not value.strip():
                raise _Problem(f"{where}.{key}: must be a non-empty string", item.lines[key])
            texts[key] = value.strip()
    keyless = "identity" in texts or "issuer" in texts
    if keyless and "public-key" in texts:
        raise _Problem(f"{where}: give identity+issuer or public-key, not both", line)
    if keyless and not ("identity" in texts and "issuer" in texts):
        missing = "issuer" if "identity" in texts else "identity"
        raise _Problem(f"{where}.{missing}: required with "
                       f"{'identity' if missing == 'issuer' else 'issuer'} (keyless signer)",
                       line)
    if not keyless and "public-key" not in texts:
        raise _Problem(f"{where}: needs identity+issuer (keyless) or public-key", line)
    key_path = None
    if "public-key" in texts:
        key_path = _public_key(texts["public-key"], f"{where}.public-key",
                               item.lines["public-key"], path)
    return SignerRule(patterns, line, texts.get("identity"), texts.get("issuer"), key_path)


def _public_key(text: str, key: str, line: int, policy_path: str) -> Path:
    """A PEM public key path, relative to the policy's folder; checked to be a key now."""
    from cryptography.hazmat.primitives import serialization

    p = Path(text)
    if not p.is_absolute():
        p = Path(policy_path).parent / p
    try:
        serialization.load_pem_public_key(read_capped(p, MAX_POLICY_BYTES))
    except CappedReadError as exc:
        raise _Problem(exc.choose(
            unreadable=f"{key}: cannot read {p}: {exc.detail}",
            too_large=f"{key}: {p} is larger than {MAX_POLICY_BYTES // 1024} KiB, not a PEM "
                      "public key"), line) from None
    except (ValueError, TypeError):
        raise _Problem(f"{key}: {p} is not a PEM public key", line) from None
    return p
