"""From a source tree to a product BOM, into the inventory, and into an application SBOM.

The product tree ``tests/scan_fixtures/support-bot`` (written for these tests) loads fixture
models the ways real products do; it is resolved through the real huggingface_hub client
against the loopback fake Hub. The application SBOMs in ``tests/data/app_sbom`` are real
cyclonedx-py 7.5.0 output for this project's own environment (see the README there).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sbom.cli import main
from sbom.cyclonedx import validate_cyclonedx_document

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT / "tests" / "scan_fixtures" / "support-bot"
APP_SBOMS = ROOT / "tests" / "data" / "app_sbom"
HUB = str(ROOT / "fixtures" / "hub")


def _product_bom(tmp_path: Path, *extra: str) -> dict[str, object]:
    out = tmp_path / "product.cdx.json"
    code = main(["generate", "--scan", str(PRODUCT), "--product", "support-bot",
                 "--product-version", "2.1", "-o", str(out), *extra])
    assert code == 0
    doc: dict[str, object] = json.loads(out.read_text())
    return doc


def test_generate_scan_through_the_fake_hub_writes_one_valid_product_bom(
        fake_hub: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _product_bom(tmp_path, "--endpoint", fake_hub.endpoint,  # type: ignore[attr-defined]
                       "--no-cache")
    validate_cyclonedx_document(doc, "1.6")
    root = doc["metadata"]["component"]  # type: ignore[index]
    assert (root["type"], root["name"], root["version"]) == ("application", "support-bot", "2.1")
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}  # type: ignore
    assert deps["product:support-bot"] == sorted([
        "dataset:contoso/orca-style-chat", "model:acme/atlas-base-1b",
        "model:acme/atlas-merge-7b", "model:acme/gemma-2-2b-it-gguf",
        "model:acme/gemma-2-2b-it-sql", "model:acme/llama31-support-lora",
        "model:acme/qwen-chat-q4-gguf", "model:acme/qwen2.5-7b-math-sft"])
    # each model's whole lineage is below it: the merge reaches its foundation
    assert "model:mistralai/mistral-7b-v0.3" in deps["model:mistralai/mistral-7b-instruct-v0.3"]
    names = {c["bom-ref"]: c for c in doc["components"]}  # type: ignore
    assert names["model:acme/atlas-merge-7b"]["version"] == \
        "a42b397fe110de9d94a9e6377638bc1f2643ea08"
    props = [p["value"] for p in root["properties"] if p["name"] == "mlbom:finding"]
    assert any(v.startswith("unpinned-reference warning app/models.py:") and
               "acme/llama31-support-lora" in v for v in props)
    assert any(v.startswith("unresolved-reference note app/models.py:") for v in props)
    err = capsys.readouterr().err
    assert "support-bot: 7 model(s) found in 5 files" in err


def test_a_model_that_does_not_resolve_is_recorded_not_fatal(
        fake_hub: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text(
        "from transformers import AutoModel\n"
        "AutoModel.from_pretrained('acme/gpt2-onnx')\n"
        "AutoModel.from_pretrained('acme/no-such-model')\n")
    out = tmp_path / "p.json"
    assert main(["generate", "--scan", str(tree), "--product", "p", "--endpoint",
                 fake_hub.endpoint, "--no-cache", "-o", str(out)]) == 0  # type: ignore
    doc = json.loads(out.read_text())
    comps = {c["bom-ref"]: c for c in doc["components"]}
    missing = {p["name"]: p["value"] for p in comps["model:acme/no-such-model"]["properties"]}
    assert missing["mlbom:lineage:unresolved"] == "not-found"
    assert "model:acme/gpt2-onnx" in comps
    assert "unresolved acme/no-such-model" in capsys.readouterr().err


def test_a_reference_with_an_unusable_revision_is_recorded_not_fatal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text(
        "from transformers import AutoModel\n"
        "AutoModel.from_pretrained('acme/gpt2-onnx')\n"
        "AutoModel.from_pretrained('acme/atlas-base-1b', revision='v1 (beta)')\n")
    out = tmp_path / "p.json"
    assert main(["generate", "--scan", str(tree), "--product", "p", "--hub-mirror", HUB,
                 "-o", str(out)]) == 0
    comps = {c["bom-ref"]: c for c in json.loads(out.read_text())["components"]}
    bad = {p["name"]: p["value"] for p in comps["model:acme/atlas-base-1b"]["properties"]}
    assert bad["mlbom:lineage:unresolved"] == "invalid-id"
    assert "not a valid revision" in bad["mlbom:lineage:problem"]
    assert "model:acme/gpt2-onnx" in comps


def test_product_bom_in_the_inventory_is_found_from_a_foundation_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "product.cdx.json"
    assert main(["generate", "--scan", str(PRODUCT), "--product", "support-bot",
                 "--hub-mirror", HUB, "-q", "-o", str(bom)]) == 0
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    assert main(["inventory", "add", str(bom), "--product", "support-bot", "--version", "2.1",
                 "--db", db]) == 0
    capsys.readouterr()
    assert main(["affected", "mistralai/Mistral-7B-v0.3", "--db", db, "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    hits = [a for a in answer["affected"] if a["product"] == "support-bot"]
    assert hits, answer
    paths = [" ".join(p) if isinstance(p, list) else str(p) for h in hits
             for p in h.get("paths", [])]
    assert any("acme/Atlas-Merge-7B" in p for p in paths), hits


@pytest.mark.parametrize("spec", ["1.5", "1.6"])
def test_merge_into_a_real_cyclonedx_py_sbom_keeps_its_version_and_validates(
        spec: str, tmp_path: Path) -> None:
    ml = tmp_path / "atlas.cdx.json"
    assert main(["generate", "acme/Atlas-Merge-7B", "--hub-mirror", HUB, "-q", "-o",
                 str(ml)]) == 0
    app = APP_SBOMS / f"mlbom-env.cdx-{spec}.json"
    out = tmp_path / "merged.json"
    assert main(["merge", str(app), str(ml), "-o", str(out)]) == 0
    before, merged = json.loads(app.read_text()), json.loads(out.read_text())
    validate_cyclonedx_document(merged, spec, versions=("1.5", "1.6", "1.7"))
    assert merged["specVersion"] == spec
    assert merged.get("serialNumber") == before.get("serialNumber")  # reproducible: none
    assert merged["version"] == before["version"] + 1
    root = before["metadata"]["component"]["bom-ref"]
    deps = {d["ref"]: d.get("dependsOn", []) for d in merged["dependencies"]}
    assert "model:acme/atlas-merge-7b" in deps[root]
    refs = [c["bom-ref"] for c in merged["components"]]
    assert len(refs) == len(set(refs))  # nothing duplicated
    assert set(c["bom-ref"] for c in before["components"]) <= set(refs)  # nothing lost
    ml_doc = json.loads(ml.read_text())
    assert {c["bom-ref"] for c in ml_doc["components"]} <= set(refs)
    assert any(t.get("name") == "mlbom" for t in merged["metadata"]["tools"]["components"])


def test_merging_two_ml_boms_sharing_ancestors_deduplicates_by_purl(tmp_path: Path) -> None:
    boms = []
    for target in ("acme/Atlas-Merge-7B", "acme/Mistral-7B-Orca-Med"):
        out = tmp_path / (target.split("/")[1] + ".json")
        assert main(["generate", target, "--hub-mirror", HUB, "-q", "-o", str(out)]) == 0
        boms.append(str(out))
    out = tmp_path / "merged.json"
    app = APP_SBOMS / "mlbom-env.cdx-1.6.json"
    assert main(["merge", str(app), *boms, "-o", str(out)]) == 0
    merged = json.loads(out.read_text())
    purls = [c["purl"] for c in merged["components"] if "purl" in c]
    assert len(purls) == len(set(purls))
    names = [c["name"] for c in merged["components"]]
    assert names.count("mistralai/Mistral-7B-v0.3") == 1


def test_merge_refuses_what_cannot_hold_models(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
                               "metadata": {"component": {"type": "application",
                                                          "name": "x"}}}))
    ml = tmp_path / "ml.json"
    assert main(["generate", "acme/gpt2-onnx", "--hub-mirror", HUB, "-q", "-o", str(ml)]) == 0
    assert main(["merge", str(old), str(ml)]) == 2
    assert "cannot hold ML model components" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "missing.json"), str(ml)]) == 2
    no_root = tmp_path / "noroot.json"
    no_root.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6",
                                   "version": 1}))
    assert main(["merge", str(no_root), str(ml)]) == 2
    assert "no metadata.component" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "merged.json")


def test_the_gate_fails_on_unpinned_references_in_a_product_bom(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "product.cdx.json"
    assert main(["generate", "--scan", str(PRODUCT), "--product", "support-bot",
                 "--hub-mirror", HUB, "-q", "-o", str(bom)]) == 0
    report = tmp_path / "check.json"
    assert main(["check", str(bom), "--fail-on", "warning", "--format", "json",
                 "-o", str(report)]) == 1
    findings = json.loads(report.read_text())["findings"]
    unpinned = [f for f in findings if f["kind"] == "unpinned-reference"]
    assert len(unpinned) == 9  # every reference but the pinned chat model and the unknown
    assert any("acme/llama31-support-lora" in f["message"] for f in unpinned)
    assert any(f["kind"] == "unresolved-reference" for f in findings)
    # the lineage of each model is checked too: Atlas reaches a withdrawn dataset
    assert any(f["kind"] == "unknown-provenance" for f in findings)
    capsys.readouterr()
    assert main(["view", str(bom)]) == 0
    tree = capsys.readouterr().out
    assert tree.startswith("support-bot") and "acme/Atlas-Merge-7B" in tree


def test_generate_scan_refuses_the_options_it_would_not_apply(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An advisory file or a signer given with --scan was dropped without a word, and the
    product BOM said nothing of it: now the run is refused (exit 2) naming the options."""
    adv = tmp_path / "adv.json"
    adv.write_text(json.dumps({"id": "T-1", "modified": "2026-11-30T09:00:00Z",
                               "affected": [{"package": {"name": "acme/gpt2-onnx"}}]}))
    for extra in (["--advisories", str(adv)], ["--cert-identity", "a@b.c", "--cert-oidc-issuer",
                                                "https://issuer.example"]):
        code = main(["generate", "--scan", str(PRODUCT), "--product", "p", "--hub-mirror", HUB,
                     "-o", str(tmp_path / "p.json"), *extra])
        assert code == 2
        assert f"--scan does not apply {extra[0]}" in capsys.readouterr().err
        assert not (tmp_path / "p.json").exists()
