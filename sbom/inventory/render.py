"""Text for ``mlbom inventory list`` and ``mlbom affected``: a rich table or JSON.

JSON documents (stable; a consumer may rely on these keys):

``mlbom affected --format json``::

    {"format": "mlbom-affected/1",
     "query": {"item": "org/name", "kind": "model" | "dataset" | "code" | null, "revision": null},
     "status": "affected" | "not-affected" | "unknown",
     "total": <affected product versions, every page>, "offset": 0, "limit": null | <n>,
     "store": {"url": "...", "incomplete_products": <n>,
               "incomplete_examples": ["<product> <version>", ...]},
     "kinds": [{"kind", "status", "total", "present", "unknown_total", "other_commits"}],
     "unknown": [<as in affected: product versions whose BOM does not record the commit>],
     "affected": [
       {"product": "...", "version": "...",
        "commits": ["<sha of the item this product pins>" | null, ...],
        "paths": [
          {"model": "<the product's model>", "commit": "<sha>" | null, "bom": "<file>",
           "steps": [{"ref": "model:acme/app", "name": "acme/App", "relation": "finetune"},
                     ...,
                     {"ref": "model:org/name", "name": "org/Name", "relation": null}]}],
        "more_paths": 0, "kind": "model"}]}

``relation`` on a step is the relation of the edge from that step to the next one.
``status``: ``affected`` when a product pins an affected commit (any commit when no revision
was asked); ``unknown`` when none does but some BOMs do not record which commit they hold;
``not-affected`` when the item is stored but every product pins another commit
(``other_commits``). An item in no stored BOM is an error (exit 2), never an empty answer.

``mlbom affected --hub-descendants --format json``::

    {"format": "mlbom-hub-descendants/1", "model": "org/name",
     "descendants": [{"repo_id", "parent", "relation", "depth", "sha", "downloads"}, ...]}

``mlbom inventory list --format json``::

    {"format": "mlbom-inventory/1",
     "products": [{"product", "version", "ingested_at",
                   "boms": [{"file", "serial", "model", "commit", "nodes"}]}]}

Tables never carry colour codes when written to a pipe; JSON never does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii as _str
from typing import Any

from lineage.errors import InputError
from sbom.inventory.affected import (
    AffectedAnswer,
    AffectedHit,
    AffectedPath,
    AffectedQuery,
)
from sbom.inventory.hub_descendants import HubDescendant
from sbom.inventory.store import ProductRecord

FORMATS = ("table", "json")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}: use table or json")


def path_text(path: AffectedPath) -> str:
    """``acme/App -finetune-> org/Base -adapter-> meta/Llama`` (refs' kind shown for
    datasets and code repos)."""
    out = []
    for step in path.steps:
        kind = step.ref.split(":", 1)[0]
        label = step.name if kind in ("model",) else f"{kind}:{step.name}"
        out.append(label if step.relation is None else f"{label} -{step.relation}->")
    return " ".join(out)


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "unknown"


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
           width: int | None = None) -> str:
    from lineage.text_safety import printable
    from sbom.views.terminal import render_table, table_width

    # stored BOMs are input: no markup, controls or bidi reach the terminal; ids wrap at "/",
    # never mid-word; too narrow for columns side by side: one record per row
    rows = [[printable(cell) for cell in row] for row in rows]
    return render_table(title, columns, rows, width or table_width(160))


def _hit_doc(h: AffectedHit, kind: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "product": h.product,
        "version": h.version,
        "commits": list(h.commits),
        "paths": [
            {
                "model": p.model,
                "commit": p.commit,
                "bom": p.bom_file,
                "steps": [
                    {"ref": s.ref, "name": s.name, "relation": s.relation} for s in p.steps
                ],
            }
            for p in h.paths
        ],
        "more_paths": h.more_paths,
    }
    if kind is not None:
        doc["kind"] = kind
    return doc


def affected_document(
    hits: Sequence[AffectedHit], query: AffectedQuery | None = None
) -> dict[str, Any]:
    return {
        "format": "mlbom-affected/1",
        "query": None if query is None else {
            "item": query.repo_id, "kind": query.kind, "revision": query.revision,
        },
        "affected": [_hit_doc(h) for h in hits],
    }


def answer_document(answer: AffectedAnswer, *, hits: bool = True) -> dict[str, Any]:
    """The JSON document of ``mlbom affected`` (see the module docstring); ``hits=False``
    leaves out the two lists of product versions."""
    q = answer.query
    doc = {
        "format": "mlbom-affected/1",
        "query": {"item": q.repo_id, "kind": q.kind, "revision": q.revision},
        "status": answer.status,
        "total": answer.total,
        "offset": answer.offset,
        "limit": answer.limit,
        "store": {"url": answer.store,
                  "incomplete_products": answer.incomplete,
                  "incomplete_examples": list(answer.incomplete_examples)},
        "kinds": [
            {"kind": a.kind, "status": a.status, "total": a.total, "present": a.present,
             "unknown_total": a.unknown_total, "other_commits": list(a.other_commits)}
            for a in answer.answers
        ],
    }
    if hits:
        doc["unknown"] = [_hit_doc(h, a.kind) for a in answer.answers for h in a.unknown]
        doc["affected"] = [_hit_doc(h, a.kind) for a in answer.answers for h in a.hits]
    return doc


def render_answer(answer: AffectedAnswer, fmt: str = "table") -> str:
    """``mlbom affected``'s document: one table per kind (and one of the unknown product
    versions), or the JSON document. ``answer_summary`` is the verdict for stderr."""
    _check(fmt)
    if fmt == "json":
        return _answer_json(answer)
    item = _item(answer.query)
    parts = []
    for a in answer.answers:
        title = f"{a.total} product version(s) affected by {a.kind} {item}"
        parts.append(_table(title + _page(answer, a.total, len(a.hits)), _COLUMNS,
                            _hit_rows(a.hits)))
        if a.unknown_total:
            title = (f"{a.unknown_total} product version(s) hold {a.kind} {answer.query.repo_id}"
                     " at a commit their BOM does not record")
            parts.append(_table(title + _page(answer, a.unknown_total, len(a.unknown)),
                                _COLUMNS, _hit_rows(a.unknown)))
    return "".join(parts)


_COLUMNS = ("Product", "Version", "Commit", "Path (product model → item)")
_LISTS = ("unknown", "affected")


def _answer_json(answer: AffectedAnswer) -> str:
    """``answer_document`` indented, with each product version on one line, written from
    cached fragments: a 20,000-product answer shares most of its steps, and the indenting
    encoder alone would take seconds."""
    doc = answer_document(answer, hits=False)
    head = json.dumps(doc, indent=2)
    parts = [head[:-2]]  # a 30 MB answer: each piece is copied once, in the last join
    fragments: dict[int, str] = {}  # id(PathStep) -> its JSON; steps are shared objects
    for key in _LISTS:
        lines = [_hit_json(h, a.kind, fragments) for a in answer.answers
                 for h in (a.unknown if key == "unknown" else a.hits)]
        if not lines:
            parts.append(f',\n  "{key}": []')
            continue
        parts.append(f',\n  "{key}": [\n    ')
        for i, line in enumerate(lines):
            parts.extend((",\n    ", line) if i else (line,))
        parts.append("\n  ]")
    parts.append("\n}\n")
    return "".join(parts)


def _hit_json(h: AffectedHit, kind: str, fragments: dict[int, str]) -> str:
    """``json.dumps(_hit_doc(h, kind))``, from cached step fragments (steps are shared
    objects: ``_Finder._steps_of``). ``_str`` is the encoder ``json.dumps`` itself uses for
    a string (ensure_ascii), called directly."""
    paths = []
    for p in h.paths:
        steps = []
        for s in p.steps:
            text = fragments.get(id(s))
            if text is None:
                text = fragments[id(s)] = (
                    f'{{"ref": {_str(s.ref)}, "name": {_str(s.name)}, '
                    f'"relation": {_opt(s.relation)}}}')
            steps.append(text)
        paths.append(f'{{"model": {_str(p.model)}, "commit": {_opt(p.commit)}, '
                     f'"bom": {_str(p.bom_file)}, "steps": [{", ".join(steps)}]}}')
    commits = ", ".join(_opt(c) for c in h.commits)
    return (f'{{"product": {_str(h.product)}, "version": {_str(h.version)}, '
            f'"commits": [{commits}], "paths": [{", ".join(paths)}], '
            f'"more_paths": {h.more_paths}, "kind": {_str(kind)}}}')


def _opt(value: str | None) -> str:
    return "null" if value is None else _str(value)


def _item(query: AffectedQuery) -> str:
    return query.repo_id + (f"@{query.revision}" if query.revision else "")


def _page(answer: AffectedAnswer, total: int, shown: int) -> str:
    if answer.limit is None and not answer.offset or not total:
        return ""
    first = answer.offset + 1 if shown else answer.offset
    return f" (showing {first}-{answer.offset + shown} of {total})"


def answer_summary(answer: AffectedAnswer) -> str:
    """The verdict in a few lines for people: what is affected, what cannot be told."""
    q, item = answer.query, _item(answer.query)
    lines = []
    for a in answer.answers:
        what = f"{a.kind} {q.repo_id}"
        if a.status == "affected":
            lines.append(f"AFFECTED: {a.total} product version(s) inherit {a.kind} {item}")
        elif a.status == "unknown":
            lines.append(f"UNKNOWN: {what} is in {a.unknown_total} product version(s) whose "
                         f"BOM does not record its commit: cannot tell whether they ship "
                         f"{q.revision}")
        else:
            pins = ", ".join(_short(c) for c in a.other_commits)
            lines.append(f"NOT AFFECTED: {what} is in {a.present} stored product version(s), "
                         f"but none pins a commit starting {q.revision} (they pin {pins})")
        if a.status == "affected" and a.unknown_total:
            lines.append(f"UNKNOWN: {a.unknown_total} more product version(s) hold {what} at "
                         "a commit their BOM does not record")
        shown = answer.offset + len(a.hits)
        if a.total > shown:
            lines.append(f"  showing {len(a.hits)} of {a.total}: --offset {shown} for the "
                         "next page")
    if len(answer.answers) > 1:
        lines.append(f"note: {q.repo_id} names repos of several kinds in the store "
                     f"({', '.join(a.kind for a in answer.answers)}); each is listed: use "
                     "--kind or --dataset to choose one")
    if answer.incomplete:
        more = ", ..." if answer.incomplete > len(answer.incomplete_examples) else ""
        lines.append(f"note: {answer.incomplete} stored product version(s) "
                     f"({', '.join(answer.incomplete_examples)}{more}) have lineage mlbom "
                     "could not resolve fully (unresolved parents): they may inherit "
                     f"{q.repo_id} beyond what their BOM records")
    return "\n".join(lines) + "\n"


def _hit_rows(hits: Sequence[AffectedHit]) -> list[tuple[str, str, str, str]]:
    rows = []
    for h in hits:
        for i, p in enumerate(h.paths):
            first = i == 0
            rows.append((h.product if first else "", h.version if first else "",
                         _short(p.commit), path_text(p)))
        if h.more_paths:
            rows.append(("", "", "", f"... and {h.more_paths} more paths"))
    return rows


def render_affected(
    hits: Sequence[AffectedHit], fmt: str = "table", query: AffectedQuery | None = None
) -> str:
    """The hits as a table (one row per path) or as the JSON document above."""
    _check(fmt)
    if fmt == "json":
        return json.dumps(affected_document(hits, query), indent=2) + "\n"
    item = "" if query is None else f" {_item(query)}"
    title = f"{len(hits)} product version(s) affected by{item}"
    return _table(title, _COLUMNS, _hit_rows(hits))


def render_products(products: Sequence[ProductRecord], fmt: str = "table") -> str:
    _check(fmt)
    if fmt == "json":
        doc = {
            "format": "mlbom-inventory/1",
            "products": [
                {
                    "product": p.product, "version": p.version, "ingested_at": p.ingested_at,
                    "boms": [
                        {"file": b.file, "serial": b.serial, "model": b.root_name,
                         "commit": b.root_sha, "nodes": b.nodes}
                        for b in p.boms
                    ],
                }
                for p in products
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    rows = [
        (p.product, p.version, b.root_name, _short(b.root_sha), str(b.nodes), p.ingested_at)
        for p in products for b in p.boms
    ]
    return _table(f"{len(products)} product version(s)",
                  ("Product", "Version", "Model", "Commit", "Nodes", "Ingested"), rows)


def render_descendants(
    model_id: str, descendants: Sequence[HubDescendant], fmt: str = "table",
    *, cut: str | None = None
) -> str:
    """``cut``: why the list is not every descendant (a limit, the depth cap, the deadline);
    the table's title and the JSON's ``complete``/``cut`` say so."""
    _check(fmt)
    if fmt == "json":
        doc = {
            "format": "mlbom-hub-descendants/1",
            "model": model_id,
            **({"complete": False, "cut": cut} if cut else {}),
            "descendants": [
                {"repo_id": d.repo_id, "parent": d.parent, "relation": d.relation,
                 "depth": d.depth, "sha": d.sha, "downloads": d.downloads}
                for d in descendants
            ],
        }
        return json.dumps(doc, indent=2) + "\n"
    rows = [
        (str(d.depth), d.repo_id, d.relation, d.parent,
         "" if d.downloads is None else str(d.downloads))
        for d in descendants
    ]
    title = f"{len(descendants)} public model(s) derived from {model_id}"
    if cut:
        title += f" (PARTIAL: {cut})"
    return _table(title, ("Depth", "Model", "Relation", "Parent", "Downloads"), rows)
