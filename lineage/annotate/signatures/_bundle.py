"""Finding, reading and taking apart a model-signing (Sigstore) bundle; no verification here."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from lineage.annotate.signatures._options import MAX_BUNDLE_BYTES, SIGNATURE_NAME, Checked
from lineage.capped_read import CappedReadError, read_capped
from lineage.errors import MlbomError
from lineage.graph import ModelNode
from lineage.hashing import safe_join
from lineage.sources.interface import Source


def find_signature_files(names: Iterable[str]) -> list[str]:
    """Signature bundles among ``names``: ``model.sig`` first, then other ``*.sig`` sorted."""
    sigs = sorted(n for n in names if n.lower().endswith(".sig"))
    sigs.sort(key=lambda n: (n != SIGNATURE_NAME, n.count("/"), n))
    return sigs


def read_bundle(node: ModelNode, source: Source | None, name: str) -> bytes:
    """The bundle's bytes from the node's folder or its source, at most ``MAX_BUNDLE_BYTES``."""
    if node.local_dir is not None:
        try:
            return read_capped(safe_join(node.local_dir, name), MAX_BUNDLE_BYTES)
        except CappedReadError as exc:
            raise MlbomError(exc.choose(
                unreadable=f"cannot read {name}: {exc.detail}",
                too_large=f"{name} is larger than {MAX_BUNDLE_BYTES} bytes")) from exc
    if source is None or node.repo_id is None:
        raise MlbomError("no source to read it from")
    return source.read_file(node.repo_id, node.sha, name, max_bytes=MAX_BUNDLE_BYTES)


def parse_bundle(raw: bytes) -> dict[str, Any] | Checked:
    """The bundle as JSON when it has the shape of a DSSE Sigstore bundle, else the
    ``unsupported`` outcome saying why."""
    try:
        bundle = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return Checked("unsupported", reason=f"not a JSON Sigstore bundle ({exc})"[:300])
    if not isinstance(bundle, dict) or not isinstance(bundle.get("verificationMaterial"), dict):
        return Checked("unsupported", reason="not a Sigstore bundle (no verificationMaterial)")
    if not isinstance(bundle.get("dsseEnvelope"), dict):
        return Checked(
            "unsupported",
            reason="legacy or unknown format: the bundle has no DSSE envelope "
            f"(mediaType {str(bundle.get('mediaType'))[:80]})",
        )
    return bundle


def envelope(bundle: dict[str, Any]) -> tuple[str, bytes, bytes]:
    env = bundle["dsseEnvelope"]
    payload = base64.b64decode(env["payload"], validate=True)
    signature = base64.b64decode(env["signatures"][0]["sig"], validate=True)
    return str(env.get("payloadType", "")), payload, signature


def pb_compatible(bundle: dict[str, Any]) -> dict[str, Any]:
    """The adjustments model-signing's ``Signature.read`` makes before protobuf parsing."""
    out = json.loads(json.dumps(bundle))
    material = out["verificationMaterial"]
    material.setdefault("tlogEntries", [])
    return dict(out)


