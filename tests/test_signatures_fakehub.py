"""The Hub path end to end: the real Hub client against the loopback fake Hub. A signed model
is verified from the Hub's LFS sha256 without any weight file being requested."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing import signing

from lineage.annotate.signatures import SignatureOptions, check_node_signature
from lineage.graph import FileEntry, ModelNode
from lineage.refs import ModelRef
from lineage.sources.hub import HubSource

WEIGHTS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(range(256)) * 256
SMALL = {"config.json": b'{"model_type": "llama"}', "README.md": b"---\nlicense: mit\n---\n"}


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _mirror(tmp_path: Path, priv: Path, weights_in_manifest: bytes) -> Path:
    """A mlbom-mirror/1 folder for ``org/signed``; the weights are LFS, so only their sha256
    is in info.json and their bytes are absent from ``files/``."""
    model = tmp_path / "signed-model"
    model.mkdir()
    for name, data in SMALL.items():
        (model / name).write_bytes(data)
    (model / "model.safetensors").write_bytes(weights_in_manifest)
    signing.Config().use_elliptic_key_signer(private_key=priv).sign(model, model / "model.sig")

    root = tmp_path / "mirror"
    repo = root / "models" / "org--signed"
    (repo / "files").mkdir(parents=True)
    siblings: list[dict[str, Any]] = []
    for name in [*SMALL, "model.sig"]:
        data = (model / name).read_bytes()
        (repo / "files" / name).write_bytes(data)
        siblings.append({"rfilename": name, "size": len(data), "blobId": _git_blob_id(data)})
    siblings.append(
        {
            "rfilename": "model.safetensors",
            "size": len(WEIGHTS),
            "blobId": _git_blob_id(WEIGHTS),
            "lfs": {
                "sha256": hashlib.sha256(WEIGHTS).hexdigest(),
                "size": len(WEIGHTS),
                "pointerSize": 134,
            },
        }
    )
    info = {
        "id": "org/signed",
        "sha": hashlib.sha1(str(tmp_path).encode()).hexdigest(),  # one commit per test
        "author": "org", "cardData": {"license": "mit"},
        "tags": [], "siblings": siblings, "gated": False, "private": False,
        "downloads": 1, "likes": 0, "createdAt": "2025-01-01T00:00:00.000Z",
        "lastModified": "2025-01-01T00:00:00.000Z",
    }
    (repo / "info.json").write_text(json.dumps(info))
    (root / "mirror.json").write_text(
        json.dumps({"format": "mlbom-mirror/1", "created": "2025-01-01", "targets": []})
    )
    return root


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    priv, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    priv.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return priv, pub


def _node(source: HubSource) -> ModelNode:
    snap = source.model_info(ModelRef("org/signed"))
    return ModelNode(
        key="model:org/signed", name="org/signed", repo_id="org/signed", sha=snap.sha,
        files=list(snap.siblings),
    )


def test_hub_signature_verified_without_requesting_weights(
    tmp_path: Path, make_fake_hub: Any
) -> None:
    priv, pub = _keys(tmp_path)
    hub = make_fake_hub(root=_mirror(tmp_path, priv, WEIGHTS))
    source = HubSource(endpoint=hub.endpoint, cache_dir=tmp_path / "cache")
    node = _node(source)
    assert any(isinstance(f, FileEntry) and f.lfs for f in node.files)

    info = check_node_signature(node, source, SignatureOptions(public_key=pub, offline=True))

    assert info.status == "verified", info.reason
    assert info.files_checked == 3  # README.md, config.json, model.safetensors
    requested = " ".join(r.path for r in hub.requests)
    assert "model.sig" in requested and "config.json" in requested
    assert "model.safetensors" not in requested


def test_hub_weights_differing_from_the_signed_ones_are_invalid(
    tmp_path: Path, make_fake_hub: Any
) -> None:
    priv, pub = _keys(tmp_path)
    hub = make_fake_hub(root=_mirror(tmp_path, priv, WEIGHTS[:-1] + b"!"))
    source = HubSource(endpoint=hub.endpoint, cache_dir=tmp_path / "cache")

    info = check_node_signature(_node(source), source, SignatureOptions(public_key=pub))

    assert info.status == "invalid"
    assert "model.safetensors" in (info.reason or "")
