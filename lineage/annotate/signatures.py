"""Signature annotator: OpenSSF model-signing (Sigstore bundle) status for every model node.

A model is signed when its repo (Hub siblings) or local folder holds ``model.sig`` or another
``*.sig`` Sigstore bundle (``model.sig`` wins). Checking has two halves:

1. **The signature over the DSSE payload**, with model-signing 1.1.1 / sigstore:
   - *keyless* (Fulcio certificate + Rekor entry): sigstore's verifier against a trusted root
     (``SignatureOptions.trust_config``; else, online, the TUF-refreshed production root; else
     the production ``trusted_root.json`` bundled with sigstore, which needs no network).
     ``identity`` / ``oidc_issuer`` are then matched against the certificate.
   - *key* (``verificationMaterial.publicKey``): ECDSA over the DSSE PAE with
     ``public_key``.
   - *certificate* (``x509CertificateChain``): model-signing's chain verifier with
     ``certificate_chain`` as trust anchors.
2. **The digests in the signed manifest** against the files. Hub models are never downloaded:
   each signed sha256 is compared with the Hub's LFS sha256 of that file; only small non-LFS
   files are fetched (``Source.read_file`` at ``node.sha``) and hashed. Local folders are hashed
   with ``lineage.hashing`` (both cores). Files in the repo that the manifest does not cover are
   a mismatch too (as in model-signing), except the signature files themselves, git paths and
   the manifest's own ``ignore_paths``.

Status (``SignatureInfo.status``), honest about what was checked:

- ``unsigned``: no signature file.
- ``verified``: the signature is valid, every digest matches and the signer is the identity
  (keyless), the key (key) or chains to the certificates (certificate) the user gave.
- ``unverified-signer``: the signature and every digest check out, but nothing the user gave
  applies to this signature's method, so *who* signed is not established. The signer is still
  recorded: the certificate's identity and OIDC issuer (keyless; the certificate is still
  checked against the Sigstore trusted root and the transparency log), the leaf certificate's
  subject (certificate; the chain is not checked) or ``sha256:<fingerprint>`` of the public key
  (key). For key signatures this status needs the bundle to *embed* the public key (older
  bundles carry ``publicKey.rawBytes``): the signature is checked with that embedded key, which
  proves the manifest is intact and signed by *that* key, but anyone can embed their own key,
  so the signer means nothing until the user checks the fingerprint or passes the key.
  Bundles from model-signing >= 1.1 carry only the key's fingerprint (``hint``); without
  ``public_key`` their signature cannot be checked at all, so they get ``not-verified``
  (or ``invalid`` when the unauthenticated manifest does not even match the files).
- ``invalid``: the signature does not verify, the signer differs from the one the user gave,
  or a digest / file list mismatch; ``reason`` names the file(s). A ``Finding`` is added.
- ``not-verified``: present but not checkable (legacy or unknown format, unsupported hash for
  a Hub comparison, no usable trust root); ``reason`` says why.

A bad signature is data: this module never raises for what a repo contains.

model-signing 1.1.1 pitfalls handled here: pyOpenSSL is imported by its certificate verifier
(declared in our pyproject); its guess of the hashing configuration passes ``blake2b`` and
``shard_size`` floats straight through, so the configuration is built from the signed
manifest's own ``serialization`` section (``hashing_config_from_serialization``); the signature
file is always added to the ignored paths.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lineage.errors import MlbomError
from lineage.graph import Finding, LineageGraph, ModelNode, SignatureInfo
from lineage.hashing import hash_files, list_files, safe_join
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, Source

if TYPE_CHECKING:
    from model_signing import hashing as ms_hashing
    from sigstore.models import TrustedRoot

# model-signing's certificate verifier logs through ``logging``; keep libraries quiet.
logging.getLogger("model_signing").addHandler(logging.NullHandler())

MAX_BUNDLE_BYTES = 16 * 1024 * 1024
SIGNATURE_NAME = "model.sig"
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")

_IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
_IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1"
_OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_HASH_ALIASES = {"sha256": "sha256", "blake2b": "blake2", "blake2": "blake2", "blake3": "blake3"}


@dataclass(frozen=True)
class SignatureOptions:
    """What the user gave to check signers against, and where trust comes from.

    ``identity`` + ``oidc_issuer``: keyless (``--cert-identity``, ``--cert-oidc-issuer``);
    ``public_key``: PEM file (``--public-key``); ``certificate_chain``: PEM files
    (``--certificate-chain``); ``trust_config``: a Sigstore ClientTrustConfig or TrustedRoot
    JSON (``--trust-config``); ``offline``: never refresh the trust root over the network.
    """

    identity: str | None = None
    oidc_issuer: str | None = None
    public_key: Path | None = None
    certificate_chain: tuple[Path, ...] = ()
    trust_config: Path | None = None
    offline: bool = False


@dataclass
class _Checked:
    """Outcome of checking the signature over the payload (before any digest)."""

    outcome: str  # valid, invalid, unchecked (signature not checkable), unsupported
    method: str | None = None
    signer: str | None = None
    issuer: str | None = None
    signer_checked: bool = False
    payload: bytes | None = None
    reason: str | None = None
    trust_root: str | None = None


@dataclass
class _Compared:
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    mismatch_files: list[str] = field(default_factory=list)
    unable: str | None = None

    def mismatch(self, file: str, text: str) -> None:
        self.mismatches.append(text)
        self.mismatch_files.append(file)


@dataclass(frozen=True)
class _Item:
    identifier: str  # file path, or "path:start:end" for shards
    algorithm: str
    digest: str

    @property
    def path(self) -> str:
        parts = self.identifier.rsplit(":", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return parts[0]
        return self.identifier


# -- public entry points ---------------------------------------------------------------------


def find_signature_files(names: Iterable[str]) -> list[str]:
    """Signature bundles among ``names``: ``model.sig`` first, then other ``*.sig`` sorted."""
    sigs = sorted(n for n in names if n.lower().endswith(".sig"))
    sigs.sort(key=lambda n: (n != SIGNATURE_NAME, n.count("/"), n))
    return sigs


def annotate_signatures(
    graph: LineageGraph, source: Source | None, options: SignatureOptions
) -> None:
    """Fill ``signature`` on every resolved model node; ``invalid`` also adds a ``Finding``.

    Run after ``annotate_weights`` to reuse its local file hashes."""
    trust = _TrustCache(options)
    for node in graph.models():
        if node.resolved:
            check_node_signature(node, source, options, _trust=trust)


def check_node_signature(
    node: ModelNode,
    source: Source | None,
    options: SignatureOptions,
    *,
    _trust: _TrustCache | None = None,
) -> SignatureInfo:
    """Check one node's signature, store it on the node and return it."""
    info = _check(node, source, options, _trust or _TrustCache(options))
    node.signature = info
    if info.status == "invalid":
        node.findings.append(
            Finding(
                kind="invalid-signature",
                severity="error",
                message=info.reason or "signature invalid",
                file=info.file,
            )
        )
    return info


