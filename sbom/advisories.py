"""Security advisories about models, datasets and code repos: OSV documents in, matches out.

An advisory is an OSV JSON document (https://ossf.github.io/osv-schema/) whose
``affected[].package`` names a Hub repo by purl, ``pkg:huggingface/<org>/<name>`` (or, without
a purl, ``{"ecosystem": "Hugging Face", "name": "<org>/<name>"}``). ``versions`` lists the
affected commits, full or abbreviated (at least 7 hex characters). An entry with neither
``versions`` nor ``ranges`` affects every commit. ``ranges`` cannot be evaluated offline (the
order of a repo's commits is not in a BOM), so a component that only a range could cover is
reported as *possibly* affected, never as safe. Withdrawn advisories are read and skipped.

Where advisories come from: ``load_advisories(paths)``, each path a ``.json`` file (one OSV
document), a ``.jsonl``/``.ndjson`` file (one document per line) or a folder of them (read
recursively, sorted). Every document is validated against the official OSV schema (the copy in
``sbom/data/osv-schema.json``, from github.com/ossf/osv-schema ``validation/schema.json`` at
commit 51b8156b69b9e2e9ff2301e649db61636067fcfa, Apache-2.0) with jsonschema-rs, relaxed in
two places only, because a Hub advisory cannot meet them: any id is accepted (OSV lists the
home databases it knows), and ``Hugging Face`` is accepted as an ecosystem. A malformed
advisory raises ``AdvisoryError`` (exit 2) naming the file (and line, for JSON Lines), the JSON
path and the reason; nothing is skipped silently.

Why no OSV library: the packages on PyPI either query osv.dev over the network (``osv-lib``,
last release 2022), are archived (``osv``), or are small one-person parsers; the schema itself
is what OSV maintains, and jsonschema-rs is already a dependency.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lineage.capped_read import CappedReadError, read_capped_text
from lineage.errors import InputError
from lineage.graph import LineageGraph, Node

MAX_ADVISORY_FILE_BYTES = 32 * 1024 * 1024
MAX_ADVISORIES = 100_000
HUB_ECOSYSTEMS = ("Hugging Face", "HuggingFace", "huggingface")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")


class AdvisoryError(InputError):
    """An advisory file is unreadable or not a valid OSV document; the message names the file,
    the JSON path and the reason."""


@dataclass(frozen=True)
class AffectedRepo:
    """One ``affected[]`` entry that names a Hub repo."""

    repo_id: str  # org/name as written
    versions: tuple[str, ...]  # lower-case commit shas or prefixes (>= 7 hex characters)
    has_ranges: bool
    all_commits: bool  # no versions and no ranges, or a range introduced at "0" never fixed
    json_path: str  # affected[i]

    def status_for(self, sha: str | None) -> str | None:
        """``affected``, ``possibly`` (cannot be decided) or ``None`` (not affected)."""
        if self.all_commits:
            return "affected"
        if sha is None:
            return "possibly"
        low = sha.lower()
        if any(low.startswith(v) or v.startswith(low) for v in self.versions):
            return "affected"
        return "possibly" if self.has_ranges else None


@dataclass(frozen=True)
class Advisory:
    id: str
    summary: str
    details: str
    aliases: tuple[str, ...]
    source: str  # file, or file:line for JSON Lines
    affected: tuple[AffectedRepo, ...]
    severity: str | None = None  # the first severity score as written (CVSS vector ...)
    references: tuple[str, ...] = ()
    withdrawn: str | None = None

    @property
    def title(self) -> str:
        return self.summary or self.details.split("\n", 1)[0][:200] or self.id


@dataclass(frozen=True)
class AdvisoryMatch:
    advisory: Advisory
    node_key: str
    status: str  # affected, possibly
    entry: AffectedRepo


# -- reading -----------------------------------------------------------------------------------
def load_advisories(paths: Iterable[str | Path]) -> list[Advisory]:
    """Every advisory in ``paths`` (files or folders), in a stable order; withdrawn ones
    included (``match_advisories`` skips them). Raises ``AdvisoryError``."""
    out: list[Advisory] = []
    for path in paths:
        before = len(out)
        for file in _files(Path(path)):
            out.extend(_read_file(file))
            if len(out) > MAX_ADVISORIES:
                raise AdvisoryError(f"{path}: more than {MAX_ADVISORIES} advisories")
        if len(out) == before:  # an empty JSON Lines file: a gate would check against nothing
            raise AdvisoryError(f"{path}: holds no advisories (an empty file?); nothing to "
                                "match against")
    return out


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*")
                       if p.is_file() and p.suffix.lower() in (".json", ".jsonl", ".ndjson"))
        if not files:
            raise AdvisoryError(f"{path}: no .json or .jsonl advisory files in this folder")
        return files
    if not path.exists():
        raise AdvisoryError(f"{path}: no such advisory file or folder")
    return [path]


def _read_file(path: Path) -> list[Advisory]:
    try:
        text = read_capped_text(path, MAX_ADVISORY_FILE_BYTES)
    except CappedReadError as exc:
        raise AdvisoryError(exc.choose(
            unreadable=f"{path}: cannot read advisory file ({exc.detail})",
            too_large=f"{path}: larger than {MAX_ADVISORY_FILE_BYTES >> 20} MiB",
            not_utf8=f"{path}: not UTF-8")) from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return [parse_advisory(_json(line, f"{path}:{n}"), f"{path}:{n}")
                for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    return [parse_advisory(_json(text, str(path)), str(path))]


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise AdvisoryError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        raise AdvisoryError(f"{where}: not valid JSON ({exc})") from None


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema_rs

    schema = json.loads((resources.files("sbom") / "data" / "osv-schema.json").read_text())
    schema = copy.deepcopy(schema)
    schema["$defs"]["prefix"] = {"type": "string", "minLength": 1}
    eco = schema["$defs"]["ecosystemWithSuffix"]
    schema["$defs"]["ecosystemWithSuffix"] = {"anyOf": [eco, {"enum": list(HUB_ECOSYSTEMS)}]}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _json_path(parts: Iterable[object]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def parse_advisory(doc: Any, source: str = "<advisory>") -> Advisory:
    """One OSV document, validated; ``AdvisoryError`` names ``source``, the path, the reason."""
    error = next(iter(_validator().iter_errors(doc)), None)
    if error is not None:
        detail = " ".join(error.message.split())
        if len(detail) > 240:
            detail = detail[:200] + " …"
        raise AdvisoryError(f"{source}: {_json_path(error.instance_path)}: {detail}")
    entries = [e for e in (_affected(doc, i, item, source)
                           for i, item in enumerate(doc.get("affected") or []))
               if e is not None]
    if not entries:
        raise AdvisoryError(f"{source}: $.affected: no entry names a Hugging Face repo "
                            "(package.purl pkg:huggingface/<org>/<name>)")
    severity = None
    for s in doc.get("severity") or []:
        severity = f"{s['type']} {s['score']}"
        break
    return Advisory(
        id=doc["id"], summary=str(doc.get("summary", "")), details=str(doc.get("details", "")),
        aliases=tuple(doc.get("aliases") or ()), source=source, affected=tuple(entries),
        severity=severity, references=tuple(r["url"] for r in doc.get("references") or []
                                            if isinstance(r, dict) and "url" in r),
        withdrawn=doc.get("withdrawn"),
    )


def _affected(doc: dict[str, Any], i: int, item: dict[str, Any], source: str
              ) -> AffectedRepo | None:
    where = f"$.affected[{i}]"
    package = item.get("package")
    if not isinstance(package, dict):
        return None
    repo_id = _repo_from_package(package, f"{source}: {where}.package")
    if repo_id is None:
        return None
    versions = []
    for j, v in enumerate(item.get("versions") or []):
        low = v.strip().lower()
        if not _SHA.match(low):
            raise AdvisoryError(f"{source}: {where}.versions[{j}]: {v!r} is not a commit sha "
                                "(7 to 64 hex characters)")
        versions.append(low)
    ranges = item.get("ranges") or []
    everything = not versions and not ranges
    if ranges and not versions and all(_open_from_start(r) for r in ranges):
        everything = True
    return AffectedRepo(repo_id, tuple(versions), bool(ranges), everything, f"affected[{i}]")


def _open_from_start(rng: dict[str, Any]) -> bool:
    events = rng.get("events") or []
    return bool(events) and all(e == {"introduced": "0"} for e in events)


def _repo_from_package(package: dict[str, Any], where: str) -> str | None:
    purl = package.get("purl")
    if isinstance(purl, str) and purl:
        from lineage.ids import PURL_TYPE, parse_purl  # the one purl parser

        parsed = parse_purl(purl)
        if parsed is None:
            if purl.lower().startswith(f"pkg:{PURL_TYPE}"):
                raise AdvisoryError(f"{where}.purl: {purl!r} is not pkg:huggingface/<org>/<name>")
            return None
        parts = parsed[0].split("/")
        if parts and parts[0].lower() == "datasets" and len(parts) == 3:
            parts = parts[1:]
        if not 1 <= len(parts) <= 2:
            raise AdvisoryError(f"{where}.purl: {purl!r} is not pkg:huggingface/<org>/<name>")
        return "/".join(parts)
    if package.get("ecosystem") in HUB_ECOSYSTEMS:
        name = str(package.get("name", ""))
        if not name or name.count("/") > 1:
            raise AdvisoryError(f"{where}.name: {name!r} is not a Hub repo id <org>/<name>")
        return name
    return None


# -- matching ----------------------------------------------------------------------------------
def match_advisories(graph: LineageGraph, advisories: Iterable[Advisory]) -> list[AdvisoryMatch]:
    """Every (advisory, node) pair where the node is the advisory's repo at an affected (or
    possibly affected) commit. Repo ids compare case-insensitively, as on the Hub. A repo
    renamed on the Hub is matched by its old id too (``renamed_from``): an advisory written
    before the rename still names it."""
    by_repo: dict[str, list[Node]] = {}
    for node in graph.nodes():
        for repo_id in dict.fromkeys(i.lower() for i in (node.repo_id, node.renamed_from) if i):
            by_repo.setdefault(repo_id, []).append(node)
    out: list[AdvisoryMatch] = []
    for adv in advisories:
        if adv.withdrawn:
            continue
        for entry in adv.affected:
            for node in by_repo.get(entry.repo_id.lower(), []):
                status = entry.status_for(node.sha)
                if status is not None:
                    out.append(AdvisoryMatch(adv, node.key, status, entry))
    return out


def recorded_advisories(graph: LineageGraph) -> list[Advisory]:
    """The OSV advisories a BOM written by ``generate --advisories`` recorded in its
    ``vulnerabilities`` (``graph.meta["bom_vulnerabilities"]``, set when the BOM is read for
    ``mlbom check``), so a BOM checked later without the advisory files still fails on them.
    Each affected component is matched again at the commit the BOM pins."""
    out = []
    for vuln in graph.meta.get("bom_vulnerabilities") or []:
        if not isinstance(vuln, dict) or (vuln.get("source") or {}).get("name") != \
                "OSV advisory" or not isinstance(vuln.get("id"), str):
            continue
        entries = []
        for i, target in enumerate(vuln.get("affects") or []):
            ref = target.get("ref") if isinstance(target, dict) else None
            if not isinstance(ref, str) or ref not in graph or not graph.node(ref).repo_id:
                continue
            versions = tuple(str(v.get("version", "")).lower()
                             for v in target.get("versions") or []
                             if isinstance(v, dict) and v.get("status") == "affected"
                             and _SHA.match(str(v.get("version", "")).lower()))
            entries.append(AffectedRepo(str(graph.node(ref).repo_id), versions,
                                        has_ranges=not versions, all_commits=False,
                                        json_path=f"affects[{i}]"))
        if entries:
            out.append(Advisory(
                id=vuln["id"], summary=str(vuln.get("description", "")),
                details=str(vuln.get("detail", "")), aliases=(),
                source=f"{graph.meta.get('read_from', 'BOM')}: vulnerabilities",
                affected=tuple(entries)))
    return out


def iter_repo_ids(advisories: Iterable[Advisory]) -> Iterator[tuple[Advisory, AffectedRepo]]:
    for adv in advisories:
        if not adv.withdrawn:
            for entry in adv.affected:
                yield adv, entry
