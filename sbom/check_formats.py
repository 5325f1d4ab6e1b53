"""Output formats of ``mlbom check``: table, json (``mlbom-check/1``), markdown and sarif.

``json`` (schema: ``sbom/data/check.schema.json``)::

    {"format": "mlbom-check/1", "target": {"name", "key"}, "policy": path | null,
     "advisories": n, "summary": {"error", "warning", "info", "waived"},
     "findings": [{"kind", "ruleId", "severity", "path": [names], "node": "<bom-ref>",
                   "message", "evidence": [...], "remediation", "also": [kinds],
                   "location": {"uri", "line"}, "fingerprint", "waived": str | null}]}

``sarif`` is SARIF 2.1.0 as GitHub code scanning reads it: one rule per kind (id, name, short
and full description, help text and markdown, default level), one result per finding with a
physical location and ``partialFingerprints`` (stable across runs and commits, so a finding is
not reported as new on every run); waived findings carry an external suppression.

Where a finding points (``locate``):

- a BOM read back (``mlbom check BOM.json``): the BOM file, at the line of the node's
  ``bom-ref``;
- a local folder target: the file in the folder that declared the first edge of the path
  (``README.md`` at its ``base_model`` line, ``adapter_config.json``, ``config.json``'s
  ``auto_map``...), or, for a finding on the target itself, the file it names;
- a Hub target: the file's Hub URL at the pinned commit (absolute; code scanning shows such
  results without a source view: check a BOM or a folder that is in the repository instead).

Paths under the current folder are written relative to it (code scanning resolves them
against the repository root); others as ``file://`` URIs.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lineage.errors import InputError
from lineage.graph import LineageGraph
from lineage.ids import HUB_URL as HUB  # only when a node has no Hub URL of its own
from lineage.text_safety import json_document, markdown_text, printable
from sbom.check import CheckFinding, CheckReport
from sbom.finding_kinds import ALL_KINDS, counts_line, kind_info, rule_name
from sbom.review import ReviewFinding
from sbom.review_formats import findings_markdown
from sbom.sarif import sarif_level, sarif_log, sarif_result

FORMATS = ("table", "json", "markdown", "sarif")
CHECK_FORMAT = "mlbom-check/1"

_MAX_TEXT = 1024 * 1024
#: GitHub code scanning takes at most 25,000 results per run; findings are sorted most severe
#: first, so the ones left out are the least severe, and ``omittedResults`` counts them.
MAX_SARIF_RESULTS = 25_000


# -- locations -----------------------------------------------------------------------------
def _uri(path: Path) -> str:
    absolute = path.resolve()
    try:
        rel = absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute.as_uri()
    return quote(rel.as_posix(), safe="/")


def _lines(path: str) -> tuple[str, ...]:
    """The text lines of a file (at most 1 MiB; none for a binary file), read once per
    version of the file."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return _read_lines(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _read_lines(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_TEXT)
    except OSError:
        return ()
    if b"\x00" in data[:4096]:
        return ()
    return tuple(data.decode("utf-8", "replace").splitlines())


def _line_of(path: Path, field: str, value: str) -> int:
    """The 1-based line that most likely declared ``field=value`` (1 when not found)."""
    lines = _lines(str(path))
    key = re.split(r"[.\[]", field.split(".")[-1])[0] if field else ""
    best = 0
    for i, line in enumerate(lines, 1):
        has_value = bool(value) and value in line
        has_key = bool(key) and key in line
        if has_value and has_key:
            return i
        if has_value and not best:
            best = i
    if best:
        return best
    for i, line in enumerate(lines, 1):
        if key and re.match(rf"\s*-?\s*\"?{re.escape(key)}\"?\s*[:=]", line):
            return i
    return 1


def _bom_line(path: str, key: str) -> int:
    needle = f'"bom-ref": {json.dumps(key, ensure_ascii=False)}'
    for i, line in enumerate(_lines(path), 1):
        if needle in line:
            return i
    return 1


def _evidence_parts(text: str) -> tuple[str, str, str] | None:
    """``name: file:field=value`` → (file, field, value)."""
    _, sep, rest = text.partition(": ")
    if not sep:
        return None
    where, _, rest = rest.partition(":")
    field, eq, value = rest.partition("=")
    if not eq:
        return None
    return where, field, value


