"""``mlbom check`` as a release engineer runs it: findings, exit codes, policy, SARIF, BOMs.

Every test goes through the CLI entry point against the bundled offline Hub snapshot
(``fixtures/hub``) or a local folder written in the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sbom.cli import main

ROOT = Path(__file__).resolve().parents[1]
HUB = str(ROOT / "fixtures" / "hub")
PUBLIC = str(ROOT / "fixtures" / "signing" / "public.pem")
SARIF_SCHEMA = json.loads((ROOT / "sbom" / "data" / "sarif-2.1.0.json").read_text())


def sha(repo: str) -> str:
    info = ROOT / "fixtures" / "hub" / "models" / repo.replace("/", "--") / "info.json"
    return str(json.loads(info.read_text())["sha"])


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def kinds(doc: dict[str, Any]) -> list[str]:
    return [f["kind"] for f in doc["findings"] if f["waived"] is None]


def test_a_dangerous_pickle_fails_the_gate_and_fail_on_decides(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = check(capsys, "contoso/gpt2-pickle-ft", "--hub-mirror", HUB)
    assert code == 1
    assert "dangerous-pickle-import" in kinds(doc)
    assert "pickle-only-weights" in kinds(doc)
    pickle = next(f for f in doc["findings"] if f["kind"] == "dangerous-pickle-import")
    assert pickle["ruleId"] == "MLBOM-PICKLE-DANGEROUS"
    assert "os.system" in pickle["message"]
    assert pickle["path"] == ["contoso/gpt2-pickle-ft"]
    assert any(e.startswith("contoso/gpt2-pickle-ft: pytorch_model.bin:")
               for e in pickle["evidence"])
    assert "check contoso/gpt2-pickle-ft: 1 error(s)" in err
    assert main(["check", "contoso/gpt2-pickle-ft", "--hub-mirror", HUB,
                 "--fail-on", "never"]) == 0


def test_a_clean_lineage_passes_and_warnings_fail_only_when_asked(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, "acme/mini-sentiment", "--hub-mirror", HUB)
    assert (code, doc["findings"]) == (0, [])
    code, doc, _ = check(capsys, "acme/Phantom-7B-Chat", "--hub-mirror", HUB)
    assert code == 0
    [unknown] = doc["findings"]
    assert unknown["kind"] == "unknown-provenance"
    assert unknown["also"] == ["unresolved-ancestor"]  # one cause, one finding
    assert unknown["path"] == ["acme/Phantom-7B-Chat", "contoso/Deleted-Base-7B"]
    assert "not-found" in unknown["message"]
    assert main(["check", "acme/Phantom-7B-Chat", "--hub-mirror", HUB,
                 "--fail-on", "warning"]) == 1


def test_tampered_weights_are_an_invalid_signature(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, "contoso/Sentinel-1B-tampered", "--hub-mirror", HUB)
    assert code == 1
    [sig] = [f for f in doc["findings"] if f["kind"] == "invalid-signature"]
    assert "model.safetensors" in sig["message"]
    assert "signer-mismatch" not in kinds(doc)


def test_signed_by_another_method_is_a_signer_mismatch(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, "acme/Sentinel-1B-signed", "--hub-mirror", HUB,
                         "--cert-identity", "release@acme.example",
                         "--cert-oidc-issuer", "https://accounts.google.com")
    assert code == 1
    [mismatch] = doc["findings"]
    assert mismatch["kind"] == "signer-mismatch"
    assert "signed by the key sha256:" in mismatch["message"]
    assert "expected keyless signer release@acme.example" in mismatch["message"]
    code, doc, _ = check(capsys, "acme/Sentinel-1B-signed", "--hub-mirror", HUB,
                         "--public-key", PUBLIC)
    assert (code, doc["findings"]) == (0, [])


def test_a_public_key_that_is_not_a_key_is_its_own_finding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("hello\n")
    for target in ("acme/Sentinel-1B-signed", "acme/mini-sentiment"):  # signed and unsigned
        code, doc, _ = check(capsys, target, "--hub-mirror", HUB, "--public-key",
                             str(not_a_key))
        assert code == 1
        [bad] = [f for f in doc["findings"] if f["kind"] == "verification-material-unusable"]
        assert "key.pem is not a PEM public key" in bad["message"]
        assert "signature-unchecked" not in kinds(doc)


def test_cross_repo_remote_code_at_a_default_branch_and_the_policy_allow_list(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, "acme/atlas-base-1b", "--hub-mirror", HUB)
    assert code == 1
    [rc] = doc["findings"]
    assert rc["kind"] == "remote-code-unpinned"
    assert "acme/atlas-code" in rc["message"] and "not pinned" in rc["message"]
    policy = tmp_path / "policy.yml"
    policy.write_text("remote-code:\n  allow: [acme/atlas-*]\n")
    code, doc, _ = check(capsys, "acme/atlas-base-1b", "--hub-mirror", HUB,
                         "--policy", str(policy))
    assert (code, doc["findings"]) == (0, [])


def test_policy_signers_deny_lists_severity_and_exceptions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(f"""\
signers:
  - models: [acme/Sentinel-*]
    public-key: {PUBLIC}
  - models: [acme/mini-*]
    identity: release@acme.example
    issuer: https://accounts.google.com
