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
- ``invalid``: the signature does not verify, or a digest / file list mismatch; ``reason``
  names the file(s). A ``invalid-signature`` finding is added.
- ``invalid`` with a ``reason`` that starts ``signer mismatch:``: the user gave a signer
  (``--cert-identity``/``--cert-oidc-issuer``, ``--public-key`` or ``--certificate-chain``)
  and the signature is by another signer, or by another method (for example ``signer
  mismatch: signed by CN=acme-release with a certificate, expected keyless signer
  release@acme.example (issuer https://accounts.google.com)``). Never ``unverified-signer``,
  which means nothing was given to check the signer against. A ``signer-mismatch`` finding is
  added, so ``mlbom check`` and ``mlbom licenses`` (policy ``require-signature``) fail on it.
- ``not-verified``: present but not checkable (legacy or unknown format, unsupported hash for
  a Hub comparison, no usable trust root); ``reason`` says why.

A bad signature is data: this package never raises for what a repo contains. A
``--public-key`` that holds no key gives ``not-verified`` with reason ``cannot load the public
key: ...`` on a key-signed model; ``mlbom check`` reports it as its own finding kind
(``verification-material-unusable``) whether or not anything is signed.

The package, by concern: ``_options`` (what the user gave), ``_bundle`` (finding, reading and
taking apart a bundle), ``_methods`` (keyless, key and certificate verification, signer
matching), ``_trust`` (the Sigstore trusted root, loaded once per run by ``TrustCache``),
``_manifest`` (the signed manifest and its digests against the files) and ``_status`` (one
node's status, and ``annotate_signatures`` over a graph with one trust cache).

model-signing 1.1.1 pitfalls handled here: pyOpenSSL is imported by its certificate verifier
(declared in our pyproject); its guess of the hashing configuration passes ``blake2b`` and
``shard_size`` floats straight through, so the configuration is built from the signed
manifest's own ``serialization`` section (``hashing_config_from_serialization``); the signature
file is always added to the ignored paths.
"""

from __future__ import annotations

import logging

from lineage.annotate.signatures._bundle import find_signature_files
from lineage.annotate.signatures._manifest import hashing_config_from_serialization
from lineage.annotate.signatures._methods import (
    key_fingerprint,
    key_fingerprint_of_file,
    load_public_key_file,
)
from lineage.annotate.signatures._options import (
    GIT_PATHS,
    MAX_BUNDLE_BYTES,
    SIGNATURE_NAME,
    SignatureOptions,
)
from lineage.annotate.signatures._status import annotate_signatures, check_node_signature
from lineage.annotate.signatures._trust import (
    TrustCache,
    bundled_trusted_root_path,
    load_trusted_root,
)

# model-signing's certificate verifier logs through ``logging``; keep libraries quiet.
logging.getLogger("model_signing").addHandler(logging.NullHandler())

__all__ = [
    "GIT_PATHS", "MAX_BUNDLE_BYTES", "SIGNATURE_NAME", "SignatureOptions", "TrustCache",
    "annotate_signatures", "bundled_trusted_root_path", "check_node_signature",
    "find_signature_files", "hashing_config_from_serialization", "key_fingerprint",
    "key_fingerprint_of_file", "load_public_key_file", "load_trusted_root",
]