# -- the check -------------------------------------------------------------------------------


def _names(node: ModelNode) -> list[str]:
    if node.files:
        return [f.name for f in node.files]
    if node.local_dir is not None:
        try:
            return list_files(node.local_dir)
        except OSError:
            return []
    return []


def _check(
    node: ModelNode, source: Source | None, options: SignatureOptions, trust: _TrustCache
) -> SignatureInfo:
    names = _names(node)
    sigs = find_signature_files(names)
    if not sigs:
        return SignatureInfo(status="unsigned")
    sig_name = sigs[0]
    info = SignatureInfo(status="not-verified", file=sig_name)
    try:
        raw = _read_bundle(node, source, sig_name)
    except (MlbomError, OSError) as exc:
        info.reason = f"could not read the signature: {exc}"
        return info
    checked = _check_signature(raw, options, trust)
    info.method, info.signer, info.issuer = checked.method, checked.signer, checked.issuer
    info.trust_root = checked.trust_root
    if checked.outcome in ("invalid", "unsupported"):
        info.status = "invalid" if checked.outcome == "invalid" else "not-verified"
        info.reason = checked.reason
        return info
    assert checked.payload is not None
    try:
        items, serialization = _manifest(checked.payload)
    except _PayloadError as exc:
        info.status = exc.status
        info.reason = str(exc)
        return info
    ignored = set(sigs) | {str(p) for p in serialization.get("ignore_paths", []) or []}
    if node.local_dir is not None:
        compared = _compare_local(node, items, serialization, ignored)
    else:
        compared = _compare_hub(node, source, items, serialization, ignored)
    info.files_checked = compared.checked
    if compared.mismatches:
        info.status = "invalid"
        shown = "; ".join(compared.mismatches[:5])
        more = len(compared.mismatches) - 5
        info.reason = shown + (f"; and {more} more" if more > 0 else "")
        if checked.outcome == "unchecked":
            info.reason += " (the signature itself could not be checked: " + (
                checked.reason or "no key"
            ) + ")"
    elif compared.unable:
        info.status = "not-verified"
        info.reason = compared.unable
    elif checked.outcome == "unchecked":
        info.status = "not-verified"
        info.reason = checked.reason
    elif checked.signer_checked:
        info.status = "verified"
    else:
        info.status = "unverified-signer"
        info.reason = checked.reason
    return info