def locate(graph: LineageGraph, report: CheckReport, f: CheckFinding) -> dict[str, Any]:
    """``{"uri", "line"}`` for ``f`` (see the module docstring)."""
    if report.read_from:
        return {"uri": _uri(Path(report.read_from)), "line": _bom_line(report.read_from, f.node)}
    if report.local_dir is not None:
        return _locate_local(report.local_dir, graph, f)
    from lineage.ids import node_hub_url as hub_url  # the one place Hub URLs are built

    node = graph.node(f.node)
    owner, file = node, f.file or "README.md"
    if (node.unresolved or not node.repo_id) and len(f.keys) > 1:
        owner = graph.node(f.keys[-2])  # the model whose metadata declared it
        file = _declaring_file(f, graph) or "README.md"
    url = hub_url(owner) or f"{HUB}/{owner.name}"
    return {"uri": f"{url}/blob/{owner.sha or 'main'}/{quote(file)}", "line": 1}


def _declaring_file(f: CheckFinding, graph: LineageGraph) -> str | None:
    child, parent = f.keys[-2], f.keys[-1]
    for ev in graph.edge(child, parent).evidence:
        if ev.file:
            return ev.file
    return None


def _locate_local(root: Path, graph: LineageGraph, f: CheckFinding) -> dict[str, Any]:
    if len(f.keys) > 1:  # the edge the folder declares, towards the finding's node
        for ev in graph.edge(f.keys[0], f.keys[1]).evidence:
            if ev.file and (root / ev.file).is_file():
                path = root / ev.file
                return {"uri": _uri(path), "line": _line_of(path, ev.field, ev.value)}
        return {"uri": _uri(root / "README.md"), "line": 1}
    if f.file and (root / f.file).is_file():
        path = root / f.file
        field, value = "", ""
        for e in f.evidence:
            parts = _evidence_parts(e)
            if parts and parts[0] == f.file:
                field, value = parts[1], parts[2]
                break
        return {"uri": _uri(path), "line": _line_of(path, field, value)}
    for e in f.evidence:
        parts = _evidence_parts(e)
        if parts and (root / parts[0]).is_file():
            path = root / parts[0]
            return {"uri": _uri(path), "line": _line_of(path, parts[1], parts[2])}
    return {"uri": _uri(root / "README.md"), "line": 1}


def review_locator(graph: LineageGraph) -> Callable[[ReviewFinding], dict[str, Any]]:
    """Physical locations for ``mlbom licenses --format sarif``, by the same rules as
    ``mlbom check``'s."""
    report = CheckReport(graph.target.name, graph.target.key, (),
                         read_from=graph.meta.get("read_from"),
                         local_dir=graph.target.local_dir)

    def locate_review(f: ReviewFinding) -> dict[str, Any]:
        keys = tuple(graph.path_to(f.node))
        return locate(graph, report, CheckFinding(
            f.kind, f.severity, f.path, keys, f.node, f.message, f.evidence, f.remediation))

    return locate_review


# -- documents -------------------------------------------------------------------------------
def render_check(report: CheckReport, graph: LineageGraph, fmt: str, *, color: bool = False,
                 width: int = 120) -> str:
    if fmt == "json":
        return json_document(check_to_dict(report, graph))
    if fmt == "sarif":
        return json_document(check_to_sarif(report, graph))
    if fmt == "markdown":
        return _markdown(report)
    if fmt == "table":
        return _table(report, color=color, width=width)
    raise InputError(f"unknown check format {fmt!r} (expected {', '.join(FORMATS)})")


def check_to_dict(report: CheckReport, graph: LineageGraph) -> dict[str, Any]:
    return {
        "format": CHECK_FORMAT,
        "target": {"name": report.target, "key": report.target_key},
        "policy": report.policy,
        "advisories": report.advisories,
        "summary": {k: report.counts.get(k, 0) for k in ("error", "warning", "info", "waived")},
        "findings": [
            {"kind": f.kind, "ruleId": f.rule_id, "severity": f.severity, "path": list(f.path),
             "node": f.node, "message": f.message, "evidence": list(f.evidence),
             "remediation": f.remediation, "also": list(f.also),
             "location": locate(graph, report, f), "fingerprint": f.fingerprint,
             "waived": f.waived}
            for f in report.findings
        ],
    }


def _rule(kind: str) -> dict[str, Any]:
    k = kind_info(kind)
    level = sarif_level(k.severity)
    return {
        "id": k.rule_id,
        "name": rule_name(kind),
        "shortDescription": {"text": k.description},
        "fullDescription": {"text": f"mlbom check: {kind}. {k.description}"},
        "help": {"text": f"{k.description} What to do: {k.remediation}",
                 "markdown": f"**{kind}** ({k.family}): {k.description}\n\n"
                             f"What to do: {k.remediation}"},
        "defaultConfiguration": {"level": level},
        "properties": {"kind": kind, "tags": ["ml-supply-chain", k.family]},
    }


