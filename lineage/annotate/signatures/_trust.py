"""Where trust in keyless (Sigstore) signatures comes from: the trusted root, once per run."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from lineage.annotate.signatures._options import MAX_BUNDLE_BYTES, SignatureOptions
from lineage.capped_read import read_capped_text

if TYPE_CHECKING:
    from sigstore.models import TrustedRoot


class TrustCache:
    """Loads the Sigstore trusted root once per run and names where it came from.

    One instance serves a whole run (``annotate_signatures`` makes it): the root is loaded on
    the first keyless signature and reused for every node after it."""

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
            text = read_capped_text(path, MAX_BUNDLE_BYTES)
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