def _read_bundle(node: ModelNode, source: Source | None, name: str) -> bytes:
    if node.local_dir is not None:
        path = safe_join(node.local_dir, name)
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise MlbomError(f"{name} is larger than {MAX_BUNDLE_BYTES} bytes")
        return path.read_bytes()
    if source is None or node.repo_id is None:
        raise MlbomError("no source to read it from")
    return source.read_file(node.repo_id, node.sha, name, max_bytes=MAX_BUNDLE_BYTES)


# -- signature over the payload --------------------------------------------------------------


def _check_signature(raw: bytes, options: SignatureOptions, trust: _TrustCache) -> _Checked:
    try:
        bundle = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return _Checked("unsupported", reason=f"not a JSON Sigstore bundle ({exc})"[:300])
    if not isinstance(bundle, dict) or not isinstance(bundle.get("verificationMaterial"), dict):
        return _Checked("unsupported", reason="not a Sigstore bundle (no verificationMaterial)")
    if not isinstance(bundle.get("dsseEnvelope"), dict):
        return _Checked(
            "unsupported",
            reason="legacy or unknown format: the bundle has no DSSE envelope "
            f"(mediaType {str(bundle.get('mediaType'))[:80]})",
        )
    material = bundle["verificationMaterial"]
    try:
        if "publicKey" in material:
            return _check_key(bundle, options)
        if material.get("tlogEntries") or "certificate" in material:
            return _check_keyless(raw, options, trust)
        if "x509CertificateChain" in material:
            return _check_certificate(bundle, options)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        return _Checked("unsupported", reason=f"malformed bundle: {exc}"[:300])
    return _Checked("unsupported", reason="unknown verification material in the bundle")


def _envelope(bundle: dict[str, Any]) -> tuple[str, bytes, bytes]:
    env = bundle["dsseEnvelope"]
    payload = base64.b64decode(env["payload"], validate=True)
    signature = base64.b64decode(env["signatures"][0]["sig"], validate=True)
    return str(env.get("payloadType", "")), payload, signature


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


