"""Conformance over tests/corpus: real published cards with answers written from reading them.

Each folder holds the files exactly as published, ``SOURCE.json`` (where each file came from:
repository, path and commit, or the public-code index id when the index named no repository)
and ``EXPECTED.json``, written by reading the metadata with the Hub's documented semantics and
mergekit's, never from mlbom's output:

- ``parents``: the target's direct lineage parents, each with ``name`` (repo id or the raw
  value), ``relation``, an optional ``revision`` (pinned by the metadata) and, for a local
  path, ``unresolved: local-path`` and that path's own ``parents`` when the card shows the
  recipe that made it (an intermediate merge);
- ``datasets`` (training) and ``eval_datasets`` (``model-index``: evaluation only);
- ``problems``: words the target's problem lines must contain.

A case mlbom still gets wrong is listed in ``KNOWN_GAPS`` with the reason (strict xfail: the
test fails once the gap closes, so the list stays true).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage.graph import LineageGraph, Node
from lineage.pipeline import RunOptions, build_graph
from sbom.cyclonedx import graph_to_cyclonedx_json

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "EXPECTED.json").is_file())

KNOWN_GAPS: dict[str, str] = {
    "multi-valkyrie-nested-fence": "Slerp 2 names its input only as 'previous/model/path'; "
    "nothing in Slerp 1 names that output, so the path stays a local parent without parents "
    "(Slerp 1 is reported on a problem line)",
}


def _expected(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name / "EXPECTED.json").read_text())  # type: ignore[no-any-return]


def _graph(name: str) -> LineageGraph:
    return build_graph(CORPUS / name, RunOptions(offline=True))


def _lineage(graph: LineageGraph, node: Node) -> list[dict[str, Any]]:
    """The node's lineage parents in the EXPECTED.json shape, nested under local paths."""
    out = []
    for parent, edge in graph.parents(node.key, lineage_only=True):
        entry: dict[str, Any] = {"name": parent.name, "relation": edge.relation.value,
                                 "revision": parent.revision}
        if parent.unresolved == "local-path":
            entry["unresolved"] = "local-path"
            entry["parents"] = _lineage(graph, parent)
        out.append(entry)
    return sorted(out, key=_order)


def _normalised(parents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in parents:
        entry = {"name": p["name"], "relation": p["relation"], "revision": p.get("revision")}
        if p.get("unresolved") == "local-path":
            entry["unresolved"] = "local-path"
            entry["parents"] = _normalised(p.get("parents", []))
        out.append(entry)
    return sorted(out, key=_order)


def _order(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["name"].lower(), entry["revision"] or ""


@pytest.mark.parametrize("name", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[c]))
    if c in KNOWN_GAPS else c for c in CASES])
def test_real_case_parents_datasets_and_problems(name: str) -> None:
    want = _expected(name)
    graph = _graph(name)
    target = graph.target
    assert _lineage(graph, target) == _normalised(want["parents"])
    assert sorted(d.name for d in graph.datasets()) == sorted(want["datasets"])
    assert sorted(target.eval_datasets) == sorted(want["eval_datasets"])
    for words in want.get("problems", []):
        assert any(words in line for line in target.problems), (words, target.problems)


@pytest.mark.parametrize("name", CASES)
def test_real_case_records_where_it_came_from(name: str) -> None:
    source = json.loads((CORPUS / name / "SOURCE.json").read_text())
    for entry in source["files"]:
        assert (CORPUS / name / entry["file"]).is_file()
        assert (entry["repository"] and entry["path"] and entry["commit"]) or \
            entry.get("code_index_id")


@pytest.mark.parametrize("name", CASES)
def test_real_case_gives_a_schema_valid_bom(name: str) -> None:
    bom = json.loads(graph_to_cyclonedx_json(_graph(name), reproducible=True))
    assert bom["bomFormat"] == "CycloneDX"
