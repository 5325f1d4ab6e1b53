"""The three ways a model-signing bundle is signed, each checked over its DSSE payload.

- *keyless* (Fulcio certificate + Rekor entry): sigstore's verifier against the trusted root,
  then ``identity`` / ``oidc_issuer`` matched against the certificate;
- *key* (``verificationMaterial.publicKey``): ECDSA over the DSSE PAE with ``public_key``;
- *certificate* (``x509CertificateChain``): model-signing's chain verifier with
  ``certificate_chain`` as trust anchors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from pathlib import Path
from typing import Any

from lineage.annotate.signatures._bundle import envelope, parse_bundle, pb_compatible
from lineage.annotate.signatures._manifest import typed_payload
from lineage.annotate.signatures._options import (
    MAX_BUNDLE_BYTES,
    OID_ISSUER_V1,
    OID_ISSUER_V2,
    Checked,
    SignatureOptions,
)
from lineage.annotate.signatures._trust import TrustCache
from lineage.capped_read import CappedReadError, read_capped


def _ecdsa_ok(key: Any, signature: bytes, payload: bytes) -> bool:
    """model-signing's DSSE check: ECDSA over the PAE, with its v0.2 compatibility PAE."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from model_signing._signing import sign_ec_key, sign_sigstore_pb

    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError(f"unsupported key type {type(key).__name__}")
    try:
        ecdsa = ec.ECDSA(sign_ec_key.get_ec_key_hash(key))
        key.verify(signature, sign_sigstore_pb.pae(payload), ecdsa)
        return True
    except InvalidSignature:
        pass
    for algo in (sign_ec_key.get_ec_key_hash(key), hashes.SHA256()):
        try:
            key.verify(signature, sign_sigstore_pb.pae_compat(payload), ec.ECDSA(algo))
            return True
        except InvalidSignature:
            continue
    return False


def key_fingerprint(key: Any) -> str:
    """``sha256:<hex>`` of the key's PEM SubjectPublicKeyInfo: model-signing's key ``hint``."""
    from cryptography.hazmat.primitives import serialization

    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(pem).hexdigest()


