"""Output formats of ``mlbom licenses``: table, json, markdown and sarif.

Every format states the inherited obligations, even with no finding.

``json`` (schema: ``sbom/data/review.schema.json``, format id ``mlbom-review/1``)::

    {
      "format": "mlbom-review/1",
      "target": {"name": "<repo id>", "key": "<bom-ref>"},
      "policy": "<policy path>" | null,
      "summary": {"error": n, "warning": n, "info": n, "waived": n},   # waived not counted
      "findings": [{"kind", "ruleId", "severity", "path": [names, target first],
                    "node": "<bom-ref of the cause>", "evidence": [...], "message",
                    "remediation", "waived": "<exception reason>" | null,
                    "also": [other kinds the same cause breaks]}],
      "obligations": [{"kind", "license", "text", "nodes": [names], "url"}],
      "licenses": [{"key", "name", "kind", "license", "family", "source", "declared", "url",
                    "unresolved", "problems": [...]}]
    }

``sarif`` is SARIF 2.1.0: one run, one result per finding, ``ruleId`` stable per kind (see
``sbom.review.RULE_IDS``), a logical location naming the model path, waived findings as
external suppressions, and the obligations in the run's property bag.

``markdown`` is for pull-request comments: card values are escaped so a hostile card cannot
inject markup. ``table`` uses rich; colour only when ``color=True``, and control characters
from card values are dropped.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lineage.errors import InputError
from lineage.text_safety import json_document, markdown_text, printable, redact_url
from sbom.finding_kinds import counts_line, rule_name
from sbom.review import KIND_DESCRIPTIONS, RULE_IDS, Review, ReviewFinding
from sbom.sarif import sarif_log, sarif_result
from sbom.views.terminal import Breakable, table_width

FORMATS = ("table", "json", "markdown", "sarif")
REVIEW_FORMAT = "mlbom-review/1"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


Locator = Callable[[ReviewFinding], dict[str, Any]]


def render_review(review: Review, fmt: str, *, color: bool = False, width: int | None = None,
                  locate: Locator | None = None) -> str:
    """``review`` as text in ``fmt`` (table, json, markdown, sarif). JSON formats end with a
    newline and never contain colour codes."""
    if fmt == "json":
        return json_document(review_to_dict(review))
    if fmt == "sarif":
        return json_document(review_to_sarif(review, locate))
    if fmt == "markdown":
        return _markdown(review)
    if fmt == "table":
        return _table(review, color=color, width=width or table_width())
    raise InputError(f"unknown review format {fmt!r} (expected {', '.join(FORMATS)})")


def review_to_dict(review: Review) -> dict[str, Any]:
    return {
        "format": REVIEW_FORMAT,
        "target": {"name": review.target, "key": review.target_key},
        "policy": review.policy,
        "summary": {k: review.counts.get(k, 0) for k in ("error", "warning", "info", "waived")},
        "findings": [
            {"kind": f.kind, "ruleId": f.rule_id, "severity": f.severity, "path": list(f.path),
             "node": f.node, "evidence": list(f.evidence), "message": f.message,
             "remediation": f.remediation, "waived": f.waived, "also": list(f.also)}
            for f in review.findings
        ],
        "obligations": [
            {"kind": o.kind, "license": o.license, "text": o.text, "nodes": list(o.nodes),
             "url": o.url}
            for o in review.obligations
        ],
        "licenses": [
            {"key": n.key, "name": n.name, "kind": n.kind, "license": n.license,
             "family": n.family, "source": n.source, "declared": n.declared, "url": n.url,
             "unresolved": n.unresolved, "problems": list(n.problems)}
            for n in review.licenses
        ],
    }


def _fingerprint(f: ReviewFinding) -> str:
    return hashlib.sha256("\x1f".join((f.kind, f.node, *f.path)).encode()).hexdigest()[:32]


def review_to_sarif(review: Review, locate: Locator | None = None) -> dict[str, Any]:
    """SARIF 2.1.0; with ``locate`` (``sbom.check_formats.review_locator``) every result also
    gets the physical location GitHub code scanning needs."""
    kinds = list(RULE_IDS)
    rules = [
        {
            "id": RULE_IDS[k],
            "name": rule_name(k),
            "shortDescription": {"text": KIND_DESCRIPTIONS[k]},
            "fullDescription": {"text": f"mlbom license review: {k}. {KIND_DESCRIPTIONS[k]}"},
            "properties": {"kind": k, "tags": ["license", "ml-supply-chain"]},
        }
        for k in kinds
    ]
    results = []
    for f in review.findings:
        location: dict[str, Any] = {"logicalLocations": [{
            "name": f.path[-1], "fullyQualifiedName": " > ".join(f.path), "kind": "module"}]}
        if locate is not None:
            physical = locate(f)
            location["physicalLocation"] = {"artifactLocation": {"uri": physical["uri"]},
                                            "region": {"startLine": physical["line"]}}
        results.append(sarif_result(
            rule_id=f.rule_id, rule_index=kinds.index(f.kind), severity=f.severity,
            text=f"{f.message}. What to do: {f.remediation}", locations=[location],
            fingerprint=("mlbomFinding/v1", _fingerprint(f)),
            properties={"kind": f.kind, "path": list(f.path), "node": f.node,
                        "evidence": list(f.evidence), "remediation": f.remediation,
                        "also": list(f.also)},
            waived=f.waived))
    return sarif_log(run_id=f"mlbom-licenses/{review.target}", rules=rules, results=results,
                     properties={"target": review.target, "policy": review.policy,
                                 "obligations": review_to_dict(review)["obligations"]})


# -- markdown ------------------------------------------------------------------------------------
_md = markdown_text


def _md_url(url: str | None) -> str | None:
    """A link target safe in markdown: http(s) only, odd characters percent-encoded."""
    if not url or not re.match(r"^https?://", url, re.I):
        return None
    return quote(redact_url(_CONTROL.sub("", url)), safe=":/?#=&%+,;@~.-_")


class MarkdownFinding(Protocol):
    """What ``findings_markdown`` reads: a ``CheckFinding`` or a ``ReviewFinding``."""

    @property
    def kind(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def path(self) -> tuple[str, ...]: ...
    @property
    def message(self) -> str: ...
    @property
    def evidence(self) -> tuple[str, ...]: ...
    @property
    def remediation(self) -> str: ...
    @property
    def waived(self) -> str | None: ...
    @property
    def also(self) -> tuple[str, ...]: ...
    @property
    def rule_id(self) -> str: ...


def findings_markdown(title: str, policy: str | None, counts: Mapping[str, int],
                      findings: Sequence[MarkdownFinding]) -> list[str]:
    """The lines of a gate's or review's markdown up to its findings: heading (``title`` is
    already escaped), summary, one table row per finding and their evidence; "No findings."
    when there are none. Every value from a card or BOM is escaped."""
    out = [f"## {title}", ""]
    policy_text = f" (policy: {_md(policy)})" if policy else ""
    out += [f"**{counts_line(counts)}**{policy_text}", ""]
    if not findings:
        return out + ["No findings.", ""]
    out += ["| Severity | Kind | Path | Finding | What to do |", "|---|---|---|---|---|"]
    for f in findings:
        sev = f.severity + (" (waived)" if f.waived else "")
        out.append(f"| {sev} | {_md(', '.join((f.kind, *f.also)))} | "
                   f"{' → '.join(_md(p) for p in f.path)} | "
                   f"{_md(f.message)} | {_md(f.remediation)} |")
    out += ["", "<details><summary>Evidence</summary>", ""]
    for i, f in enumerate(findings, 1):
        out.append(f"{i}. **{f.rule_id}** {' → '.join(_md(p) for p in f.path)}")
        out += [f"   - {_md(e)}" for e in f.evidence]
        if f.waived:
            out.append(f"   - waived: {_md(f.waived)}")
    return out + ["", "</details>", ""]


def _markdown(review: Review) -> str:
    out = findings_markdown(f"mlbom license review: {_md(review.target)}", review.policy,
                            review.counts, review.findings)
    out += ["### Inherited obligations", ""]
    if review.obligations:
        for o in review.obligations:
            link = f" ([license]({_md_url(o.url)}))" if _md_url(o.url) else ""
            out.append(f"- **{o.kind}** — {_md(o.license)} (from "
                       f"{', '.join(_md(n) for n in o.nodes)}): {_md(o.text)}{link}")
    else:
        out.append("- None found: no license in the lineage is known to impose obligations.")
    out += ["", "### Licenses in the lineage", "",
            "| Component | Kind | License | Family | Source |", "|---|---|---|---|---|"]
    for n in review.licenses:
        lic = n.license or ("unresolved: " + n.unresolved if n.unresolved else "none")
        out.append(f"| {_md(n.name)} | {n.kind} | {_md(lic)} | {_md(n.family or '')} | "
                   f"{_md(n.source)} |")
    return "\n".join(out) + "\n"


# -- table ---------------------------------------------------------------------------------------
def _plain(text: object) -> Text:
    return Text(printable(text))


_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
#: Below this many columns the findings table stacks kind, path and finding in one column and
#: the licenses table folds the kind into the component, so ids keep room to stay whole.
NARROW_TABLE = 100


def _finding_body(f: ReviewFinding) -> Text:
    body = Text.assemble(_plain(f.message), "\n", ("→ ", "bold"), _plain(f.remediation))
    for e in f.evidence:
        body.append("\n  ")
        body.append(printable(e), style="dim")
    return body


def _findings_table(review: Review, narrow: bool) -> Table:
    t = Table(box=box.SIMPLE_HEAD, show_lines=narrow, expand=True)
    columns = ("Severity", "Finding / what to do") if narrow else (
        "Severity", "Kind", "Path", "Finding / what to do")
    for col in columns:
        t.add_column(col, overflow="fold", ratio={"Path": 2, "Finding / what to do": 3}.get(col))
    for f in review.findings:
        sev = Text(f.severity + (" (waived)" if f.waived else ""),
                   style=_SEVERITY_STYLE[f.severity])
        path = _plain(" > ".join(f.path))
        kinds = "\n".join((f.kind, *f.also))  # one cause, every rule it breaks
        if narrow:
            head = Text.assemble((kinds, "bold"), "\n", path, "\n")
            t.add_row(sev, Breakable(head + _finding_body(f)))
        else:
            t.add_row(sev, Breakable(kinds), Breakable(path), Breakable(_finding_body(f)))
    return t


def _licenses_table(review: Review, narrow: bool) -> Table:
    lt = Table(box=box.SIMPLE_HEAD, title="Licenses in the lineage", expand=True)
    columns = ("Component", "License", "Family", "Source") if narrow else (
        "Component", "Kind", "License", "Family", "Source")
    for col in columns:
        lt.add_column(col, overflow="fold")
    for n in review.licenses:
        lic = n.license or ("unresolved: " + n.unresolved if n.unresolved else "none")
        name = _plain(n.name)
        if narrow and n.kind != "model":
            name.append(f"\n({n.kind})", style="dim")
        cells: list[Any] = [Breakable(name), Breakable(_plain(lic)), _plain(n.family or ""),
                            n.source]
        if not narrow:
            cells.insert(1, n.kind)
        lt.add_row(*cells)
    return lt


def _table(review: Review, *, color: bool, width: int) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False,
                      emoji=False)
    narrow = width < NARROW_TABLE
    console.print(Breakable(Text.assemble(("License review: ", "bold"), _plain(review.target),
                                          f"  ({counts_line(review.counts)})")))
    if review.policy:
        console.print(Breakable(Text.assemble("Policy: ", _plain(review.policy))))
    if review.findings:
        console.print(_findings_table(review, narrow))
    else:
        console.print("No findings.")
    console.print(Text("Inherited obligations", style="bold"))
    if review.obligations:
        grid = Table.grid()
        grid.add_column(width=4)
        grid.add_column()
        for o in review.obligations:
            grid.add_row("  -", Breakable(Text.assemble(
                f"{o.kind} ", (o.license, "bold"), " (", _plain(", ".join(o.nodes)), "): ",
                _plain(o.text))))
        console.print(grid)
    else:
        console.print("  - None found: no license in the lineage is known to impose "
                      "obligations.")
    console.print(_licenses_table(review, narrow))
    return buf.getvalue()
