"""mlbom reads its own SPDX back: ``view``, ``licenses`` and ``inventory add`` give the same
answers for the SPDX 2.3 and SPDX 3 documents of a lineage as for its CycloneDX BOM.

The inputs are the documents ``mlbom generate`` wrote for every fixture model (the snapshots
of ``test_golden_fixtures.py``), run through the CLI. What SPDX cannot carry is named where it
is compared: SPDX records a signature's status (and, as a finding, why it is invalid) but not
its signer or method, SPDX 2.3 has no
model task, SPDX 3 has no license comment (the declared value), and SPDX keeps an evidence's
text but not which parser wrote it (the order of two evidences of one edge may differ).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sbom.cli import main

GOLDEN = Path(__file__).parent / "golden"
SNAPSHOTS = GOLDEN / "fixtures"
SPDX = ("spdx.json", "spdx3.json")


def _cyclonedx(stem: str) -> Path:
    older = GOLDEN / f"{stem}.cdx.json"
    return older if older.is_file() else SNAPSHOTS / f"{stem}.cdx.json"


STEMS = sorted(p.name[: -len(".spdx.json")] for p in SNAPSHOTS.glob("*.spdx.json")
               if not p.read_text().startswith("exit "))


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(args)
    return code, capsys.readouterr().out


@pytest.mark.parametrize("ext", SPDX)
@pytest.mark.parametrize("stem", STEMS)
def test_view_draws_the_same_lineage_from_spdx(stem: str, ext: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("tree", "mermaid", "dot"):
        code_a, want = cli(["view", str(_cyclonedx(stem)), "--format", fmt], capsys)
        code_b, got = cli(["view", str(SNAPSHOTS / f"{stem}.{ext}"), "--format", fmt], capsys)
        assert code_a == code_b == 0
        assert got == want, f"{fmt} differs"


def _html_nodes(text: str) -> list[dict[str, object]]:
    data = json.loads(text.split('<script id="mlbom-data" type="application/json">', 1)[1]
                      .split("</script>", 1)[0])
    keep = ("key", "name", "kind", "sha", "unresolved", "relation", "license",
            "license_family", "signature_class", "datasets", "code", "is_target", "layer")
    nodes = []
    for n in data["nodes"]:
        rec = {k: n.get(k) for k in keep}
        rec["parents"] = sorted(  # evidence rows {source, file, field, value}, as file:field=value
            (p["key"], p["relation"], tuple(sorted(
                f"{e['file'] or e['source']}:{e['field']}={e['value']}" for e in p["evidence"])))
            for p in n["parents"])
        rec["files"] = [(f["name"], f["sha256"], f["unsafe"]) for f in n["files"]]
        rec["flags"] = n["flags"]
        nodes.append(rec)
    return nodes


@pytest.mark.parametrize("ext", SPDX)
@pytest.mark.parametrize("stem", STEMS)
def test_view_html_shows_the_same_nodes_from_spdx(stem: str, ext: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _, want = cli(["view", str(_cyclonedx(stem)), "--format", "html"], capsys)
    _, got = cli(["view", str(SNAPSHOTS / f"{stem}.{ext}"), "--format", "html"], capsys)
    assert _html_nodes(got) == _html_nodes(want)


def _review_answers(doc: dict[str, object], *, declared: bool) -> dict[str, object]:
    out = dict(doc)
    if not declared:  # SPDX 3 has no license comment: the declared value is not recorded
        out["licenses"] = [{k: v for k, v in lic.items() if k != "declared"}
                           for lic in doc["licenses"]]  # type: ignore[attr-defined]
        out["findings"] = [{**f, "evidence": [re.sub(r"bom:licenses=.*", "bom:licenses=",
                                                     e) for e in f["evidence"]]}
                           for f in doc["findings"]]  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize("ext", SPDX)
@pytest.mark.parametrize("stem", STEMS)
def test_licenses_gives_the_same_review_from_spdx(stem: str, ext: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code_a, want = cli(["licenses", str(_cyclonedx(stem)), "--format", "json"], capsys)
    code_b, got = cli(["licenses", str(SNAPSHOTS / f"{stem}.{ext}"), "--format", "json"],
                      capsys)
    assert code_a == code_b  # the gate decides the same way
    if ext == "spdx.json":
        assert got == want
    else:
        assert _review_answers(json.loads(got), declared=False) == \
            _review_answers(json.loads(want), declared=False)
    _, sarif_a = cli(["licenses", str(_cyclonedx(stem)), "--format", "sarif"], capsys)
    _, sarif_b = cli(["licenses", str(SNAPSHOTS / f"{stem}.{ext}"), "--format", "sarif"], capsys)
    results = [[(r["ruleId"], r["level"], r["message"]["text"])
                for r in json.loads(s)["runs"][0]["results"]] for s in (sarif_a, sarif_b)]
    assert results[0] == results[1]


@pytest.mark.parametrize("ext", SPDX)
def test_inventory_add_stores_and_answers_the_same_from_spdx(
        ext: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stems = ["acme--Atlas-Merge-7B", "acme--llama31-support-lora", "contoso--tiny-local-ft"]
    answers = []
    for kind, files in (("cdx", [_cyclonedx(s) for s in stems]),
                        (ext, [SNAPSHOTS / f"{s}.{ext}" for s in stems])):
        db = f"sqlite:///{tmp_path / (kind + '.db')}"
        stored = []
        for i, f in enumerate(files):
            capsys.readouterr()
            assert main(["inventory", "add", str(f), "--product", f"p{i}", "--db", db]) == 0
            stored.append(capsys.readouterr().err)
        hits = []
        for query in (["mistralai/Mistral-7B-v0.3"], ["--dataset", "contoso/orca-style-chat"],
                      ["meta-llama/Llama-3.1-8B"]):
            code, out = cli(["affected", *query, "--db", db, "--format", "json"], capsys)
            assert code == 0
            hits.append([{**hit, "paths": [{k: v for k, v in path.items() if k != "bom"}
                                           for path in hit["paths"]]}  # the file name differs
                         for hit in json.loads(out)["affected"]])
        answers.append((stored, hits))
    assert answers[0] == answers[1]
    assert any(answers[0][1]), "the queries must hit something to compare"


def test_a_document_that_is_neither_cyclonedx_nor_spdx_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"spdxVersion": "SPDX-2.2", "packages": []}))
    assert main(["view", str(bad)]) == 2
    assert "nor an SPDX 2.3 or SPDX 3.0" in capsys.readouterr().err


def test_an_spdx_relationship_to_an_unknown_package_is_an_input_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads((SNAPSHOTS / "acme--llama31-support-lora.spdx.json").read_text())
    doc["relationships"].append({"spdxElementId": "SPDXRef-nowhere", "relationshipType":
                                 "DESCENDANT_OF", "relatedSpdxElement": "SPDXRef-DOCUMENT"})
    bad = tmp_path / "x.spdx.json"
    bad.write_text(json.dumps(doc))
    assert main(["licenses", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown package" in err and len(err.strip().splitlines()) == 1


def _mutations(doc: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in ``doc`` (a path of keys and indexes), to swap for a hostile value."""
    out: list[tuple[object, ...]] = [path] if path else []
    if isinstance(doc, dict):
        for k, v in list(doc.items())[:12]:
            out += _mutations(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _mutations(v, (*path, i))
    return out


def _swapped(doc: object, path: tuple[object, ...], value: object) -> object:
    copy = json.loads(json.dumps(doc))
    node = copy
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    node[path[-1]] = value  # type: ignore[index]
    return copy


@pytest.mark.parametrize("ext", SPDX)
def test_a_malformed_spdx_document_is_an_input_error_never_a_crash(ext: str) -> None:
    from lineage.errors import InputError
    from sbom.bom_reader import read_bom_document

    doc = json.loads((SNAPSHOTS / f"contoso--gemma-2-2b-lora-support.{ext}").read_text())
    tried = 0
    for path in _mutations(doc):
        for value in (None, 7, [[]], {"x": []}, ["a", {"b": 1}]):
            tried += 1
            try:
                read_bom_document(_swapped(doc, path, value), "x")
            except InputError as exc:
                assert "\n" not in str(exc)
    assert tried > 100  # the test reached the document's fields