def load_public_key_file(path: Path) -> tuple[Any, str | None]:
    """``(key, None)`` for a PEM public key file, else ``(None, why)``; never raises."""
    from cryptography.hazmat.primitives import serialization

    try:
        data = read_capped(path, MAX_BUNDLE_BYTES)
    except CappedReadError as exc:
        return None, exc.choose(unreadable=f"cannot read {path}: {exc.detail}",
                                too_large=f"{path.name} is larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        return serialization.load_pem_public_key(data), None
    except (ValueError, TypeError):
        return None, f"{path.name} is not a PEM public key"
    except Exception as exc:  # noqa: BLE001 - unsupported key types and odd encodings
        return None, f"{path.name} is not a usable public key ({type(exc).__name__})"


def key_fingerprint_of_file(path: Path) -> str | None:
    """``sha256:<hex>`` of the PEM public key in ``path``, or ``None`` if it holds none."""
    key, _ = load_public_key_file(path)
    return key_fingerprint(key) if key is not None else None


def _check_key(bundle: dict[str, Any], options: SignatureOptions) -> Checked:
    from cryptography.hazmat.primitives import serialization

    payload_type, payload, signature = envelope(bundle)
    material = bundle["verificationMaterial"]["publicKey"] or {}
    hint = material.get("hint")
    embedded = material.get("rawBytes")
    if options.public_key is not None:
        key, problem = load_public_key_file(options.public_key)
        if key is None:
            return Checked("unsupported", "key", reason=f"cannot load the public key: {problem}")
        fingerprint = key_fingerprint(key)
        if hint and f"sha256:{hint}" != fingerprint:
            return Checked(
                "invalid", "key", signer=f"sha256:{hint}",
                reason=f"signer mismatch: signed by the key sha256:{hint}, expected the public "
                f"key given ({fingerprint})",
            )
        if embedded:
            other = key_fingerprint(serialization.load_pem_public_key(base64.b64decode(embedded)))
            if other != fingerprint:
                return Checked(
                    "invalid", "key", signer=other,
                    reason=f"signer mismatch: signed by the key {other}, expected the public "
                    f"key given ({fingerprint})",
                )
        if not _ecdsa_ok(key, signature, payload):
            return Checked(
                "invalid", "key", signer=fingerprint,
                reason="the signature does not verify with the public key given",
            )
        return Checked("valid", "key", fingerprint, None, True,
                       typed_payload(payload_type, payload))
    if embedded:
        key = serialization.load_pem_public_key(base64.b64decode(embedded))
        fingerprint = key_fingerprint(key)
        if not _ecdsa_ok(key, signature, payload):
            return Checked(
                "invalid", "key", signer=fingerprint,
                reason="the signature does not verify with the key embedded in the bundle",
            )
        return Checked(
            "valid", "key", fingerprint, None, False, typed_payload(payload_type, payload),
            reason="checked only with the public key embedded in the bundle (anyone can embed "
            "a key); pass --public-key to check the signer",
        )
    return Checked(
        "unchecked", "key", signer=f"sha256:{hint}" if hint else None,
        payload=typed_payload(payload_type, payload),
        reason="key-based signature and no --public-key given; the bundle carries only the "
        "key's fingerprint, so the signature could not be checked",
    )


def _check_certificate(bundle: dict[str, Any], options: SignatureOptions) -> Checked:
    from cryptography import x509

    payload_type, payload, signature = envelope(bundle)
    chain = bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0]["rawBytes"]))
    signer = _cert_identity(leaf) or leaf.subject.rfc4514_string()
    issuer = leaf.issuer.rfc4514_string()
    if options.certificate_chain:
        from model_signing._signing import sign_certificate, sign_sigstore_pb
        from sigstore_models.bundle import v1 as bundle_pb

        try:
            verifier = sign_certificate.Verifier(list(options.certificate_chain))
            parsed = bundle_pb.Bundle.from_dict(pb_compatible(bundle))
            verifier._verify_signed_content(sign_sigstore_pb.Signature(parsed))
        except (OSError, ValueError) as exc:
            return Checked("unsupported", "certificate", signer, issuer,
                            reason=f"cannot load the certificate chain: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - pyOpenSSL / cryptography verification errors
            return Checked(
                "invalid", "certificate", signer, issuer,
                reason=f"certificate chain or signature check failed: {exc}"[:300],
            )
        return Checked("valid", "certificate", signer, issuer, True,
                       typed_payload(payload_type, payload))
    if not _ecdsa_ok(leaf.public_key(), signature, payload):
        return Checked("invalid", "certificate", signer, issuer,
                        reason="the signature does not verify with the signing certificate's key")
    return Checked(
        "valid", "certificate", signer, issuer, False, typed_payload(payload_type, payload),
        reason="signature checked with the bundled signing certificate; its chain was not "
        "checked (pass --certificate-chain)",
    )


def _check_keyless(raw: bytes, options: SignatureOptions, trust: TrustCache) -> Checked:
    from sigstore.errors import Error as SigstoreError
    from sigstore.errors import VerificationError
    from sigstore.models import Bundle
    from sigstore.verify import Verifier, policy

    try:
        bundle = Bundle.from_json(raw)
    except Exception as exc:  # noqa: BLE001 - any parse failure means an unsupported bundle
        why = f"unsupported Sigstore bundle: {exc}"[:300]
        return Checked("unsupported", "sigstore", reason=why)
    cert = bundle.signing_certificate
    signer, issuer = _cert_identity(cert), _cert_issuer(cert)
    root, label = trust.get()
    if root is None:
        return Checked("unsupported", "sigstore", signer, issuer, trust_root=label,
                        reason=f"no usable Sigstore trusted root: {label}")
    try:
        payload_type, payload = Verifier(trusted_root=root).verify_dsse(
            bundle=bundle, policy=_AnyIdentity()
        )
    except VerificationError as exc:
        return Checked("invalid", "sigstore", signer, issuer, trust_root=label,
                        reason=f"Sigstore verification failed: {exc}"[:300])
    except SigstoreError as exc:
        return Checked("unsupported", "sigstore", signer, issuer, trust_root=label,
                        reason=f"could not check the Sigstore bundle: {exc}"[:300])
    typed = typed_payload(payload_type, payload)
    if options.identity or options.oidc_issuer:
        if options.identity is None:
            wanted: Any = policy.OIDCIssuer(options.oidc_issuer or "")
        else:
            wanted = policy.Identity(identity=options.identity, issuer=options.oidc_issuer)
        try:
            wanted.verify(cert)
        except VerificationError:
            return Checked("invalid", "sigstore", signer, issuer, trust_root=label,
                            reason=f"signer mismatch: signed by {signer or 'an unknown identity'} "
                            f"(issuer {issuer or 'unknown'}) with a Sigstore certificate, "
                            f"expected {options.expected_signer()}"[:400])
        return Checked("valid", "sigstore", signer, issuer, True, typed, trust_root=label)
    return Checked(
        "valid", "sigstore", signer, issuer, False, typed, trust_root=label,
        reason="no --cert-identity / --cert-oidc-issuer given to check the signer against",
    )


class _AnyIdentity:
    """A sigstore policy that accepts every identity: the certificate chain, SCT and log
    entry are still verified; the identity is matched separately so a mismatch can be told
    apart from a broken signature. (sigstore's ``UnsafeNoOp`` logs a warning instead.)"""

    def verify(self, cert: Any) -> None:
        return None


def _cert_identity(cert: Any) -> str | None:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    values = [str(v.value) for v in san]
    return ", ".join(values) if values else None


def _cert_issuer(cert: Any) -> str | None:
    from cryptography import x509
    from cryptography.hazmat import asn1

    for oid, der in ((OID_ISSUER_V2, True), (OID_ISSUER_V1, False)):
        try:
            ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value
        except x509.ExtensionNotFound:
            continue
        value = ext.value
        try:
            return str(asn1.decode_der(str, value)) if der else value.decode()
        except Exception:  # noqa: BLE001 - a malformed extension: try the other one
            continue
    return None


_METHOD_WORDS = {"sigstore": "a Sigstore certificate (keyless)", "key": "a key",
                 "certificate": "a certificate"}


def bundle_method(material: dict[str, Any]) -> str | None:
    """How a bundle is signed, from its verification material."""
    if "publicKey" in material:
        return "key"
    if material.get("tlogEntries") or "certificate" in material:
        return "sigstore"
    if "x509CertificateChain" in material:
        return "certificate"
    return None


def _by_method(method: str | None, bundle: dict[str, Any], raw: bytes,
               options: SignatureOptions, trust: TrustCache) -> Checked:
    try:
        if method == "key":
            return _check_key(bundle, options)
        if method == "sigstore":
            return _check_keyless(raw, options, trust)
        if method == "certificate":
            return _check_certificate(bundle, options)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        return Checked("unsupported", method, reason=f"malformed bundle: {exc}"[:300])
    return Checked("unsupported", reason="unknown verification material in the bundle")


def check_bundle_signature(raw: bytes, options: SignatureOptions, trust: TrustCache) -> Checked:
    """The signature over the payload, by the bundle's method. When a signer was given and
    the bundle is signed by another method, the outcome is ``invalid`` with a reason that
    starts ``signer mismatch:`` and names who signed, how, and what was expected."""
    parsed = parse_bundle(raw)
    if isinstance(parsed, Checked):
        return parsed
    method = bundle_method(parsed["verificationMaterial"])
    expected = options.expected_methods()
    if not expected or method is None or method in expected:
        return _by_method(method, parsed, raw, options, trust)
    probe = _by_method(method, parsed, raw, SignatureOptions(
        trust_config=options.trust_config, offline=options.offline), trust)
    if probe.outcome in ("invalid", "unsupported"):
        return probe  # a broken signature stays invalid, whoever made it
    who = probe.signer or "an unknown signer"
    if method == "key" and probe.signer:
        who = f"the key {probe.signer}"
    if probe.issuer and method == "sigstore":
        who += f" (issuer {probe.issuer})"
    return Checked("invalid", method, probe.signer, probe.issuer, trust_root=probe.trust_root,
                   reason=f"signer mismatch: signed by {who} with {_METHOD_WORDS[method]}, "
                   f"expected {options.expected_signer()}"[:400])