def _check_key(bundle: dict[str, Any], options: SignatureOptions) -> _Checked:
    from cryptography.hazmat.primitives import serialization

    payload_type, payload, signature = _envelope(bundle)
    material = bundle["verificationMaterial"]["publicKey"] or {}
    hint = material.get("hint")
    embedded = material.get("rawBytes")
    if options.public_key is not None:
        try:
            key = serialization.load_pem_public_key(options.public_key.read_bytes())
        except (OSError, ValueError) as exc:
            return _Checked("unsupported", "key", reason=f"cannot load the public key: {exc}")
        fingerprint = key_fingerprint(key)
        if hint and f"sha256:{hint}" != fingerprint:
            return _Checked(
                "invalid", "key", signer=f"sha256:{hint}",
                reason=f"signed by another key (sha256:{hint}), not the public key given "
                f"({fingerprint})",
            )
        if not _ecdsa_ok(key, signature, payload):
            return _Checked(
                "invalid", "key", signer=fingerprint,
                reason="the signature does not verify with the public key given",
            )
        return _Checked("valid", "key", fingerprint, None, True, _typed(payload_type, payload))
    if embedded:
        key = serialization.load_pem_public_key(base64.b64decode(embedded))
        fingerprint = key_fingerprint(key)
        if not _ecdsa_ok(key, signature, payload):
            return _Checked(
                "invalid", "key", signer=fingerprint,
                reason="the signature does not verify with the key embedded in the bundle",
            )
        return _Checked(
            "valid", "key", fingerprint, None, False, _typed(payload_type, payload),
            reason="checked only with the public key embedded in the bundle (anyone can embed "
            "a key); pass --public-key to check the signer",
        )
    return _Checked(
        "unchecked", "key", signer=f"sha256:{hint}" if hint else None,
        payload=_typed(payload_type, payload),
        reason="key-based signature and no --public-key given; the bundle carries only the "
        "key's fingerprint, so the signature could not be checked",
    )


def _check_certificate(bundle: dict[str, Any], options: SignatureOptions) -> _Checked:
    from cryptography import x509

    payload_type, payload, signature = _envelope(bundle)
    chain = bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0]["rawBytes"]))
    signer = _cert_identity(leaf) or leaf.subject.rfc4514_string()
    issuer = leaf.issuer.rfc4514_string()
    if options.certificate_chain:
        from model_signing._signing import sign_certificate, sign_sigstore_pb
        from sigstore_models.bundle import v1 as bundle_pb

        try:
            verifier = sign_certificate.Verifier(list(options.certificate_chain))
            parsed = bundle_pb.Bundle.from_dict(_pb_compatible(bundle))
            verifier._verify_signed_content(sign_sigstore_pb.Signature(parsed))
        except (OSError, ValueError) as exc:
            return _Checked("unsupported", "certificate", signer, issuer,
                            reason=f"cannot load the certificate chain: {exc}"[:300])
        except Exception as exc:  # noqa: BLE001 - pyOpenSSL / cryptography verification errors
            return _Checked(
                "invalid", "certificate", signer, issuer,
                reason=f"certificate chain or signature check failed: {exc}"[:300],
            )
        return _Checked("valid", "certificate", signer, issuer, True, _typed(payload_type, payload))
    if not _ecdsa_ok(leaf.public_key(), signature, payload):
        return _Checked("invalid", "certificate", signer, issuer,
                        reason="the signature does not verify with the signing certificate's key")
    return _Checked(
        "valid", "certificate", signer, issuer, False, _typed(payload_type, payload),
        reason="signature checked with the bundled signing certificate; its chain was not "
        "checked (pass --certificate-chain)",
    )


def _pb_compatible(bundle: dict[str, Any]) -> dict[str, Any]:
    """The adjustments model-signing's ``Signature.read`` makes before protobuf parsing."""
    out = json.loads(json.dumps(bundle))
    material = out["verificationMaterial"]
    material.setdefault("tlogEntries", [])
    return dict(out)


