"""Issue 14: a signer was asked for and the signature is by another signer or method.

That is ``invalid`` with a reason starting ``signer mismatch:`` (never ``unverified-signer``,
which means nothing was given to check the signer against), and a ``signer-mismatch`` finding.
"""

from __future__ import annotations

from pathlib import Path

from model_signing import signing
from test_signatures_certificate import _pki

from lineage.annotate.signatures import SignatureOptions, check_node_signature
from lineage.graph import ModelNode

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ROOT / "fixtures" / "signing" / "public.pem"


def _cert_signed(tmp_path: Path) -> ModelNode:
    key_pem, leaf_pem, ca_pem = _pki(tmp_path / "pki", "Release CA")
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.safetensors").write_bytes(b"w" * 1000)
    signing.Config().use_certificate_signer(
        private_key=key_pem, signing_certificate=leaf_pem, certificate_chain=[ca_pem]
    ).sign(model, model / "model.sig")
    return ModelNode(key="local:model", name="model", local_dir=model)


def test_certificate_signature_checked_against_a_keyless_identity_is_a_mismatch(
        tmp_path: Path) -> None:
    node = _cert_signed(tmp_path)
    info = check_node_signature(node, None, SignatureOptions(
        identity="release@acme.example", oidc_issuer="https://accounts.google.com",
        offline=True))
    assert info.status == "invalid"
    reason = info.reason or ""
    assert reason.startswith("signer mismatch: signed by ")
    assert "model-release-bot" in reason and "with a certificate" in reason
    assert "expected keyless signer release@acme.example (issuer " \
           "https://accounts.google.com)" in reason
    assert [f.kind for f in node.findings] == ["signer-mismatch"]


def test_certificate_signature_checked_against_a_public_key_is_a_mismatch(
        tmp_path: Path) -> None:
    node = _cert_signed(tmp_path)
    info = check_node_signature(node, None, SignatureOptions(public_key=PUBLIC, offline=True))
    assert info.status == "invalid"
    assert "expected the public key public.pem" in (info.reason or "")


def test_without_a_signer_the_same_signature_stays_unverified_signer(tmp_path: Path) -> None:
    node = _cert_signed(tmp_path)
    info = check_node_signature(node, None, SignatureOptions(offline=True))
    assert info.status == "unverified-signer"
    assert node.findings == []
