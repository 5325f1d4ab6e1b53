"""The signed repos of the bundled snapshot, as a user meets them: ``mlbom generate`` writes the
signature status into the BOM, from the offline mirror and through the real Hub client against
the fake Hub, without any weight file being requested."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import HUB_SNAPSHOT, REPO_ROOT
from fakehub import FakeHub
from model_signing import verifying

from sbom.cli import main

SIGNING = REPO_ROOT / "fixtures" / "signing"
PUBLIC_KEY = SIGNING / "public.pem"
SIGNED = "acme/Sentinel-1B-signed"
TAMPERED = "contoso/Sentinel-1B-tampered"
WEIGHTS = "model.safetensors"


def _generate(tmp_path: Path, target: str, *source: str, key: bool = True) -> dict[str, Any]:
    out = tmp_path / "bom.cdx.json"
    args = ["generate", target, *source, "-q", "-o", str(out)]
    if key:
        args += ["--public-key", str(PUBLIC_KEY)]
    assert main(args) == 0
    doc: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return doc


def _mirror(tmp_path: Path, target: str, *, key: bool = True) -> dict[str, Any]:
    return _generate(tmp_path, target, "--hub-mirror", str(HUB_SNAPSHOT), key=key)


def _props(component: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p["name"] == name]


def _prop(component: dict[str, Any], name: str) -> str | None:
    values = _props(component, name)
    assert len(values) <= 1, values
    return values[0] if values else None


def _signature_refs(component: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in component.get("externalReferences", []) if r["type"] == "digital-signature"]


def _stored_sha(repo_id: str) -> str:
    info = json.loads((HUB_SNAPSHOT / "models" / repo_id.replace("/", "--") / "info.json")
                      .read_text("utf-8"))
    return str(info["sha"])


def test_committed_signature_is_a_real_model_signing_signature() -> None:
    # model-signing's own verifier, not ours: the fixture is what the tool would produce
    verifier = verifying.Config()  # type: ignore[no-untyped-call]
    verifier.use_elliptic_key_verifier(public_key=PUBLIC_KEY).verify(
        SIGNING / "model", SIGNING / "model.sig")


def test_signed_model_is_verified_with_the_publishers_key(tmp_path: Path) -> None:
    target = _mirror(tmp_path, SIGNED)["metadata"]["component"]

    assert target["name"] == SIGNED
    assert _prop(target, "mlbom:signature:status") == "verified"
    assert _prop(target, "mlbom:signature:method") == "key"
    assert _prop(target, "mlbom:signature:signer") == (
        "sha256:" + hashlib.sha256(PUBLIC_KEY.read_bytes()).hexdigest())
    assert _prop(target, "mlbom:signature:file") == "model.sig"
    refs = _signature_refs(target)
    assert [r["url"] for r in refs] == [
        f"https://huggingface.co/{SIGNED}/blob/{_stored_sha(SIGNED)}/model.sig"]
    assert refs[0]["comment"] == "status: verified"
    assert not [f for f in _props(target, "mlbom:finding") if "signature" in f]


def test_without_the_key_the_signature_is_present_but_not_verified(tmp_path: Path) -> None:
    # model-signing >= 1.1 bundles carry only the key's fingerprint: nothing to check it with
    target = _mirror(tmp_path, SIGNED, key=False)["metadata"]["component"]

    assert _prop(target, "mlbom:signature:status") == "not-verified"
    assert "--public-key" in (_prop(target, "mlbom:signature:reason") or "")
    assert _prop(target, "mlbom:signature:signer") == (
        "sha256:" + hashlib.sha256(PUBLIC_KEY.read_bytes()).hexdigest())
    assert [r["comment"] for r in _signature_refs(target)] == ["status: not-verified"]
    assert not [f for f in _props(target, "mlbom:finding") if "signature" in f]


@pytest.mark.parametrize("key", [True, False], ids=["with-key", "without-key"])
def test_tampered_weights_make_the_signature_invalid(tmp_path: Path, key: bool) -> None:
    target = _mirror(tmp_path, TAMPERED, key=key)["metadata"]["component"]

    assert _prop(target, "mlbom:signature:status") == "invalid"
    reason = _prop(target, "mlbom:signature:reason") or ""
    assert WEIGHTS in reason
    assert "README.md" not in reason and "config.json" not in reason
    findings = [f for f in _props(target, "mlbom:finding") if f.startswith("invalid-signature")]
    assert len(findings) == 1 and WEIGHTS in findings[0]
    assert [r["comment"] for r in _signature_refs(target)] == ["status: invalid"]


@pytest.mark.parametrize(("repo_id", "status"), [(SIGNED, "verified"), (TAMPERED, "invalid")])
def test_through_the_hub_client_no_weight_file_is_requested(
    fake_hub: FakeHub, tmp_path: Path, repo_id: str, status: str
) -> None:
    fake_hub.reset_counts()
    doc = _generate(tmp_path, repo_id, "--endpoint", fake_hub.endpoint, "--no-cache")

    target = doc["metadata"]["component"]
    assert target["version"] == _stored_sha(repo_id)
    assert _prop(target, "mlbom:signature:status") == status
    mine = [r for r in fake_hub.requests if (r.repo_id or "").lower() == repo_id.lower()]
    files = [r.path for r in mine if r.kind == "file"]
    assert any(p.endswith("/model.sig") for p in files)
    assert not [r.path for r in fake_hub.requests if WEIGHTS in r.path]