def check_to_sarif(report: CheckReport, graph: LineageGraph) -> dict[str, Any]:
    kinds = list(ALL_KINDS) + sorted({f.kind for f in report.findings} - set(ALL_KINDS))
    results = []
    for f in report.findings[:MAX_SARIF_RESULTS]:
        loc = locate(graph, report, f)
        also = f" Also breaks: {', '.join(f.also)}." if f.also else ""
        results.append(sarif_result(
            rule_id=f.rule_id, rule_index=kinds.index(f.kind), severity=f.severity,
            text=f"{f.message}.{also} What to do: {f.remediation}",
            locations=[{
                "physicalLocation": {"artifactLocation": {"uri": loc["uri"]},
                                     "region": {"startLine": loc["line"]}},
                "logicalLocations": [{"name": f.path[-1],
                                      "fullyQualifiedName": " > ".join(f.path),
                                      "kind": "module"}],
            }],
            fingerprint=("mlbomFinding/v1", f.fingerprint),
            properties={"kind": f.kind, "severity": f.severity, "path": list(f.path),
                        "node": f.node, "evidence": list(f.evidence), "also": list(f.also)},
            waived=f.waived))
    return sarif_log(
        run_id=f"mlbom-check/{report.target}", rules=[_rule(k) for k in kinds], results=results,
        properties={"target": report.target, "policy": report.policy,
                    "advisories": report.advisories,
                    "omittedResults": max(len(report.findings) - MAX_SARIF_RESULTS, 0)})


# -- for people ------------------------------------------------------------------------------
def summary_line(report: CheckReport) -> str:
    return counts_line(report.counts)




def _markdown(report: CheckReport) -> str:
    return "\n".join(findings_markdown(f"mlbom check: {markdown_text(report.target)}",
                                       report.policy, report.counts, report.findings))


def _table(report: CheckReport, *, color: bool, width: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False, emoji=False)
    style = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    console.print(Text.assemble(("Check: ", "bold"), Text(printable(report.target)),
                                f"  ({summary_line(report)})"))
    if report.policy:
        console.print(Text("Policy: " + printable(report.policy)))
    if not report.findings:
        console.print("No findings.")
        return buf.getvalue()
    if width < 100:
        return _blocks(report, console, buf, style)
    t = Table(box=box.SIMPLE_HEAD, expand=True)
    for col in ("Severity", "Kind", "Path", "Finding / what to do"):
        t.add_column(col, overflow="fold")
    for f in report.findings:
        sev = f.severity + (" (waived)" if f.waived else "")
        body = Text.assemble(printable(f.message), "\n", ("→ ", "bold"),
                             printable(f.remediation))
        for e in f.evidence[:6]:
            body.append("\n  " + printable(e), style="dim")
        t.add_row(Text(sev, style=style[f.severity]), "\n".join((f.kind, *f.also)),
                  Text(" >\n".join(printable(p) for p in f.path)), body)
    console.print(t)
    return buf.getvalue()


def _path_lines(parts: tuple[str, ...], width: int) -> list[str]:
    """``a > b > c`` broken only between ids, each line at most ``width`` when ids allow."""
    lines: list[str] = []
    line = ""
    for i, part in enumerate(printable(p) for p in parts):
        piece = part if i == 0 else f" > {part}"
        if line and len(line) + len(piece) > width:
            lines.append(line + " >")
            line = part
        else:
            line += piece
    return lines + [line]


def _blocks(report: CheckReport, console: Any, buf: io.StringIO, style: dict[str, str]) -> str:
    """Narrow terminals: one block per finding; a path wraps only between ids."""
    from rich.padding import Padding
    from rich.text import Text

    width = console.width
    for f in report.findings:
        sev = f.severity + (" (waived)" if f.waived else "")
        console.print(Text.assemble((sev, style[f.severity]), "  ",
                                    (", ".join((f.kind, *f.also)), "bold"), f"  {f.rule_id}"))
        for line in _path_lines(f.path, width - 2):
            console.print(Padding(Text(line, overflow="fold"), (0, 0, 0, 2)))
        console.print(Padding(Text(printable(f.message)), (0, 0, 0, 2)))
        console.print(Padding(Text.assemble(("→ ", "bold"), printable(f.remediation)),
                              (0, 0, 0, 2)))
        for e in f.evidence[:6]:
            console.print(Padding(Text(printable(e), style="dim", overflow="fold"),
                                  (0, 0, 0, 4)))
        console.print()
    return buf.getvalue()


__all__ = ["CHECK_FORMAT", "FORMATS", "check_to_dict", "check_to_sarif", "locate",
           "render_check", "summary_line"]

