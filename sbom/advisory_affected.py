"""``mlbom affected --advisories PATH``: for each advisory, the stored product versions it
affects and through which lineage path.

The inventory answers (``sbom.inventory.affected.query_affected``); this module only turns each
advisory's ``affected[]`` entries into inventory queries and groups the answers by advisory:

- an entry with ``versions`` asks once per commit (``org/name@<sha or prefix>``): a product is
  *affected* when its BOM pins one of those commits;
- an entry with neither ``versions`` nor ``ranges`` asks without a revision: every stored
  commit is affected;
- an entry with only ``ranges`` (not evaluable offline) also asks without a revision, and its
  products are *possibly* affected;
- a product whose BOM holds the repo without its commit is *possibly* affected by an entry
  that names commits (it cannot be cleared);
- the repos no stored BOM holds are listed (``not_stored``), never a bare "not affected";
- the repo is looked up as a model (and code repo) and as a dataset.

JSON (``mlbom-advisories-affected/1``)::

    {"format": "mlbom-advisories-affected/1",
     "advisories": [{"id", "summary", "source", "affected": [{"repo", "versions"}],
                     "not_stored": [repo ids no stored BOM holds],
                     "products": [{"product", "version", "status": "affected|possibly",
                                   "commits": [...], "paths": [[names, product model first]],
                                   "boms": [files]}]}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lineage.text_safety import json_document
from sbom.advisories import Advisory, AffectedRepo, iter_repo_ids

FORMAT = "mlbom-advisories-affected/1"


@dataclass(frozen=True)
class ProductHit:
    product: str
    version: str
    status: str  # affected, possibly
    commits: tuple[str | None, ...]
    paths: tuple[tuple[str, ...], ...]
    boms: tuple[str, ...]


def _queries(entry: AffectedRepo) -> list[tuple[str, str]]:
    items = [f"{entry.repo_id}@{v}" for v in entry.versions] or [entry.repo_id]
    status = "possibly" if entry.has_ranges and not entry.versions and not \
        entry.all_commits else "affected"
    return [(item, status) for item in items]


@dataclass(frozen=True)
class AdvisoryResult:
    advisory: Advisory
    hits: list[ProductHit]
    not_stored: tuple[str, ...]  # repos the advisory names that no stored BOM holds


def advisory_hits(store: Any, advisories: list[Advisory]) -> list[AdvisoryResult]:
    """Per advisory (withdrawn ones skipped), the product versions it affects. A product
    whose BOM holds the repo without saying at which commit is *possibly* affected by an
    advisory that names commits: it cannot be cleared."""
    from sbom.inventory.affected import ItemNotFound, query_affected

    by_adv: dict[str, tuple[Advisory, dict[tuple[str, str], ProductHit], dict[str, bool]]] = {}
    for adv, entry in iter_repo_ids(advisories):
        _, found, stored = by_adv.setdefault(adv.id, (adv, {}, {}))
        stored.setdefault(entry.repo_id, False)
        for item, status in _queries(entry):
            for kind in ("model", "dataset"):
                try:
                    answer = query_affected(store, item, kind)
                except ItemNotFound:
                    continue
                stored[entry.repo_id] = True
                for part in answer.answers:
                    for hit in part.hits:
                        _add_hit(found, hit, status)
                    for hit in part.unknown:  # the BOM does not say which commit
                        _add_hit(found, hit, "possibly")
    return [AdvisoryResult(adv, [found[k] for k in sorted(found)],
                           tuple(r for r, held in stored.items() if not held))
            for adv, found, stored in by_adv.values()]


def _add_hit(found: dict[tuple[str, str], ProductHit], hit: Any, status: str) -> None:
    key = (hit.product, hit.version)
    old = found.get(key)
    paths = tuple(tuple(s.name for s in p.steps) for p in hit.paths)
    boms = tuple(dict.fromkeys(p.bom_file for p in hit.paths))
    if old is not None:
        status = "affected" if "affected" in (old.status, status) else status
        paths = tuple(dict.fromkeys(old.paths + paths))
        boms = tuple(dict.fromkeys(old.boms + boms))
        commits = tuple(dict.fromkeys(old.commits + hit.commits))
    else:
        commits = hit.commits
    found[key] = ProductHit(hit.product, hit.version, status, commits, paths, boms)


def render_advisory_hits(results: list[AdvisoryResult], fmt: str) -> str:
    if fmt == "json":
        doc = {"format": FORMAT, "advisories": [
            {"id": r.advisory.id, "summary": r.advisory.summary, "source": r.advisory.source,
             "affected": [{"repo": e.repo_id, "versions": list(e.versions)}
                          for e in r.advisory.affected],
             "not_stored": list(r.not_stored),
             "products": [{"product": h.product, "version": h.version, "status": h.status,
                           "commits": list(h.commits), "paths": [list(p) for p in h.paths],
                           "boms": list(h.boms)} for h in r.hits]}
            for r in results]}
        return json_document(doc)
    lines: list[str] = []
    for r in results:
        adv, hits = r.advisory, r.hits
        repos = ", ".join(e.repo_id + (f"@{','.join(e.versions)}" if e.versions else " (every "
                                       "commit)") for e in adv.affected)
        lines.append(f"{adv.id}: {adv.title}")
        lines.append(f"  names {repos}  [{adv.source}]")
        if r.not_stored:
            lines.append(f"  not in any stored BOM: {', '.join(r.not_stored)} (check the "
                         "spelling if a product should use it)")
        if not hits and len(r.not_stored) < len({e.repo_id for e in adv.affected}):
            lines.append("  no stored product version pins an affected commit")
        for h in hits:
            commits = ", ".join((c or "?")[:12] for c in h.commits)
            lines.append(f"  {h.status:<9} {h.product} {h.version} (commit {commits})")
            for p in h.paths:
                lines.append(f"            via {' → '.join(p)}")
        lines.append("")
    return "\n".join(lines)


def affected_by_advisories_text(paths: list[Any], db: str | None, fmt: str) -> tuple[str, int]:
    """The text for ``mlbom affected --advisories``, and how many product versions are hit."""
    from sbom.advisories import load_advisories
    from sbom.inventory.store import open_store

    advisories = load_advisories(paths)
    with open_store(db, create=False) as store:
        results = advisory_hits(store, advisories)
    n = len({(h.product, h.version) for r in results for h in r.hits})
    return render_advisory_hits(results, fmt), n


def advisory_descendants_text(paths: list[Any], fmt: str, *, endpoint: str | None,
                              token: str | None, limit: int, db: str | None,
                              use_index: bool, run_deadline: float | None = None) -> str:
    """``affected --advisories PATH --hub-descendants``: per advisory and affected repo, the
    public Hub models that derive from it (live Hub, or the local index with ``--index``)."""
    from sbom import commands
    from sbom.advisories import load_advisories

    seen: dict[tuple[str, str], str] = {}
    for adv, entry in iter_repo_ids(load_advisories(paths)):
        seen.setdefault((adv.id, entry.repo_id), commands.hub_descendants_text(
            entry.repo_id, fmt, endpoint=endpoint, token=token, limit=limit, db=db,
            use_index=use_index, run_deadline=run_deadline, must_exist=False))
    if fmt == "json":
        doc = {"format": "mlbom-advisories-descendants/1", "advisories": [
            {"id": adv_id, "repo": repo, "descendants": json.loads(text)}
            for (adv_id, repo), text in seen.items()]}
        return json_document(doc)
    return "".join(f"{adv_id} ({repo}):\n{text}\n" for (adv_id, repo), text in seen.items())