def _check_keyless(raw: bytes, options: SignatureOptions, trust: _TrustCache) -> _Checked:
    from sigstore.errors import Error as SigstoreError
    from sigstore.errors import VerificationError
    from sigstore.models import Bundle
    from sigstore.verify import Verifier, policy

    try:
        bundle = Bundle.from_json(raw)
    except Exception as exc:  # noqa: BLE001 - any parse failure means an unsupported bundle
        why = f"unsupported Sigstore bundle: {exc}"[:300]
        return _Checked("unsupported", "sigstore", reason=why)
    cert = bundle.signing_certificate
    signer, issuer = _cert_identity(cert), _cert_issuer(cert)
    root, label = trust.get()
    if root is None:
        return _Checked("unsupported", "sigstore", signer, issuer, trust_root=label,
                        reason=f"no usable Sigstore trusted root: {label}")
    try:
        payload_type, payload = Verifier(trusted_root=root).verify_dsse(
            bundle=bundle, policy=_AnyIdentity()
        )
    except VerificationError as exc:
        return _Checked("invalid", "sigstore", signer, issuer, trust_root=label,
                        reason=f"Sigstore verification failed: {exc}"[:300])
    except SigstoreError as exc:
        return _Checked("unsupported", "sigstore", signer, issuer, trust_root=label,
                        reason=f"could not check the Sigstore bundle: {exc}"[:300])
    typed = _typed(payload_type, payload)
    if options.identity or options.oidc_issuer:
        if options.identity is None:
            wanted: Any = policy.OIDCIssuer(options.oidc_issuer or "")
        else:
            wanted = policy.Identity(identity=options.identity, issuer=options.oidc_issuer)
        try:
            wanted.verify(cert)
        except VerificationError as exc:
            return _Checked("invalid", "sigstore", signer, issuer, trust_root=label,
                            reason=f"signer mismatch: {exc}"[:300])
        return _Checked("valid", "sigstore", signer, issuer, True, typed, trust_root=label)
    return _Checked(
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

    for oid, der in ((_OID_ISSUER_V2, True), (_OID_ISSUER_V1, False)):
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


# -- trust root ------------------------------------------------------------------------------


class _TrustCache:
    """Loads the Sigstore trusted root once per run and names where it came from."""

    def __init__(self, options: SignatureOptions) -> None:
        self.options = options
        self._loaded = False
        self._root: TrustedRoot | None = None
        self._label = ""

    def get(self) -> tuple[TrustedRoot | None, str]:
        if not self._loaded:
            self._root, self._label = load_trusted_root(self.options)
            self._loaded = True
        return self._root, self._label


def bundled_trusted_root_path() -> Path:
    """sigstore's bundled production ``trusted_root.json`` (no network needed)."""
    import sigstore

    store = resources.files(sigstore) / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
    return Path(str(store / "trusted_root.json"))


def load_trusted_root(options: SignatureOptions) -> tuple[TrustedRoot | None, str]:
    """The trusted root to verify keyless signatures with, and a label for the BOM
    (``mlbom:signature:trust-root``). Never raises: a root that cannot be loaded gives
    ``(None, why)``."""
    import sigstore
    from sigstore.models import ClientTrustConfig, TrustedRoot

    if options.trust_config is not None:
        path = options.trust_config
        try:
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            media = str(json.loads(text).get("mediaType", ""))
            if "clienttrustconfig" in media.lower():
                root = ClientTrustConfig.from_json(text).trusted_root
            else:
                root = TrustedRoot.from_file(str(path))
        except Exception as exc:  # noqa: BLE001 - any failure: the root is unusable
            return None, f"trust-config {path.name} unusable: {exc}"[:300]
        return root, f"trust-config:{path.name} sha256:{digest}"
    if not options.offline:
        try:
            return ClientTrustConfig.production().trusted_root, "sigstore-tuf:production"
        except Exception:  # noqa: BLE001 - offline or TUF failure: fall back to the bundled root
            pass
    path = bundled_trusted_root_path()
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        root = TrustedRoot.from_file(str(path))
    except Exception as exc:  # noqa: BLE001
        return None, f"bundled trusted root unusable: {exc}"[:300]
    return root, f"sigstore-bundled:{sigstore.__version__}:production sha256:{digest}"


# -- the signed manifest ---------------------------------------------------------------------


class _PayloadError(Exception):
    def __init__(self, message: str, status: str) -> None:
        self.status = status
        super().__init__(message)


def _typed(payload_type: str, payload: bytes) -> bytes:
    if payload_type != _IN_TOTO_PAYLOAD:
        raise ValueError(f"DSSE payload type {payload_type[:80]!r} is not in-toto")
    return payload


def _manifest(payload: bytes) -> tuple[list[_Item], dict[str, Any]]:
    """The signed resources and serialization section, via model-signing's own reader."""
    from model_signing._signing import signing

    try:
        statement = json.loads(payload)
    except ValueError as exc:
        raise _PayloadError(f"the signed payload is not JSON: {exc}", "not-verified") from exc
    if not isinstance(statement, dict) or statement.get("_type") != _IN_TOTO_STATEMENT:
        raise _PayloadError("the signed payload is not an in-toto v1 Statement", "not-verified")
    try:
        manifest = signing.dsse_payload_to_manifest(statement)
    except ValueError as exc:
        status = "invalid" if "inconsistent" in str(exc) else "not-verified"
        raise _PayloadError(f"signed manifest: {exc}"[:300], status) from exc
    except (KeyError, TypeError) as exc:
        raise _PayloadError(f"signed manifest is malformed: {exc}"[:300], "not-verified") from exc
    items = [
        _Item(rd.identifier, rd.digest.algorithm, rd.digest.digest_hex)
        for rd in manifest.resource_descriptors()
    ]
    return items, dict(manifest.serialization_type)


def _is_ignored(name: str, ignored: set[str]) -> bool:
    parts = PurePosixPath(name).parts
    if parts and parts[0] in GIT_PATHS:
        return True
    return any(name == p or name.startswith(p.rstrip("/") + "/") for p in ignored)


def _plain_algorithm(algorithm: str) -> str:
    return algorithm.split("-sharded-", 1)[0]


def _digest_bytes(algorithm: str, data: bytes) -> str:
    name = _plain_algorithm(algorithm)
    if name == "blake3":
        import blake3

        return str(blake3.blake3(data).hexdigest())
    return hashlib.new(name, data).hexdigest()


def _compare_hub(
    node: ModelNode,
    source: Source | None,
    items: list[_Item],
    serialization: dict[str, Any],
    ignored: set[str],
) -> _Compared:
    out = _Compared()
    entries = {f.name: f for f in node.files}
    sharded = serialization.get("method") == "shards"
    expected_paths = {it.path for it in items}
    for it in items:
        entry = entries.get(it.path)
        if entry is None:
            out.mismatch(it.path, f"{it.path} is signed but missing from the repo")
            continue
        if entry.sha256 and not sharded and _plain_algorithm(it.algorithm) == "sha256":
            out.checked += 1
            if entry.sha256.lower() != it.digest:
                out.mismatch(it.path, f"digest mismatch for {it.path} (Hub LFS sha256 differs)")
            continue
        if entry.lfs or entry.sha256:
            out.unable = (
                f"{it.path}: signed as {it.algorithm}; only the Hub's LFS sha256 of whole files "
                "can be compared without downloading the weights"
            )
            continue
        if source is None or node.repo_id is None:
            out.unable = f"{it.path}: no source to read it from"
            continue
        try:
            data = source.read_file(node.repo_id, node.sha, it.path, max_bytes=MAX_SMALL_FILE_BYTES)
        except MlbomError as exc:
            out.unable = f"{it.path}: could not read it: {exc}"[:300]
            continue
        if sharded:
            start, end = (int(x) for x in it.identifier.rsplit(":", 2)[1:])
            data = data[start:end]
        out.checked += 1
        if _digest_bytes(it.algorithm, data) != it.digest:
            out.mismatch(it.path, f"digest mismatch for {it.path}")
    for name in sorted(entries):
        if name not in expected_paths and not _is_ignored(name, ignored):
            out.mismatch(name, f"{name} is in the repo but not covered by the signature")
    return out


def _compare_local(
    node: ModelNode, items: list[_Item], serialization: dict[str, Any], ignored: set[str]
) -> _Compared:
    root = node.local_dir
    assert root is not None
    out = _Compared()
    try:
        present = [n for n in list_files(root) if not _is_ignored(n, ignored)]
    except OSError as exc:
        out.unable = f"cannot list {root}: {exc}"
        return out
    expected_paths = {it.path for it in items}
    allow_symlinks = str(serialization.get("allow_symlinks", False)).lower() == "true"
    for name in present:
        if not allow_symlinks and safe_join(root, name).is_symlink():
            out.mismatch(name, f"{name} is a symlink, which the signature does not allow")
    for name in present:
        if name not in expected_paths:
            out.mismatch(name, f"{name} is in the folder but not covered by the signature")
    present_set = set(present)
    for it in items:
        if it.path not in present_set:
            out.mismatch(it.path, f"{it.path} is signed but missing from the folder")
    if out.mismatches:
        return out
    plain_sha = serialization.get("method") == "files" and all(
        it.algorithm == "sha256" for it in items
    )
    try:
        actual = (
            _local_sha256(node, [it.path for it in items])
            if plain_sha
            else _local_model_signing(root, serialization, ignored)
        )
    except MlbomError as exc:
        out.unable = str(exc)
        return out
    except Exception as exc:  # noqa: BLE001 - model-signing hashing errors are data here
        out.unable = f"could not hash the folder as the signature describes: {exc}"[:300]
        return out
    for it in items:
        out.checked += 1
        if actual.get(it.identifier) != it.digest:
            out.mismatch(it.path, f"digest mismatch for {it.path}")
    return out


def _local_sha256(node: ModelNode, names: list[str]) -> dict[str, str]:
    assert node.local_dir is not None
    known: dict[str, str] = {}
    if node.weights is not None:
        known = {w.name: w.sha256 for w in node.weights.files if w.sha256}
    todo = [n for n in names if n not in known]
    return {**known, **hash_files(node.local_dir, todo)}


def hashing_config_from_serialization(
    serialization: dict[str, Any], ignore: Iterable[str] = ()
) -> ms_hashing.Config:
    """A model-signing hashing configuration rebuilt from a signed manifest's
    ``serialization`` section (model-signing 1.1.1's own guess breaks on ``blake2b`` and on
    ``shard_size`` floats). ``ignore`` adds paths (the signature file) to the ignored ones."""
    from model_signing import hashing

    hash_type = str(serialization.get("hash_type", "sha256"))
    algorithm = _HASH_ALIASES.get(_plain_algorithm(hash_type))
    if algorithm is None:
        raise ValueError(f"unsupported hash type {hash_type!r}")
    allow = str(serialization.get("allow_symlinks", False)).lower() == "true"
    paths = [*(serialization.get("ignore_paths") or []), *ignore]
    cfg = hashing.Config()  # type: ignore[no-untyped-call]
    cfg.set_ignored_paths(paths=paths, ignore_git_paths=True)
    method = serialization.get("method")
    if method == "files":
        cfg.use_file_serialization(hashing_algorithm=algorithm, allow_symlinks=allow)  # type: ignore[arg-type]
    elif method == "shards":
        cfg.use_shard_serialization(
            hashing_algorithm=algorithm,  # type: ignore[arg-type]
            shard_size=int(serialization["shard_size"]),
            allow_symlinks=allow,
        )
    else:
        raise ValueError(f"unsupported serialization method {method!r}")
    cfg.set_allow_symlinks(allow)
    return cfg


def _local_model_signing(
    root: Path, serialization: dict[str, Any], ignored: set[str]
) -> dict[str, str]:
    cfg = hashing_config_from_serialization(serialization, sorted(ignored))
    manifest = cfg.hash(root)
    return {rd.identifier: rd.digest.digest_hex for rd in manifest.resource_descriptors()}
