"""Model and dataset card parsing: YAML front matter in, typed lineage declarations out.

``parse_card`` splits the front matter the way the Hub does (a ``---`` line, YAML, a ``---``
line), tolerating a byte-order mark, CRLF and NUL bytes. ``card_lineage`` reads the lineage
fields from the parsed mapping: ``base_model`` (string or list), ``base_model_relation``,
``datasets`` and ``model-index`` (evaluation only); ``extra_front_matter`` reads further
``---`` blocks the Hub ignores. Recipes in the body: ``lineage.parsers.card_recipes``.
Wrong types never raise: they become problems, and the value is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lineage.errors import ParseError
from lineage.graph import Evidence, Relation
from lineage.hub_lineage import RELATION_VALUES
from lineage.parsers.safe import decode_text, load_yaml
from lineage.refs import ParentValue, clip, decode_dataset_id, decode_parent_value

MAX_CARD_BYTES = 2 * 1024 * 1024  # bigger cards are cut here; front matter sits at the top
MAX_FRONT_MATTER_BYTES = 512 * 1024
MAX_LIST_ITEMS = 1000  # base_model / datasets entries kept per card

_FRONT = re.compile(r"\A\s*---[ \t]*\n(.*?)(?:\n---[ \t]*(?:\n|\Z)|\Z)", re.S)



@dataclass
class CardMetadata:
    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    problems: list[str] = field(default_factory=list)
    has_front_matter: bool = False


@dataclass(frozen=True)
class ParentDecl:
    """One declared parent with the relation its source states (None: not stated)."""

    value: ParentValue
    relation: Relation | None
    evidence: Evidence
    # a local path's own parents, when the card shows the recipe that made it (intermediate)
    parents: tuple[ParentDecl, ...] = ()


@dataclass
class CardLineage:
    parents: list[ParentDecl] = field(default_factory=list)
    relation_declared: str | None = None
    datasets: list[tuple[ParentValue, Evidence]] = field(default_factory=list)
    eval_datasets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_card(data: bytes | str, *, file: str = "README.md") -> CardMetadata:
    """Split and parse a card. Raises ``ParseError`` only for front matter that is present but
    malformed or unsafe; a card without front matter is valid and empty."""
    cut = False
    if isinstance(data, bytes) and len(data) > MAX_CARD_BYTES:
        data, cut = _cut_utf8(data, MAX_CARD_BYTES), True
    text, problems = decode_text(data, file=file)
    if len(text) > MAX_CARD_BYTES:
        text, cut = text[:MAX_CARD_BYTES], True
    if cut:
        problems.append(f"{file}: longer than {MAX_CARD_BYTES} bytes; only the start was read")
    match = _FRONT.match(text)
    if not match:
        return CardMetadata({}, text, problems, False)
    front = match.group(1)
    if len(front.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise ParseError(f"front matter larger than {MAX_FRONT_MATTER_BYTES} bytes", file=file)
    value, yaml_problems = load_yaml(front, file=file, max_bytes=MAX_FRONT_MATTER_BYTES)
    problems.extend(yaml_problems)
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ParseError(f"front matter is a {type(value).__name__}, not a mapping", file=file)
    data_out = {str(k): v for k, v in value.items()}
    return CardMetadata(data_out, text[match.end():], problems, True)


def _cut_utf8(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes, backed off so no UTF-8 character is split at the cut."""
    end = limit
    while end > limit - 4 and end > 0 and (data[end] & 0xC0) == 0x80:
        end -= 1
    return data[:end]


def _as_str_list(value: Any, key: str, problems: list[str], file: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out = []
        for item in value[:MAX_LIST_ITEMS]:
            if isinstance(item, str):
                out.append(item)
            else:
                problems.append(f"{file}: {key} entry {clip(repr(item), 80)} is not a string")
        if len(value) > MAX_LIST_ITEMS:
            problems.append(f"{file}: {key} has {len(value)} entries; kept {MAX_LIST_ITEMS}")
        return out
    problems.append(f"{file}: {key} is a {type(value).__name__}, expected a string or list")
    return []


# Misspellings of ``base_model`` seen on real cards. The Hub ignores them; mlbom reads them
# as declared parents (a parent the author meant to declare) and says the key is misspelt.
BASE_MODEL_TYPOS = ("base model", "base-model", "basemodel", "base_models", "Base_model",
                    "base_mode", "based_model")


def card_lineage(data: dict[str, Any], *, file: str = "README.md") -> CardLineage:
    """Read lineage declarations from parsed front matter."""
    out = CardLineage()
    key = "base_model"
    if data.get(key) is None:
        key = next((k for k in BASE_MODEL_TYPOS if data.get(k) is not None), key)
        if key != "base_model":
            out.problems.append(f"{file}: {key!r} is not a key the Hub reads (base_model is "
                                f"meant); its value is kept as a declared parent")
    bases = _as_str_list(data.get(key), key, out.problems, file)
    rel_raw = data.get("base_model_relation")
    relation: Relation | None = None
    if rel_raw is not None:
        if isinstance(rel_raw, str) and rel_raw.strip().lower() in RELATION_VALUES:
            relation = RELATION_VALUES[rel_raw.strip().lower()]
            out.relation_declared = rel_raw.strip().lower()
        else:
            out.relation_declared = clip(str(rel_raw), 80)
            relation = Relation.UNKNOWN
            shown = clip(repr(rel_raw), 60)
            out.problems.append(f"{file}: unknown base_model_relation {shown}; kept as unknown")
    if relation is None and len(bases) >= 2:
        relation = Relation.MERGE
    for raw in bases:
        ev = Evidence("card", file, key, clip(raw, 300))
        out.parents.append(ParentDecl(decode_parent_value(raw), relation, ev))

    for raw in _as_str_list(data.get("datasets"), "datasets", out.problems, file):
        ev = Evidence("card", file, "datasets", clip(raw, 300))
        out.datasets.append((decode_dataset_id(raw), ev))
    out.eval_datasets = _eval_datasets(data.get("model-index"))
    return out


def _eval_datasets(model_index: Any) -> list[str]:
    """Dataset ids named in ``model-index`` results: evaluation data, never training data."""
    found: list[str] = []
    if not isinstance(model_index, list):
        return found
    for entry in model_index[:50]:
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(results, list):
            continue
        for result in results[:200]:
            ds = result.get("dataset") if isinstance(result, dict) else None
            if isinstance(ds, dict):
                ident = ds.get("type") or ds.get("name")
                if isinstance(ident, str) and ident not in found:
                    found.append(clip(ident, 200))
    return found


def extra_front_matter(body: str, *, file: str = "README.md", limit: int = 3
                       ) -> list[dict[str, Any]]:
    """Mappings in further ``---`` blocks right after the front matter. The Hub reads only the
    first block; real cards sometimes stack two or three, the second naming the base model."""
    out: list[dict[str, Any]] = []
    rest = body
    for _ in range(limit):
        match = _FRONT.match(rest)
        if not match or not match.group(1).strip():
            if match and rest.lstrip().startswith("---"):
                rest = rest[match.end():]
                continue
            break
        try:
            value, _ = load_yaml(match.group(1), file=file, max_bytes=MAX_FRONT_MATTER_BYTES)
        except ParseError:
            break
        if not isinstance(value, dict):
            break
        out.append({str(k): v for k, v in value.items()})
        rest = rest[match.end():]
    return out