deny-models: [contoso/*-NC]
severity:
  unknown-provenance: error
exceptions:
  - model: acme/Phantom-7B-Chat
    reason: base deleted, weights audited (SEC-42)
    expires: 2999-01-01
    kinds: [unknown-provenance, unresolved-ancestor]   # every rule the finding names
""")
    # the policy's key verifies Sentinel (its bundle carries only the key's fingerprint)
    code, doc, _ = check(capsys, "acme/Sentinel-1B-signed", "--hub-mirror", HUB,
                         "--policy", str(policy))
    assert code == 1
    # ... and its ancestor acme/mini-sentiment must be signed by a keyless identity
    [missing] = [f for f in doc["findings"] if f["kind"] == "signature-missing"]
    assert missing["path"] == ["acme/Sentinel-1B-signed", "acme/mini-sentiment"]
    assert "release@acme.example" in missing["message"]
    assert any(f"{policy}:4" in e for e in missing["evidence"])
    assert "signature-unchecked" not in kinds(doc)
    code, doc, _ = check(capsys, "contoso/Hybrid-NC-Merge-7B", "--hub-mirror", HUB,
                         "--policy", str(policy))
    denied = [f for f in doc["findings"] if f["kind"] == "denied-component"]
    assert [f["path"][-1] for f in denied] == ["contoso/Mistral-7B-Research-NC"]
    code, doc, _ = check(capsys, "acme/Phantom-7B-Chat", "--hub-mirror", HUB,
                         "--policy", str(policy))
    [unknown] = doc["findings"]
    assert unknown["severity"] == "error"  # the override
    assert unknown["waived"].startswith("base deleted, weights audited (SEC-42)")
    assert code == 0  # waived findings never fail the gate


def test_an_expired_exception_no_longer_waives(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("exceptions:\n  - model: contoso/gpt2-pickle-ft\n    reason: old\n"
                      "    expires: 2020-01-01\n    kinds: [dangerous-pickle-import]\n")
    code, doc, _ = check(capsys, "contoso/gpt2-pickle-ft", "--hub-mirror", HUB,
                         "--policy", str(policy))
    assert code == 1
    assert "dangerous-pickle-import" in kinds(doc)
    assert any("expired on 2020-01-01" in f["message"] for f in doc["findings"])


@pytest.mark.parametrize(("args", "code", "message"), [
    (["", "--hub-mirror", HUB], 2, "empty TARGET"),
    (["acme/x", "--offline"], 3, "cannot read a Hub model offline"),
    (["/nonexistent/bom.json"], 2, "is not a model folder"),
    (["acme/mini-sentiment", "--hub-mirror", HUB, "--policy", "/nonexistent.yml"], 2,
     "cannot read policy file"),
    (["acme/mini-sentiment", "--hub-mirror", HUB, "--cert-identity", "a@b"], 2,
     "--cert-identity and --cert-oidc-issuer go together"),
])
def test_bad_input_is_a_one_line_error_with_the_usual_exit_codes(
        args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *args]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(("text", "message"), [
    ("signers:\n  - models: [a/*]\n    identity: x@y\n", "policy.yml:2: signers[0].issuer"),
    ("signers:\n  - models: [a/*]\n    public-key: nope.pem\n",
     "policy.yml:3: signers[0].public-key: cannot read"),
    ("signers:\n  - models: [a/*]\n    public-key: policy.yml\n",
     "signers[0].public-key: "),
    ("severity:\n  remote-code: fatal\n", "policy.yml:2: severity.remote-code: must be error"),
    ("severity:\n  frobnicate: error\n", "policy.yml:2: severity.frobnicate: unknown finding"),
    ("remote-code:\n  allow: a/*\n", "policy.yml:2: remote-code.allow: must be a list"),
    ("deny-models: [a b]\n", "policy.yml:1: deny-models[0]"),
    ("signerz: []\n", "policy.yml:1: signerz: unknown key"),
])
def test_policy_errors_name_line_and_key(tmp_path: Path, text: str, message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(text)
    assert main(["check", "acme/mini-sentiment", "--hub-mirror", HUB,
                 "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def _sarif(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["check", *args, "--format", "sarif"])
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    results = doc["runs"][0]["results"]
    assert results
    for r in results:  # what GitHub code scanning needs to show a result
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1
        assert r["partialFingerprints"]["mlbomFinding/v1"]
        rule = doc["runs"][0]["tool"]["driver"]["rules"][r["ruleIndex"]]
        assert rule["id"] == r["ruleId"] and rule["help"]["text"]
    return doc


def test_sarif_for_a_bom_points_at_the_bom_line_of_the_component(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bom = tmp_path / "hybrid.cdx.json"
    assert main(["generate", "contoso/Hybrid-NC-Merge-7B", "--hub-mirror", HUB,
                 "-o", str(bom), "-q"]) == 0
    doc = _sarif(capsys, str(bom))
    lines = bom.read_text().splitlines()
    for r in doc["runs"][0]["results"]:
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "hybrid.cdx.json"
        node = r["properties"]["node"]
        assert f'"bom-ref": "{node}"' in lines[physical["region"]["startLine"] - 1]
    again = _sarif(capsys, str(bom))
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == \
        [r["partialFingerprints"] for r in doc["runs"][0]["results"]]


def test_sarif_for_a_local_folder_points_at_the_line_that_declared_the_edge(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "README.md").write_text("---\nlicense: mit\nlanguage: en\n"
                                     "base_model: contoso/gpt2-pickle-ft\n---\n# mine\n")
    (model / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    monkeypatch.chdir(tmp_path)
    doc = _sarif(capsys, "my-model", "--hub-mirror", HUB)
    results = doc["runs"][0]["results"]
    pickle = next(r for r in results if r["ruleId"] == "MLBOM-PICKLE-DANGEROUS")
    physical = pickle["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "my-model/README.md"
    assert physical["region"]["startLine"] == 4  # the base_model line
    assert pickle["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
        "my-model > contoso/gpt2-pickle-ft"


def test_a_bom_is_checked_offline_with_the_same_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    assert main(["generate", "acme/atlas-base-1b", "--hub-mirror", HUB, "-o", str(bom),
                 "-q"]) == 0
    capsys.readouterr()
    code, live, _ = check(capsys, "acme/atlas-base-1b", "--hub-mirror", HUB)
    code2, offline, _ = check(capsys, str(bom))
    assert (code, kinds(live)) == (code2, kinds(offline)) == (1, ["remote-code-unpinned"])


def test_node_findings_of_any_kind_are_reported_generically(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The verification annotator writes ``mlbom:finding lineage-inconsistent ...``; check
    reads node findings generically, also kinds it has never heard of."""
    bom = tmp_path / "bom.json"
    assert main(["generate", "acme/mini-sentiment", "--hub-mirror", HUB, "-o", str(bom),
                 "-q"]) == 0
    doc = json.loads(bom.read_text())
    props = doc["metadata"]["component"].setdefault("properties", [])
    props.append({"name": "mlbom:finding", "value": "lineage-inconsistent warning config.json: "
                  "hidden_size 768 differs from the declared base's 1024"})
    props.append({"name": "mlbom:finding", "value": "brand-new-kind error: something new"})
    bom.write_text(json.dumps(doc))
    capsys.readouterr()
    code, out, _ = check(capsys, str(bom))
    assert code == 1
    by_kind = {f["kind"]: f for f in out["findings"]}
    assert by_kind["lineage-inconsistent"]["ruleId"] == "MLBOM-LINEAGE-INCONSISTENT"
    assert by_kind["lineage-inconsistent"]["severity"] == "warning"
    assert "hidden_size 768" in by_kind["lineage-inconsistent"]["message"]
    assert by_kind["brand-new-kind"]["ruleId"] == "MLBOM-NODE-BRAND-NEW-KIND"
    sarif = _sarif(capsys, str(bom))
    rules = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert "MLBOM-NODE-BRAND-NEW-KIND" in rules


def test_the_documented_policy_example_loads(tmp_path: Path) -> None:
    """docs/policy.md's example is a valid policy (with its key file in place)."""
    import re

    from sbom.policy import load_policy

    text = (ROOT / "docs" / "policy.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert example is not None
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "partner.pem").write_bytes(Path(PUBLIC).read_bytes())
    path = tmp_path / "policy.yml"
    path.write_text(example.group(1))
    policy = load_policy(path)
    assert [r.describe() for r in policy.signers] == [
        "release@acme.example (issuer https://accounts.google.com)", "the public key partner.pem"]
    assert policy.severity == {"remote-code": "error", "unknown-provenance": "info"}
    assert policy.signer_for("ACME/thing") is policy.signers[0]


@pytest.mark.parametrize(("target", "extra", "reason", "parent"), [
    ("acme/Orion-13B-Chat", [], "gated", "fabrikam/Orion-13B"),
    ("contoso/tiny-local-ft", [], "local-path", "./checkpoints/x"),
    ("acme/Mistral-7B-Orca-Med", ["--max-depth", "1"], "depth-limit",
     "mistralai/Mistral-7B-Instruct-v0.3"),
])
def test_unresolved_parents_are_unknown_provenance(
        target: str, extra: list[str], reason: str, parent: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, target, "--hub-mirror", HUB, *extra)
    unknown = [f for f in doc["findings"] if f["kind"] == "unknown-provenance"]
    assert any(f["path"][-1] == parent and f"({reason})" in f["message"] for f in unknown), \
        [f["message"] for f in unknown]


def test_code_in_the_models_own_repo_is_remote_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = check(capsys, "contoso/phoenix-local-code-3b", "--hub-mirror", HUB)
    [rc] = [f for f in doc["findings"] if f["kind"].startswith("remote-code")]
    assert rc["kind"] == "remote-code" and rc["severity"] == "warning"
    assert "modeling_phoenix" in rc["message"]


def test_a_signer_mismatch_recorded_in_a_bom_fails_licenses_require_signature(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "sentinel.json"
    assert main(["generate", "acme/Sentinel-1B-signed", "--hub-mirror", HUB, "-q", "-o",
                 str(bom), "--cert-identity", "release@acme.example",
                 "--cert-oidc-issuer", "https://accounts.google.com"]) == 0
    props = json.loads(bom.read_text())["metadata"]["component"]["properties"]
    assert {"name": "mlbom:signature:status", "value": "invalid"} in props
    policy = tmp_path / "policy.yml"
    policy.write_text("rules:\n  require-signature: true\n")
    capsys.readouterr()
    assert main(["licenses", str(bom), "--policy", str(policy), "--format", "json"]) == 1
    review = json.loads(capsys.readouterr().out)
    [denied] = [f for f in review["findings"] if f["kind"] == "policy-denied"]
    assert "signer mismatch: signed by the key sha256:" in denied["message"]
    code, doc, _ = check(capsys, str(bom))
    assert code == 1 and "signer-mismatch" in kinds(doc)


def test_a_local_pickle_is_located_at_its_file(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    src = ROOT / "fixtures" / "hub" / "models" / "contoso--gpt2-pickle-ft" / "files"
    model = tmp_path / "release"
    model.mkdir()
    (model / "README.md").write_text("---\nlicense: mit\n---\n# mine\n")
    shutil.copy(next(src.rglob("pytorch_model.bin")), model / "pytorch_model.bin")
    monkeypatch.chdir(tmp_path)
    doc = _sarif(capsys, "release", "--offline")
    pickle = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "MLBOM-PICKLE-DANGEROUS"]
    assert pickle and "os.system" in pickle[0]["message"]["text"]
    uri = pickle[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "release/pytorch_model.bin"


def test_the_readme_lists_every_security_kind_with_its_default() -> None:
    from sbom.finding_kinds import SECURITY_KINDS

    readme = (ROOT / "README.md").read_text()
    for kind, info in SECURITY_KINDS.items():
        severity = "as recorded" if info.severity == "varies" else info.severity
        assert f"| `{kind}` | {severity} | `{info.rule_id}` |" in readme, kind


@pytest.mark.parametrize("columns", [80, 120])
def test_the_table_reads_whole_at_80_and_120_columns(
        columns: int, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["check", "contoso/Hybrid-NC-Merge-7B", "--hub-mirror", HUB]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert lines[0].startswith("Check: contoso/Hybrid-NC-Merge-7B  (2 error(s)")
    if columns == 80:  # ids are never split across lines
        assert any("contoso/Hybrid-NC-Merge-7B > contoso/Mistral-7B-Research-NC" in line
                   for line in lines)
    assert "noncommercial-ancestor" in out and "noncommercial-dataset" in out


def test_markdown_escapes_card_text_and_names_every_rule(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "contoso/Hybrid-NC-Merge-7B", "--hub-mirror", HUB,
                 "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## mlbom check: contoso/Hybrid-NC-Merge-7B")
    assert "| error | license-drift, noncommercial-ancestor |" in out


def test_json_validates_against_the_documented_schema(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads((ROOT / "sbom" / "data" / "check.schema.json").read_text())
    for target in ("contoso/Hybrid-NC-Merge-7B", "acme/Atlas-Merge-7B", "acme/mini-sentiment"):
        _, doc, _ = check(capsys, target, "--hub-mirror", HUB, "--advisories",
                          str(ROOT / "fixtures" / "advisories"))
        jsonschema.Draft202012Validator(schema).validate(doc)
        assert doc["summary"]["error"] == sum(
            1 for f in doc["findings"] if f["severity"] == "error" and f["waived"] is None)


def test_generate_records_a_public_key_that_is_not_a_key_and_check_fails_on_the_bom(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("hello\n")
    bom = tmp_path / "bom.json"
    assert main(["generate", "acme/mini-sentiment", "--hub-mirror", HUB, "-o", str(bom),
                 "--public-key", str(not_a_key)]) == 0  # generate is not a gate ...
    err = capsys.readouterr().err
    assert "verification-material-unusable" in err  # ... but says it, in the summary
    code, doc, _ = check(capsys, str(bom))
    assert code == 1 and kinds(doc) == ["verification-material-unusable"]


def test_licenses_sarif_has_physical_locations_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bom = tmp_path / "hybrid.cdx.json"
    assert main(["generate", "contoso/Hybrid-NC-Merge-7B", "--hub-mirror", HUB,
                 "-o", str(bom), "-q"]) == 0
    assert main(["licenses", str(bom), "--format", "sarif"]) == 1
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    results = doc["runs"][0]["results"]
    assert results
    for r in results:
        physical = r["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "hybrid.cdx.json"
        assert physical["region"]["startLine"] > 1


def test_a_product_bom_fails_on_unpinned_references_and_checks_every_model_it_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16: unpinned references are findings the gate can fail on; the product BOM of
    ``generate --scan`` is checked as a whole, each path starting at the product."""
    product = tmp_path / "product.cdx.json"
    assert main(["generate", "--scan", str(ROOT / "tests" / "scan_fixtures" / "support-bot"),
                 "--product", "support-bot", "--hub-mirror", HUB, "-o", str(product),
                 "-q"]) == 0
    capsys.readouterr()
    code, doc, _ = check(capsys, str(product), "--fail-on", "warning")
    assert code == 1
    unpinned = [f for f in doc["findings"] if f["kind"] == "unpinned-reference"]
    assert unpinned and all(f["path"] == ["support-bot"] for f in unpinned)
    assert any("app/models.py:8: model acme/Atlas-Merge-7B is not pinned" in f["message"]
               for f in unpinned)
    assert all(f["severity"] == "warning" for f in unpinned)
    rc = [f for f in doc["findings"] if f["kind"] == "remote-code-unpinned"]
    assert rc and rc[0]["path"] == ["support-bot", "acme/atlas-base-1b"]
    review = [f for f in doc["findings"] if f["kind"] == "restriction-passthrough"]
    assert review and all(f["path"][0] == "support-bot" for f in review)
    assert "missing-license" not in kinds(doc)  # the product is not a model to license
    policy = tmp_path / "policy.yml"
    policy.write_text("severity:\n  unpinned-reference: error\n")
    code, doc, _ = check(capsys, str(product), "--policy", str(policy))
    assert code == 1
    assert {f["severity"] for f in doc["findings"] if f["kind"] == "unpinned-reference"} == \
        {"error"}


def test_a_bundle_that_cannot_be_read_is_an_unchecked_signature_never_silent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "release"
    model.mkdir()
    (model / "README.md").write_text("---\nlicense: mit\n---\n")
    (model / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    (model / "model.sig").write_text("this is not a sigstore bundle")
    code, doc, _ = check(capsys, str(model), "--offline", "--fail-on", "warning")
    assert code == 1
    [unchecked] = [f for f in doc["findings"] if f["kind"] == "signature-unchecked"]
    assert "not a JSON Sigstore bundle" in unchecked["message"]
    assert unchecked["location"]["uri"].endswith("release/model.sig")


def test_sarif_for_a_hub_target_points_at_the_declaring_file_on_the_hub(
        capsys: pytest.CaptureFixture[str]) -> None:
    doc = _sarif(capsys, "acme/Phantom-7B-Chat", "--hub-mirror", HUB)
    [result] = doc["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == ("https://huggingface.co/acme/Phantom-7B-Chat/blob/"
                   f"{sha('acme/Phantom-7B-Chat')}/README.md")


def _bom_with_signature(tmp_path: Path, props: dict[str, str]) -> Path:
    bom = tmp_path / "bom.json"
    assert main(["generate", "acme/mini-sentiment", "--hub-mirror", HUB, "-o", str(bom),
                 "-q"]) == 0
    doc = json.loads(bom.read_text())
    comp = doc["metadata"]["component"]
    comp["properties"] = [p for p in comp["properties"]
                          if not p["name"].startswith("mlbom:signature:")]
    comp["properties"] += [{"name": f"mlbom:signature:{k}", "value": v} for k, v in props.items()]
    bom.write_text(json.dumps(doc))
    return bom


@pytest.mark.parametrize(("issuer", "expected"), [
    ("https://accounts.google.com", []),
    ("https://token.actions.githubusercontent.com", ["signer-mismatch"]),
])
def test_a_bom_is_held_to_the_policy_signer_by_what_it_recorded(
        tmp_path: Path, issuer: str, expected: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Offline, the recorded keyless signer (checked against the Sigstore root when the BOM
    was written) is compared with the policy's identity and issuer."""
    bom = _bom_with_signature(tmp_path, {
        "status": "unverified-signer", "method": "sigstore", "file": "model.sig",
        "signer": "release@acme.example", "issuer": issuer})
    policy = tmp_path / "policy.yml"
    policy.write_text("signers:\n  - models: [acme/*]\n    identity: release@acme.example\n"
                      "    issuer: https://accounts.google.com\n")
    capsys.readouterr()
    code, doc, _ = check(capsys, str(bom), "--policy", str(policy))
    assert kinds(doc) == expected
    assert code == (1 if expected else 0)
    if expected:
        assert "signed by release@acme.example (sigstore)" in doc["findings"][0]["message"]


def test_a_key_signed_bom_is_held_to_the_policy_key(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from lineage.annotate.signatures import key_fingerprint_of_file

    fingerprint = key_fingerprint_of_file(Path(PUBLIC))
    assert fingerprint is not None
    bom = _bom_with_signature(tmp_path, {"status": "verified", "method": "key",
                                         "file": "model.sig", "signer": fingerprint})
    policy = tmp_path / "policy.yml"
    policy.write_text(f"signers:\n  - models: [acme/*]\n    public-key: {PUBLIC}\n")
    capsys.readouterr()
    code, doc, _ = check(capsys, str(bom), "--policy", str(policy))
    assert (code, kinds(doc)) == (0, [])
    other = _bom_with_signature(tmp_path, {"status": "verified", "method": "key",
                                           "file": "model.sig", "signer": "sha256:" + "0" * 64})
    code, doc, _ = check(capsys, str(other), "--policy", str(policy))
    assert (code, kinds(doc)) == (1, ["signer-mismatch"])


def test_check_through_the_hub_client_against_the_fake_hub(
        fake_hub: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The real huggingface_hub client: the Hub's scan verdict and the signature are read
    from the (fake) Hub, weights are never downloaded."""
    fake_hub.reset_counts()  # the shared Hub's log holds earlier tests' requests
    code, doc, _ = check(capsys, "contoso/gpt2-pickle-ft", "--endpoint", fake_hub.endpoint,
                         "--no-cache")
    assert code == 1 and "dangerous-pickle-import" in kinds(doc)
    code, doc, _ = check(capsys, "contoso/Sentinel-1B-tampered", "--endpoint",
                         fake_hub.endpoint, "--no-cache", "--public-key", PUBLIC)
    assert code == 1 and kinds(doc) == ["invalid-signature"]
    assert "model.safetensors" in doc["findings"][0]["message"]
    requested = " ".join(r.path for r in fake_hub.requests)
    assert "model.sig" in requested
    assert "model.safetensors" not in requested and "pytorch_model.bin" not in requested


@pytest.mark.parametrize(("module", "expected"), [
    ("acme/atlas-code--modeling_atlas.AtlasModel", "remote-code-unpinned"),
    (f"acme/atlas-code@{'b' * 40}--modeling_atlas.AtlasModel", "remote-code"),
])
def test_cross_repo_code_is_pinned_only_by_a_commit_in_the_reference(
        tmp_path: Path, module: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    assert main(["generate", "acme/atlas-base-1b", "--hub-mirror", HUB, "-o", str(bom),
                 "-q"]) == 0
    doc = json.loads(bom.read_text())
    comp = doc["metadata"]["component"]
    comp["properties"] = [p for p in comp["properties"] if not (
        p["name"] == "mlbom:remote-code:module" and "--" in p["value"])]
    comp["properties"].append({"name": "mlbom:remote-code:module", "value": module})
    bom.write_text(json.dumps(doc))
    capsys.readouterr()
    _, out, _ = check(capsys, str(bom))
    assert [f["kind"] for f in out["findings"] if f["kind"].startswith("remote-code")] == \
        [expected]


@pytest.mark.parametrize("status", [None, {"scansDone": False, "filesWithIssues": []}])
def test_pickles_nobody_scanned_are_said_never_a_quiet_all_clear(
        tmp_path: Path, status: dict[str, Any] | None,
        capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    mirror = tmp_path / "hub"
    shutil.copytree(ROOT / "fixtures" / "hub", mirror)
    info_path = mirror / "models" / "contoso--gpt2-pickle-ft" / "info.json"
    info = json.loads(info_path.read_text())
    info.pop("securityRepoStatus", None)
    if status is not None:
        info["securityRepoStatus"] = status
    info_path.write_text(json.dumps(info))
    code, doc, _ = check(capsys, "contoso/gpt2-pickle-ft", "--hub-mirror", str(mirror),
                         "--fail-on", "warning")
    assert code == 1
    [unscanned] = [f for f in doc["findings"] if f["kind"] == "pickle-unscanned"]
    assert "pytorch_model.bin" in unscanned["message"]
    assert ("not done" if status else "no scan status") in unscanned["message"]
    assert "dangerous-pickle-import" not in kinds(doc)  # nobody looked: no verdict either way
    # the scanned fixture has no such finding
    code, doc, _ = check(capsys, "contoso/gpt2-pickle-ft", "--hub-mirror", HUB)
    assert "pickle-unscanned" not in kinds(doc)


def test_licenses_honours_the_policys_severity_overrides_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("severity:\n  license-drift: warning\n  noncommercial-ancestor: warning\n"
                      "  noncommercial-dataset: info\n")  # the merged finding takes the worse
    args = ["licenses", "contoso/Hybrid-NC-Merge-7B", "--hub-mirror", HUB]
    assert main(args) == 1
    assert main([*args, "--policy", str(policy), "--format", "json"]) == 0
    capsys.readouterr()
    main([*args, "--policy", str(policy), "--format", "json"])
    review = json.loads(capsys.readouterr().out)
    assert {(f["kind"], f["severity"]) for f in review["findings"]} == {
        ("license-drift", "warning"), ("noncommercial-dataset", "info")}
