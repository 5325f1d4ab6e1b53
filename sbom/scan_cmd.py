"""``mlbom scan``, ``mlbom generate --scan`` and ``mlbom merge``: from a source tree to a
product BOM, and from a product BOM into the application SBOM the product already ships.

The scan itself is ``lineage.scan`` (static: nothing found is run or imported). Here are its
outputs (table, ``mlbom-scan/1`` JSON, SARIF), the product BOM (``metadata.component`` is the
product, type application, depending on every model it loads, each with its whole lineage
below it) and the merge into a foreign CycloneDX SBOM.

Unpinned references are findings (``unpinned-reference``, warning): the model can change
under the product without a code change; the fix is ``revision=<sha>``. A reference that
cannot be decided statically is ``unresolved-reference`` (note): mlbom says what it could not
check rather than guess.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lineage.errors import InputError, MlbomError, ValidationFailure
from lineage.ids import hub_url, node_key
from lineage.refs import ModelRef
from sbom.cli_options import (
    OutOpt,
    emit,
    run_options,
)

if TYPE_CHECKING:
    from lineage.pipeline import RunOptions
    from lineage.scan import Reference, ScanResult

SCAN_FORMATS = ("table", "json", "sarif")
RULES = {
    "unpinned-reference": (
        "warning", "A model, adapter or dataset is loaded by name without a commit sha: it "
        "can change under the product without a code change.",
        "Pass revision=<full commit sha> (or --revision) where it is loaded."),
    "unresolved-reference": (
        "note", "A value reaches a model loader but cannot be decided without running the "
        "code (an f-string, a parameter, a variable set elsewhere).",
        "Make the model id a literal or a module constant so it can be reviewed and pinned."),
}



def _printable(text: str) -> str:
    """``lineage.text_safety.printable``, imported when first used (start-up stays light)."""
    from lineage.text_safety import printable

    return printable(text)


def _json_document(value: Any) -> str:
    """``lineage.text_safety.json_document``, imported when first used (start-up stays light)."""
    from lineage.text_safety import json_document

    return json_document(value)

def _findings(result: ScanResult) -> list[tuple[str, Reference]]:
    out = []
    for ref in result.references:
        if ref.kind == "unknown":
            out.append(("unresolved-reference", ref))
        elif not ref.pinned:
            out.append(("unpinned-reference", ref))
    return out


def finding_message(rule: str, ref: Reference) -> str:
    if rule == "unresolved-reference":
        return f"{ref.file}:{ref.line}: model argument {ref.id} cannot be decided statically"
    what = f"{ref.id}@{ref.revision}" if ref.revision else ref.id
    return (f"{ref.file}:{ref.line}: {ref.kind} {what} is not pinned to a commit sha; "
            "pass revision=<sha>")


# -- outputs of `mlbom scan` ------------------------------------------------------------------
def render_scan(result: ScanResult, fmt: str, *, width: int = 100) -> str:
    if fmt == "json":
        return _json_document(result.as_json())
    if fmt == "sarif":
        return _json_document(scan_to_sarif(result))
    return _table(result, width)


def _table(result: ScanResult, width: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, width=width, no_color=True, highlight=False, emoji=False)
    t = Table(box=box.SIMPLE_HEAD, expand=False)
    for col in ("Kind", "Reference", "Where", "Pinned", "Found by"):
        # ids and paths are never broken mid-word; the evidence column gives way first
        t.add_column(col, overflow="fold", no_wrap=col in ("Reference", "Where"))
    for ref in result.references:
        pinned = "yes" if ref.pinned else ("branch " + ref.revision if ref.revision else "no")
        t.add_row(ref.kind, Text(_printable(ref.id)), Text(_printable(f"{ref.file}:{ref.line}")),
                  pinned, Text(_printable(ref.evidence)))
    console.print(t)
    counts = {k: sum(1 for r in result.references if r.kind == k)
              for k in ("model", "adapter", "dataset", "code", "unknown")}
    unpinned = sum(1 for r in result.references if r.kind != "unknown" and not r.pinned)
    console.print(", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no references",
                  f"({unpinned} unpinned) in {result.files_read} files read of "
                  f"{result.files_seen}")
    for p in result.problems:
        console.print(Text(_printable(f"not fully read: {p}")))
    return buf.getvalue()


def scan_to_sarif(result: ScanResult) -> dict[str, Any]:
    from sbom.finding_kinds import rule_name
    from sbom.sarif import sarif_level, sarif_log, sarif_result

    rule_ids = list(RULES)
    results = []
    for rule, ref in _findings(result):
        level, _, fix = RULES[rule]
        fingerprint = hashlib.sha256("\x1f".join(
            (rule, ref.file, ref.id, ref.kind, ref.evidence)).encode()).hexdigest()[:32]
        results.append(sarif_result(
            rule_id=f"mlbom/{rule}", rule_index=rule_ids.index(rule), severity=level,
            text=f"{finding_message(rule, ref)}. {fix}",
            locations=[{"physicalLocation": {
                "artifactLocation": {"uri": ref.file, "uriBaseId": "SRCROOT"},
                "region": {"startLine": ref.line},
            }}],
            fingerprint=("mlbomScan/v1", fingerprint),
            properties={"id": ref.id, "kind": ref.kind, "evidence": ref.evidence}))
    rules = [{"id": f"mlbom/{r}", "name": rule_name(r),
              "shortDescription": {"text": RULES[r][1]}, "help": {"text": RULES[r][2]},
              "defaultConfiguration": {"level": sarif_level(RULES[r][0])}} for r in rule_ids]
    return sarif_log(run_id="mlbom-scan/", rules=rules, results=results)


# -- the product BOM of `mlbom generate --scan` ----------------------------------------------
def _product_skeleton(product: str, version: str | None, spec_version: str,
                      result: ScanResult, reproducible: bool) -> dict[str, Any]:
    from sbom.cyclonedx import document_time, mlbom_tool

    ref = f"product:{product}"
    component: dict[str, Any] = {"bom-ref": ref, "name": product, "type": "application"}
    if version:
        component["version"] = version
    props = [{"name": "mlbom:scan:reference",
              "value": f"{r.kind} {r.id}{'@' + r.revision if r.revision else ''} "
                       f"{r.file}:{r.line} {r.evidence}"} for r in result.references]
    props += [{"name": "mlbom:finding",
               "value": f"{rule} {RULES[rule][0]} {r.file}: {finding_message(rule, r)}"}
              for rule, r in _findings(result)]
    props += [{"name": "mlbom:scan:problem", "value": str(p)} for p in result.problems]
    if props:
        component["properties"] = props
    return {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec_version}.schema.json",
        "bomFormat": "CycloneDX", "specVersion": spec_version,
        "serialNumber": uuid.UUID(int=0).urn, "version": 1,
        "metadata": {
            "timestamp": document_time(reproducible).isoformat(), "component": component,
            "tools": {"components": [mlbom_tool()]},
        },
        "components": [], "dependencies": [{"ref": ref}],
    }


def _unresolved_component(ref: Reference, error: MlbomError) -> dict[str, Any]:
    reason = getattr(error, "reason", None) or (
        "invalid-id" if isinstance(error, InputError) else "hub-error")
    kind = "data" if ref.kind == "dataset" else "machine-learning-model"
    prefix = "dataset" if ref.kind == "dataset" else "model"
    return {"bom-ref": node_key(prefix, ref.id), "name": ref.id, "type": kind,
            "properties": [{"name": "mlbom:lineage:unresolved", "value": reason},
                           {"name": "mlbom:lineage:problem",
                            "value": " ".join(str(error).split())[:300]}]}


def _dataset_component(ref: Reference) -> dict[str, Any]:
    url = hub_url(ModelRef(ref.id), "dataset")
    return {"bom-ref": node_key("dataset", ref.id), "name": ref.id, "type": "data",
            "data": [{"type": "dataset", "name": ref.id, "contents": {"url": url}}],
            "externalReferences": [{"type": "website", "url": url}],
            "properties": [{"name": "mlbom:dataset:purpose", "value": "used-by-product"}]}


def product_bom(result: ScanResult, product: str, version: str | None, opts: RunOptions, *,
                spec_version: str = "1.6", reproducible: bool = False,
                progress: Any = None) -> tuple[str, list[str]]:
    """(validated CycloneDX JSON of the product, one line per model that did not resolve)."""
    from lineage.pipeline import build_graph, open_source
    from lineage.refs import ModelRef
    from sbom.bom_merge import merge_ml_bom
    from sbom.cyclonedx import build_document, validate_cyclonedx_document

    doc = _product_skeleton(product, version, spec_version, result, reproducible)
    under = doc["metadata"]["component"]["bom-ref"]
    targets = sorted({(r.id, r.revision, r.kind) for r in result.references
                      if r.kind in ("model", "adapter", "dataset")},
                     key=lambda t: (t[2] == "dataset", t[0].lower(), t[1] or ""))
    problems: list[str] = []
    source = open_source(opts)
    try:
        for repo_id, revision, kind in targets:
            first = next(r for r in result.references if (r.id, r.revision) ==
                         (repo_id, revision))
            if kind == "dataset":
                merge_ml_bom(doc, _as_bom(_dataset_component(first)), under=under)
                continue
            try:
                graph = build_graph(ModelRef(repo_id, revision), opts, source=source,
                                    progress=progress)
                ml = build_document(graph, spec_version, datetime.now(tz=timezone.utc))
            except MlbomError as exc:  # one bad reference never ends the product's BOM
                message = " ".join(str(exc).split())[:200]
                problems.append(message if message.startswith(repo_id) else
                                f"{repo_id}: {message}")
                ml = _as_bom(_unresolved_component(first, exc))
            merge_ml_bom(doc, ml, under=under, label=repo_id)
    finally:
        if source is not None:
            source.close()
    _finish(doc, reproducible)
    validate_cyclonedx_document(doc, spec_version)
    return _json_document(doc), problems


def _as_bom(component: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"component": component}, "components": [],
            "dependencies": [{"ref": component["bom-ref"]}]}


def _finish(doc: dict[str, Any], reproducible: bool) -> None:
    doc["components"].sort(key=lambda c: (c.get("type", ""), c.get("name", ""),
                                          c.get("version") or "\uffff", c.get("bom-ref", "")))
    if not doc["components"]:
        del doc["components"]
    for dep in doc["dependencies"]:
        if "dependsOn" in dep:
            dep["dependsOn"] = sorted(dep["dependsOn"])
    doc["dependencies"].sort(key=lambda d: d["ref"])
    from sbom.cyclonedx import document_serial

    doc["serialNumber"] = document_serial(doc, reproducible)


# -- mlbom merge ------------------------------------------------------------------------------
def merge_documents(app_path: Path, ml_paths: list[Path]) -> str:
    """The application SBOM with every ML-BOM hung under its root, validated in its version."""
    from sbom.bom_merge import bump_version, merge_ml_bom, root_ref
    from sbom.bom_reader import load_cyclonedx
    from sbom.cyclonedx import MERGE_SPEC_VERSIONS, validate_cyclonedx_document

    app, label = load_cyclonedx(app_path)
    spec = str(app.get("specVersion", ""))
    if spec not in MERGE_SPEC_VERSIONS:
        raise InputError(f"{label}: CycloneDX {spec or '(no specVersion)'} cannot hold ML "
                         f"model components; use {', '.join(MERGE_SPEC_VERSIONS)}")
    under = root_ref(app, label)
    for path in ml_paths:
        ml, ml_label = load_cyclonedx(path)
        merge_ml_bom(app, ml, under=under, label=ml_label)
    bump_version(app)
    try:
        validate_cyclonedx_document(app, spec, versions=MERGE_SPEC_VERSIONS)
    except ValidationFailure as exc:
        raise ValidationFailure(f"the merged SBOM is not valid: {exc}") from exc
    return _json_document(app)


# -- the typer commands ----------------------------------------------------------------------
def scan(
    path: Annotated[Path, typer.Argument(help="Source tree (or one file) to scan.")],
    fmt: Annotated[str, typer.Option("--format", help="table, json (mlbom-scan/1) or sarif."
                                     )] = "table",
    output: OutOpt = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", help="Glob of paths to skip (repeatable), e.g. 'tests/*'.")] = None,
) -> None:
    """Find every model, adapter, dataset and code repo a source tree loads (read, never run)."""
    from lineage.scan import scan_tree

    if fmt not in SCAN_FORMATS:
        raise InputError(f"--format must be one of {', '.join(SCAN_FORMATS)}, not {fmt!r}")
    if not str(path).strip():
        raise InputError("PATH is empty")
    result = scan_tree(path, excludes=tuple(exclude or ()))
    emit(render_scan(result, fmt), output)


def merge(
    app_sbom: Annotated[Path, typer.Argument(help="The application's CycloneDX SBOM.")],
    ml_boms: Annotated[list[Path], typer.Argument(help="ML-BOMs written by mlbom.")],
    output: OutOpt = None,
) -> None:
    """Add mlbom's models and lineage to an application SBOM (cyclonedx-py, Syft, Trivy)."""
    for p in [app_sbom, *ml_boms]:
        if not p.is_file():
            raise InputError(f"{p} is not a file")
    emit(merge_documents(app_sbom, ml_boms), output)


