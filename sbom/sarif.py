"""The one SARIF 2.1.0 builder: ``mlbom check``, ``mlbom licenses`` and ``mlbom scan`` each say
what their rules and results are; the log, the run, the tool entry, a result's fields and the
severity words are written here once, so the three stay one dialect for code scanning.

What callers may rely on: key order is fixed (the golden SARIF files are byte-compared), every
message goes through ``lineage.text_safety.printable``, and a waived result carries an
external suppression with its justification.
"""

from __future__ import annotations

from typing import Any

from lineage import __version__  # the one version every document names
from lineage.text_safety import printable

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note", "note": "note"}


def sarif_level(severity: str) -> str:
    """SARIF's word for one of mlbom's severities (``info`` is ``note``)."""
    return _LEVELS.get(severity, "warning")


def sarif_result(*, rule_id: str, rule_index: int, severity: str, text: str,
                 locations: list[dict[str, Any]], fingerprint: tuple[str, str],
                 properties: dict[str, Any], waived: str | None = None) -> dict[str, Any]:
    """One result; ``fingerprint`` is ``(name, value)`` for ``partialFingerprints``."""
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": sarif_level(severity),
        "message": {"text": printable(text)},
        "locations": locations,
        "partialFingerprints": {fingerprint[0]: fingerprint[1]},
        "properties": properties,
    }
    if waived:
        result["suppressions"] = [{"kind": "external", "justification": waived}]
    return result


def sarif_log(*, run_id: str, rules: list[dict[str, Any]], results: list[dict[str, Any]],
              properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """A SARIF log of one mlbom run (``automationDetails.id`` is ``run_id``)."""
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "mlbom", "version": __version__,
                            "informationUri": "https://pypi.org/project/mlbom/",
                            "rules": rules}},
        "automationDetails": {"id": run_id},
        "results": results,
    }
    if properties is not None:
        run["properties"] = properties
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
