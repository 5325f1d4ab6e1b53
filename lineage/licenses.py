"""License values from cards and Hub tags, normalised; and the facts mlbom knows about licenses.

The knowledge base is a data file, ``lineage/data/licenses.json``: every Hub license id, the SPDX
licenses models and datasets commonly use, and vendor licenses seen as ``license: other``. Each
entry records what a distributor must know (commercial use, attribution, copyleft/share-alike,
use restrictions that pass downstream, naming rules, notices) and cites the license text.

Rules callers may rely on:

- ``hf_license_to_spdx`` returns an SPDX expression only when the value names SPDX licenses: a
  Hub id with an SPDX counterpart (``gpl-3.0`` → ``GPL-3.0-only``) or an expression that the SPDX
  license list of license-expression accepts. Family ids (``bsd``, ``gpl``, ``cc``) and
  vendor licenses give ``None``; ``LicenseRef-`` keys are never returned.
- ``normalize_license`` never raises on card data. The raw value always lands in
  ``LicenseInfo.declared`` (JSON-encoded when it is not a string); anything odd becomes a
  one-line entry in ``LicenseInfo.problems``.
- A card ``license`` *list* means several licenses apply at once, so the parts are combined with
  ``AND`` (Hub ids as ``"apache-2.0 AND llama3"``; ``spdx`` only when every part has an SPDX id).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from license_expression import ExpressionError, Licensing, get_spdx_licensing

from lineage.errors import InvalidIdError
from lineage.graph import LicenseInfo
from lineage.ids import hub_file_url
from lineage.refs import ModelRef, clip

#: Values that say "no license given" rather than naming one.
PLACEHOLDERS = frozenset(
    {
        "", "tbd", "todo", "n/a", "na", "none", "null", "license", "licence", "your license",
        "[more information needed]", "more information needed", "[needs more information]",
        "unspecified", "not specified", "?", "-",
    }
)

#: Families from most to least restrictive, to pick one family for a list of licenses.
FAMILY_ORDER = (
    "unknown", "research-only", "noncommercial", "no-derivatives", "llama", "gemma", "vendor",
    "openrail", "copyleft", "share-alike", "weak-copyleft", "permissive", "public-domain",
)
FAMILIES = frozenset(FAMILY_ORDER)
LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "LICENCE.txt")


@dataclass(frozen=True)
class Naming:
    """A naming obligation: derived model names must begin with ``prefix``."""

    prefix: str
    rule: str


@dataclass(frozen=True)
class LicenseFacts:
    """What the knowledge base says about one license. ``None`` means "not known"."""

    key: str
    hub_id: str | None
    spdx: str | None
    name: str
    url: str
    family: str
    commercial: bool | None
    attribution: bool | None
    copyleft: bool | None
    share_alike: bool | None
    derivatives: bool | None  # may derived works be distributed at all
    use_restrictions: tuple[str, ...]
    use_policy_url: str | None
    naming: Naming | None
    notice: str | None
    note: str | None
    sources: tuple[str, ...]

    @property
    def display(self) -> str:
        return self.spdx or self.hub_id or self.key


@dataclass(frozen=True)
class _KnowledgeBase:
    facts: tuple[LicenseFacts, ...]
    index: Mapping[str, LicenseFacts]



@functools.lru_cache(maxsize=1)
def _spdx_licensing() -> Licensing:
    """license-expression's SPDX table, built once (0.1 s a build: per node it made a
    400-node review take 40 s)."""
    return get_spdx_licensing()

def _lookup_forms(value: str) -> list[str]:
    text = " ".join(value.replace("_", " ").lower().split())
    forms = [text, text.replace(" ", "-")]
    bare = re.sub(r"\b(the|license|licence|agreement)\b", " ", text)
    bare = " ".join(bare.replace(",", " ").split())
    if bare and bare != text:
        forms += [bare, bare.replace(" ", "-")]
    return forms


@lru_cache(maxsize=1)
def _kb() -> _KnowledgeBase:
    raw = json.loads(resources.files("lineage").joinpath("data/licenses.json").read_text("utf-8"))
    facts: list[LicenseFacts] = []
    index: dict[str, LicenseFacts] = {}
    for e in raw["licenses"]:
        naming = e.get("naming")
        f = LicenseFacts(
            key=e["key"], hub_id=e.get("hub_id"), spdx=e.get("spdx"), name=e["name"],
            url=e["url"], family=e["family"], commercial=e.get("commercial"),
            attribution=e.get("attribution"), copyleft=e.get("copyleft"),
            share_alike=e.get("share_alike"), derivatives=e.get("derivatives"),
            use_restrictions=tuple(e.get("use_restrictions") or ()),
            use_policy_url=e.get("use_policy_url"),
            naming=Naming(naming["prefix"], naming["rule"]) if naming else None,
            notice=e.get("notice"), note=e.get("note"), sources=tuple(e.get("sources") or ()),
        )
        facts.append(f)
        for name in (f.key, f.hub_id, f.spdx, *e.get("aliases", ())):
            if name:
                for form in _lookup_forms(name)[:2]:
                    index.setdefault(form, f)
    return _KnowledgeBase(tuple(facts), index)


def all_license_facts() -> tuple[LicenseFacts, ...]:
    """Every entry of the knowledge base, in file order."""
    return _kb().facts


def license_facts(hub_id_or_spdx: str) -> LicenseFacts | None:
    """The facts for a Hub id, SPDX id, knowledge-base key or known alias (any case)."""
    if not isinstance(hub_id_or_spdx, str):
        return None
    index = _kb().index
    for form in _lookup_forms(hub_id_or_spdx):
        if form in index:
            return index[form]
    return None


_SPDX_CHARS = re.compile(r"^[A-Za-z0-9.+\-:() ]+$")  # every character an SPDX expression uses


def spdx_expression(value: str) -> str | None:
    """``value`` as a normalised SPDX expression, if every symbol is a real SPDX id."""
    if not value or len(value) > 512 or not _SPDX_CHARS.match(value):
        return None  # license_expression raises AttributeError on some other characters
    licensing = _spdx_licensing()
    try:
        checked = licensing.validate(value, strict=False)
    except (ExpressionError, AttributeError):
        return None
    if checked.errors or not checked.normalized_expression:
        return None
    try:
        symbols = licensing.license_symbols(licensing.parse(checked.normalized_expression))
    except ExpressionError:
        return None
    if any(str(s.key).startswith("LicenseRef-") for s in symbols):
        return None
    return str(checked.normalized_expression)


def hf_license_to_spdx(value: str) -> str | None:
    """The SPDX expression for a Hub license id or spelling, or ``None`` when there is none.

    ``apache-2.0`` → ``Apache-2.0``; ``gpl-3.0`` → ``GPL-3.0-only``; ``Apache 2.0`` →
    ``Apache-2.0``; ``llama3.1``, ``bsd``, ``other`` → ``None``.
    """
    if not isinstance(value, str):
        return None
    facts = license_facts(value)
    if facts is not None:
        return facts.spdx
    return spdx_expression(value.strip())


def resolve_license_link(link: str, repo_id: str | None, sha: str | None) -> str | None:
    """An absolute URL for ``license_link``: relative links point into the repo at its commit."""
    link = link.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*://", link, re.I):
        return link
    if not repo_id or not link or ".." in link.split("/"):
        return None
    path = link.lstrip("./").lstrip("/")
    if not path:
        return None
    try:
        return hub_file_url(ModelRef(repo_id, sha), path, view="blob")
    except InvalidIdError:  # not a Hub repo: a relative link points nowhere
        return None


@dataclass(frozen=True)
class _Part:
    """One license named by a card value."""

    raw: str
    hub_id: str | None
    spdx: str | None
    name: str | None
    url: str | None
    family: str | None


def _declared(value: object) -> str:
    if isinstance(value, str):
        return clip(value)
    try:
        return clip(json.dumps(value, ensure_ascii=False, default=str, sort_keys=True))
    except (TypeError, ValueError, RecursionError):
        return clip(repr(value))


def _part_for(
    raw: str, card: Mapping[str, Any], repo_id: str | None, sha: str | None, problems: list[str]
) -> _Part | None:
    value = raw.strip()
    low = value.lower()
    if low in PLACEHOLDERS:
        problems.append(f"license value {clip(value, 80)!r} is a placeholder, not a license")
        return None
    if low == "other":
        return _other_part(card, repo_id, sha, problems)
    facts = license_facts(value)
    if facts is not None:
        if facts.key == "unknown":
            problems.append("license is declared as 'unknown'")
        return _Part(value, facts.hub_id or facts.key, facts.spdx, facts.name, facts.url,
                     facts.family)
    spdx = spdx_expression(value)
    if spdx is not None:
        return _Part(value, None, spdx, None, None, None)
    problems.append(f"license {clip(value, 80)!r} is not a known Hub or SPDX license id")
    return _Part(value, None, None, clip(value, 200), None, "unknown")


def _other_part(
    card: Mapping[str, Any], repo_id: str | None, sha: str | None, problems: list[str]
) -> _Part:
    name = card.get("license_name")
    link = card.get("license_link")
    if name is not None and not isinstance(name, str):
        problems.append("license_name is not a string; ignored")
        name = None
    if link is not None and not isinstance(link, str):
        problems.append("license_link is not a string; ignored")
        link = None
    url = resolve_license_link(link, repo_id, sha) if link else None
    if link and url is None:
        problems.append(f"license_link {clip(link, 120)!r} is relative and the repo is unknown")
    if not name and not link:
        problems.append("license is 'other' without license_name or license_link")
    facts = license_facts(name) if name else None
    return _Part(
        "other", "other", None, clip(name.strip(), 200) if name else None,
        url or (facts.url if facts else None), facts.family if facts else "unknown",
    )


def _combine(parts: list[_Part], declared: str, source: str, problems: list[str]) -> LicenseInfo:
    if len(parts) == 1:
        p = parts[0]
        return LicenseInfo(declared=declared, spdx=p.spdx, hub_id=p.hub_id, name=p.name,
                           url=p.url, family=p.family, source=source, problems=problems)
    spdx = None
    if all(p.spdx for p in parts):
        spdx = " AND ".join(dict.fromkeys(
            f"({p.spdx})" if " " in str(p.spdx) else str(p.spdx) for p in parts
        ))
    hub_ids = [p.hub_id or p.spdx or p.name or p.raw for p in parts]
    families = [p.family or "unknown" for p in parts]
    family = min(families, key=lambda f: FAMILY_ORDER.index(f) if f in FAMILIES else 0)
    names = [p.name or p.spdx or p.raw for p in parts]
    return LicenseInfo(
        declared=declared, spdx=spdx, hub_id=" AND ".join(dict.fromkeys(hub_ids)),
        name=" AND ".join(dict.fromkeys(names)), url=next((p.url for p in parts if p.url), None),
        family=family, source=source, problems=problems,
    )


def normalize_license(
    card: Mapping[str, Any],
    *,
    tags: Sequence[str] = (),
    repo_id: str | None = None,
    sha: str | None = None,
    source: str = "card",
) -> LicenseInfo:
    """Normalise a card's license declaration (``card`` = parsed front matter, may be empty).

    Falls back to the Hub's ``license:<id>`` tags when the card declares nothing. ``source`` names
    where ``card`` came from (``card`` for models, ``dataset-card`` for datasets); ``card-other``
    is used instead for ``license: other`` with a name or link, ``hub-tags`` for the fallback.
    """
    problems: list[str] = []
    if not isinstance(card, Mapping):
        card = {}
        problems.append("card metadata is not a mapping")
    found = _license_value(card, tags, problems)
    if found is None:
        return LicenseInfo(source="none", problems=problems)
    value, from_tags = found
    if from_tags:
        source = "hub-tags"
    if value is None:
        problems.append("license is empty")
        return LicenseInfo(source="none", problems=problems)
    declared = _declared(value)
    if isinstance(value, Mapping):
        problems.append("license is a mapping, not a license id; ignored")
        return LicenseInfo(declared=declared, source=source, problems=problems)
    items: list[object] = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        problems.append("license is an empty list")
        return LicenseInfo(declared=declared, source=source, problems=problems)
    parts = _parts(items, card, repo_id, sha, problems)
    if not parts:
        return LicenseInfo(declared=declared, source=source, problems=problems)
    if source == "card" and any(p.hub_id == "other" and (p.name or p.url) for p in parts):
        source = "card-other"
    return _combine(parts, declared, source, problems)


def _license_value(card: Mapping[str, Any], tags: Sequence[str],
                   problems: list[str]) -> tuple[object, bool] | None:
    """``(value, from the Hub's tags)`` of the license declaration; ``None`` when there is none
    (or only a ``licence:`` template placeholder)."""
    if "license" in card:
        return card["license"], False
    if "licence" in card:
        value = card["licence"]
        if isinstance(value, str) and value.strip().lower() in PLACEHOLDERS:
            problems.append(
                f"card has 'licence: {clip(value, 40)}' (a template typo, e.g. TRL's), "
                "not a license declaration"
            )
            return None
        problems.append("license key is spelled 'licence'")
        return value, False
    tag_ids = [t.split(":", 1)[1] for t in tags if isinstance(t, str)
               and t.startswith("license:") and t.split(":", 1)[1]]
    if not tag_ids:
        return None
    return (tag_ids[0] if len(tag_ids) == 1 else tag_ids), True


def _parts(items: list[object], card: Mapping[str, Any], repo_id: str | None, sha: str | None,
           problems: list[str]) -> list[_Part]:
    """The first 16 license entries, read; the others and non-strings are problems."""
    parts: list[_Part] = []
    for item in items[:16]:
        if not isinstance(item, str):
            problems.append(f"license entry {_declared(item)[:60]} is not a string; ignored")
            continue
        part = _part_for(item, card, repo_id, sha, problems)
        if part is not None:
            parts.append(part)
    if len(items) > 16:
        problems.append(f"license lists {len(items)} entries; only the first 16 were read")
    return parts


def license_file_in(names: Sequence[str]) -> str | None:
    """The first top-level LICENSE file among ``names`` (repo-relative paths), if any."""
    present = set(names)
    return next((n for n in LICENSE_FILES if n in present), None)


def facts_for_info(info: LicenseInfo | None) -> list[LicenseFacts]:
    """The known licenses a ``LicenseInfo`` names (several for an AND list); ``[]`` if none.

    ``other`` resolves through ``license_name``; the placeholder ``unknown`` and unknown names
    give nothing, so callers treat the node as having an unknown license.
    """
    if info is None:
        return []
    found: list[LicenseFacts] = []
    candidates: list[str] = []
    if info.hub_id:
        candidates = [h.strip() for h in info.hub_id.split(" AND ")]
    elif info.spdx:
        licensing = _spdx_licensing()
        try:
            candidates = [str(k) for k in licensing.license_keys(licensing.parse(info.spdx))]
        except ExpressionError:
            candidates = []
    for c in candidates:
        facts = license_facts(info.name or "") if c == "other" else license_facts(c)
        if facts is None or facts.key in ("unknown", "other"):
            continue
        if facts not in found:
            found.append(facts)
    if len(found) != len(candidates):
        return []
    return found