def generate_product(scan_path: Path, product: str, product_version: str | None,
                     output: Path | None, *, spec_version: str, reproducible: bool,
                     endpoint: str | None, token: str | None, offline: bool,
                     hub_mirror: Path | None, max_depth: int, quiet: bool,
                     no_cache: bool = False, concurrency: int | None = None,
                     deadline: float | None = None) -> None:
    """``mlbom generate --scan PATH --product NAME``: one BOM for the whole product."""
    import sys

    from lineage.scan import scan_tree

    if not product.strip():
        raise InputError("--product needs a name")
    result = scan_tree(scan_path)
    opts = run_options(endpoint, token, offline, hub_mirror, max_depth, no_cache,
                       concurrency=concurrency, deadline=deadline)
    text, problems = product_bom(result, product, product_version, opts,
                                 spec_version=spec_version, reproducible=reproducible)
    emit(text, output)
    if not quiet:
        models = {r.id.lower() for r in result.references if r.kind in ("model", "adapter")}
        unpinned = sum(1 for r in result.references if r.kind != "unknown" and not r.pinned)
        unknown = sum(1 for r in result.references if r.kind == "unknown")
        sys.stderr.write(f"{product}: {len(models)} model(s) found in {result.files_read} "
                         f"files; {unpinned} unpinned, {unknown} undecidable reference(s)\n")
        for line in problems:
            sys.stderr.write(_printable(f"unresolved {line}") + "\n")
        for p in result.problems:
            sys.stderr.write(_printable(f"not fully read: {p}") + "\n")
        where = f"written to {output}" if output else "written to stdout"
        sys.stderr.write(f"CycloneDX {spec_version} product BOM {where}\n")


# Keep typer from treating the module-level helpers as options.
__all__ = ["generate_product", "merge", "merge_documents", "product_bom", "render_scan",
           "scan", "scan_to_sarif"]
