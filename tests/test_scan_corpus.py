"""mlbom scan on real repositories: recall and precision of model references (issue 16).

``tests/scan_corpus/*/tree`` are files copied from public repositories at a recorded commit;
``expected.json`` beside each was written by reading the code. A reference is compared as
``(file, kind, id)`` for model, adapter, dataset and code references; ``unknown`` references
(values mlbom cannot decide without running the code) are reported, not scored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.scan import scan_tree

CORPUS = Path(__file__).resolve().parent / "scan_corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.json").is_file())
SCORED = ("model", "adapter", "dataset", "code")


def _found(case: Path) -> set[tuple[str, str, str]]:
    result = scan_tree(case / "tree")
    return {(r.file, r.kind, r.id) for r in result.references if r.kind in SCORED}


def _expected(case: Path) -> set[tuple[str, str, str]]:
    doc = json.loads((case / "expected.json").read_text())
    return {(r["file"], r["kind"], r["id"]) for r in doc["references"]}


def test_the_corpus_has_ten_real_repositories_with_sources() -> None:
    assert len(CASES) >= 10
    for case in CASES:
        doc = json.loads((case / "expected.json").read_text())
        assert doc["repository"].count("/") == 1 and len(doc["commit"]) == 40
        listed = sorted(str(p.relative_to(case / "tree")) for p in (case / "tree").rglob("*")
                        if p.is_file())
        assert listed == doc["files"], f"{case.name}: files and expected.json disagree"


def test_recall_and_precision_over_the_whole_corpus() -> None:
    true_pos = false_neg = false_pos = 0
    report = []
    for case in CASES:
        found, expected = _found(case), _expected(case)
        true_pos += len(found & expected)
        for miss in sorted(expected - found):
            report.append(f"missed  {case.name}: {miss}")
        for extra in sorted(found - expected):
            report.append(f"extra   {case.name}: {extra}")
        false_neg += len(expected - found)
        false_pos += len(found - expected)
    recall = true_pos / (true_pos + false_neg)
    precision = true_pos / (true_pos + false_pos)
    print(f"\nscan corpus: {len(CASES)} repositories, {true_pos + false_neg} expected "
          f"references, recall {recall:.3f}, precision {precision:.3f}")
    print("\n".join(report))
    assert recall >= 0.95 and precision >= 0.95, "\n".join(report)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_repository_is_scanned_without_a_crash(case: Path) -> None:
    result = scan_tree(case / "tree")
    assert result.files_seen == len(json.loads((case / "expected.json").read_text())["files"])
