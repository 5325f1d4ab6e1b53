"""What the user gives to check signers against, and the constants every part shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_BUNDLE_BYTES = 16 * 1024 * 1024
SIGNATURE_NAME = "model.sig"
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")

IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1"
OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
HASH_ALIASES = {"sha256": "sha256", "blake2b": "blake2", "blake2": "blake2", "blake3": "blake3"}



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



    def gives_signer(self) -> bool:
        """Whether a signer (identity/issuer, key or certificate chain) was given."""
        return bool(self.identity or self.oidc_issuer or self.public_key
                    or self.certificate_chain)

    def expected_methods(self) -> tuple[str, ...]:
        """The signing methods a signature may use to match what was given."""
        out = []
        if self.identity or self.oidc_issuer:
            out.append("sigstore")
        if self.public_key is not None:
            out.append("key")
        if self.certificate_chain:
            out.append("certificate")
        return tuple(out)

    def expected_signer(self) -> str:
        """The signer given, for messages."""
        parts = []
        if self.identity or self.oidc_issuer:
            parts.append(f"keyless signer {self.identity or '(any identity)'} "
                         f"(issuer {self.oidc_issuer or 'any'})")
        if self.public_key is not None:
            parts.append(f"the public key {self.public_key.name}")
        if self.certificate_chain:
            parts.append("a certificate chaining to "
                         + ", ".join(p.name for p in self.certificate_chain))
        return " or ".join(parts) or "no signer"


@dataclass
class Checked:
    """Outcome of checking the signature over the payload (before any digest)."""

    outcome: str  # valid, invalid, unchecked (signature not checkable), unsupported
    method: str | None = None
    signer: str | None = None
    issuer: str | None = None
    signer_checked: bool = False
    payload: bytes | None = None
    reason: str | None = None
    trust_root: str | None = None
