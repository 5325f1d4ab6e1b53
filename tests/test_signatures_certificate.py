"""Certificate-chain mode: a CA and a code-signing leaf made in the test, signed for real."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from model_signing import signing

from lineage.annotate.signatures import SignatureOptions, check_node_signature
from lineage.graph import ModelNode


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _pki(folder: Path, ca_name: str) -> tuple[Path, Path, Path]:
    """A CA and a code-signing leaf it issued: (leaf key, leaf cert, CA cert) PEM files."""
    folder.mkdir()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    leaf = _cert("model-release-bot", leaf_key, ca_name, ca_key, ca=False)
    key_pem = folder / "leaf.key"
    key_pem.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key_pem, _pem(leaf, folder / "leaf.pem"), _pem(ca, folder / "ca.pem")


def test_certificate_signature_verified_against_the_chain(tmp_path: Path) -> None:
    key_pem, leaf_pem, ca_pem = _pki(tmp_path / "pki", "Release CA")
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.safetensors").write_bytes(b"w" * 1000)
    signing.Config().use_certificate_signer(
        private_key=key_pem, signing_certificate=leaf_pem, certificate_chain=[ca_pem]
    ).sign(model, model / "model.sig")
    node = ModelNode(key="local:model", name="model", local_dir=model)

    info = check_node_signature(node, None, SignatureOptions(certificate_chain=(ca_pem,)))
    assert info.status == "verified", info.reason
    assert info.method == "certificate"
    assert "model-release-bot" in (info.signer or "")

    unanchored = check_node_signature(node, None, SignatureOptions())
    assert unanchored.status == "unverified-signer"
    assert "--certificate-chain" in (unanchored.reason or "")

    _, _, stranger_ca = _pki(tmp_path / "stranger", "Stranger CA")
    wrong = check_node_signature(node, None, SignatureOptions(certificate_chain=(stranger_ca,)))
    assert wrong.status == "invalid"
