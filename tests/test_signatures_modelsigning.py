"""OpenSSF model-signing status, with real signatures made by model-signing in the test."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing import hashing, signing

from lineage.annotate.signatures import (
    SignatureOptions,
    annotate_signatures,
    bundled_trusted_root_path,
    check_node_signature,
    key_fingerprint,
)
from lineage.errors import HubError, ParseError
from lineage.graph import FileEntry, LineageGraph, ModelNode
from lineage.refs import ModelRef
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, RepoSnapshot, Source

OFFLINE = SignatureOptions(offline=True)


class DictSource(Source):
    """A Source over in-memory small files; it records every file asked for."""

    name = "dict"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.asked: list[str] = []

    def model_info(self, ref: ModelRef) -> RepoSnapshot:
        raise HubError("not here", reason="not-found")

    def dataset_info(self, ref: ModelRef) -> RepoSnapshot:
        raise HubError("not here", reason="not-found")

    def read_file(
        self, repo_id: str, sha: str | None, filename: str, *, max_bytes: int = MAX_SMALL_FILE_BYTES
    ) -> bytes:
        self.asked.append(filename)
        if filename not in self.files:
            raise HubError(f"{filename} not found", reason="not-found")
        data = self.files[filename]
        if len(data) > max_bytes:
            raise ParseError("too large", file=filename)
        return data

    def read_head(self, repo_id: str, sha: str | None, filename: str, n_bytes: int) -> bytes:
        self.asked.append(filename)
        return self.files[filename][:n_bytes]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    priv, pub = tmp_path / "signing.key", tmp_path / "signing.pub"
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


MODEL_FILES = {
    "config.json": b'{"model_type": "llama"}',
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(range(256)) * 64,
    "tokenizer/tokenizer.json": b'{"version": "1.0"}',
}


def _model(root: Path) -> Path:
    model = root / "model"
    for name, data in MODEL_FILES.items():
        (model / name).parent.mkdir(parents=True, exist_ok=True)
        (model / name).write_bytes(data)
    return model


def _sign(model: Path, priv: Path, hashing_config: hashing.Config | None = None) -> Path:
    config = signing.Config().use_elliptic_key_signer(private_key=priv)
    if hashing_config is not None:
        config.set_hashing_config(hashing_config)
    config.sign(model, model / "model.sig")
    return model / "model.sig"


def _local(model: Path) -> ModelNode:
    return ModelNode(key="local:model", name="model", local_dir=model, is_target=True)


def test_key_signature_verifies_with_the_public_key(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    _sign(model, priv)

    info = check_node_signature(_local(model), None, SignatureOptions(public_key=pub, offline=True))

    assert info.status == "verified", info.reason
    assert (info.method, info.file, info.files_checked) == ("key", "model.sig", 3)
    pem_key = serialization.load_pem_public_key(pub.read_bytes())
    assert info.signer == key_fingerprint(pem_key)


def test_without_a_key_the_fingerprint_only_bundle_is_not_verified(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    _sign(model, priv)

    info = check_node_signature(_local(model), None, OFFLINE)

    assert info.status == "not-verified"
    assert "--public-key" in (info.reason or "")
    assert info.signer == key_fingerprint(serialization.load_pem_public_key(pub.read_bytes()))


def test_key_embedded_in_the_bundle_gives_unverified_signer(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    sig = _sign(model, priv)
    bundle = json.loads(sig.read_text())
    bundle["verificationMaterial"]["publicKey"]["rawBytes"] = base64.b64encode(
        pub.read_bytes()
    ).decode()
    sig.write_text(json.dumps(bundle))

    info = check_node_signature(_local(model), None, OFFLINE)

    assert info.status == "unverified-signer", info.reason
    assert info.signer == key_fingerprint(serialization.load_pem_public_key(pub.read_bytes()))


def test_another_key_is_a_signer_mismatch(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    priv, _ = keys
    model = _model(tmp_path)
    _sign(model, priv)
    other = tmp_path / "other.pub"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    node = _local(model)
    info = check_node_signature(node, None, SignatureOptions(public_key=other))

    assert info.status == "invalid"
    assert (info.reason or "").startswith("signer mismatch: signed by the key sha256:")
    assert "expected the public key given" in (info.reason or "")
    assert [f.kind for f in node.findings] == ["signer-mismatch"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("tamper", "model.safetensors"),
        ("add", "extra.bin"),
        ("remove", "tokenizer/tokenizer.json"),
    ],
)
def test_changed_folder_is_invalid_naming_the_file(
    tmp_path: Path, keys: tuple[Path, Path], change: str, named: str
) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    _sign(model, priv)
    if change == "tamper":
        data = bytearray((model / named).read_bytes())
        data[-1] ^= 1
        (model / named).write_bytes(bytes(data))
    elif change == "add":
        (model / named).write_bytes(b"new")
    else:
        (model / named).unlink()
    node = _local(model)
    graph = LineageGraph()
    graph.add_node(node)

    annotate_signatures(graph, None, SignatureOptions(public_key=pub, offline=True))

    assert node.signature is not None
    assert node.signature.status == "invalid"
    assert named in (node.signature.reason or "")
    assert [(f.kind, f.severity) for f in node.findings] == [("invalid-signature", "error")]
    assert named in node.findings[0].message


def test_forged_payload_is_invalid(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    sig = _sign(model, priv)
    (model / "config.json").write_bytes(b'{"model_type": "evil"}')
    bundle = json.loads(sig.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    for res in statement["predicate"]["resources"]:
        if res["name"] == "config.json":
            res["digest"] = hashlib.sha256(b'{"model_type": "evil"}').hexdigest()
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    sig.write_text(json.dumps(bundle))

    info = check_node_signature(_local(model), None, SignatureOptions(public_key=pub))

    assert info.status == "invalid"
    assert "does not verify" in (info.reason or "")


def test_sharded_blake2_manifest_verifies_and_detects_tampering(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    _sign(
        model,
        priv,
        hashing.Config().use_shard_serialization(hashing_algorithm="blake2", shard_size=4096),
    )
    options = SignatureOptions(public_key=pub, offline=True)

    assert check_node_signature(_local(model), None, options).status == "verified"

    data = bytearray((model / "model.safetensors").read_bytes())
    data[5000] ^= 0xFF
    (model / "model.safetensors").write_bytes(bytes(data))
    info = check_node_signature(_local(model), None, options)
    assert info.status == "invalid"
    assert "model.safetensors" in (info.reason or "")


def _hub_node(model: Path, *, lfs: dict[str, str]) -> tuple[ModelNode, DictSource]:
    files = [FileEntry(".gitattributes", 10)]
    small: dict[str, bytes] = {".gitattributes": b"*.safetensors filter=lfs"}
    for path in sorted(p for p in model.rglob("*") if p.is_file()):
        name = path.relative_to(model).as_posix()
        if name in lfs:
            files.append(FileEntry(name, path.stat().st_size, lfs[name], True))
        else:
            files.append(FileEntry(name, path.stat().st_size))
            small[name] = path.read_bytes()
    node = ModelNode(key="model:org/m", name="org/m", repo_id="org/m", sha="a" * 40, files=files)
    return node, DictSource(small)


def test_hub_model_is_verified_without_reading_weights(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    _sign(model, priv)
    weights_sha = hashlib.sha256(MODEL_FILES["model.safetensors"]).hexdigest()
    node, source = _hub_node(model, lfs={"model.safetensors": weights_sha})

    info = check_node_signature(node, source, SignatureOptions(public_key=pub, offline=True))

    assert info.status == "verified", info.reason
    assert info.files_checked == 3
    assert "model.safetensors" not in source.asked
    assert set(source.asked) == {"model.sig", "config.json", "tokenizer/tokenizer.json"}


def test_hub_lfs_digest_mismatch_is_invalid(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    priv, pub = keys
    model = _model(tmp_path)
    _sign(model, priv)
    node, source = _hub_node(model, lfs={"model.safetensors": "0" * 64})

    info = check_node_signature(node, source, SignatureOptions(public_key=pub, offline=True))

    assert info.status == "invalid"
    assert "model.safetensors" in (info.reason or "")


def test_unsigned_and_garbage_signatures(tmp_path: Path) -> None:
    model = _model(tmp_path)
    assert check_node_signature(_local(model), None, OFFLINE).status == "unsigned"

    (model / "model.sig").write_bytes(b"-----BEGIN PGP SIGNATURE-----\n")
    info = check_node_signature(_local(model), None, OFFLINE)
    assert info.status == "not-verified"
    assert info.file == "model.sig" and "JSON" in (info.reason or "")


# -- real public bundles from sigstore/model-transparency ------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
KEYLESS = CORPUS / "modelsig-v1.0.0-sigstore"
ELLIPTIC = CORPUS / "modelsig-v1.0.1-elliptic-key"
IBM_ID, IBM_ISSUER = "stefanb@us.ibm.com", "https://sigstore.verify.ibm.com/oauth2"

needs_corpus = pytest.mark.skipif(
    not (KEYLESS / "model.sig").is_file() or not (ELLIPTIC / "model.sig").is_file(),
    reason="shared corpus with the model-signing bundles is absent",
)


@needs_corpus
def test_corpus_keyless_bundle_verifies_offline_with_the_bundled_root() -> None:
    options = SignatureOptions(identity=IBM_ID, oidc_issuer=IBM_ISSUER, offline=True)
    info = check_node_signature(_local(KEYLESS), None, options)

    assert info.status == "verified", info.reason
    assert (info.signer, info.issuer, info.method) == (IBM_ID, IBM_ISSUER, "sigstore")
    assert info.trust_root is not None and info.trust_root.startswith("sigstore-bundled:")
    assert info.files_checked == 2


@needs_corpus
def test_corpus_keyless_bundle_without_identity_and_with_the_wrong_one() -> None:
    info = check_node_signature(_local(KEYLESS), None, OFFLINE)
    assert info.status == "unverified-signer"
    assert (info.signer, info.issuer) == (IBM_ID, IBM_ISSUER)

    wrong = SignatureOptions(identity="someone@example.com", oidc_issuer=IBM_ISSUER, offline=True)
    info = check_node_signature(_local(KEYLESS), None, wrong)
    assert info.status == "invalid"
    assert "mismatch" in (info.reason or "")


@needs_corpus
def test_corpus_keyless_with_trust_config_names_it(tmp_path: Path) -> None:
    root = tmp_path / "root.json"
    root.write_bytes(bundled_trusted_root_path().read_bytes())
    options = SignatureOptions(identity=IBM_ID, oidc_issuer=IBM_ISSUER, trust_config=root)
    info = check_node_signature(_local(KEYLESS), None, options)
    assert info.status == "verified", info.reason
    assert info.trust_root is not None and info.trust_root.startswith("trust-config:root.json")

    root.write_text('{"mediaType": "nonsense"}')
    info = check_node_signature(_local(KEYLESS), None, options)
    assert info.status == "not-verified"
    assert "trust" in (info.reason or "")


@needs_corpus
def test_corpus_tampered_copy_is_invalid(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(KEYLESS, copy)
    (copy / "signme-1").chmod(0o644)
    (copy / "signme-1").write_bytes(b"tampered")
    options = SignatureOptions(identity=IBM_ID, oidc_issuer=IBM_ISSUER, offline=True)

    info = check_node_signature(_local(copy), None, options)

    assert info.status == "invalid"
    assert "signme-1" in (info.reason or "") and "signme-2" not in (info.reason or "")


@needs_corpus
def test_corpus_key_bundle_is_unverified_signer_unless_its_key_is_given(tmp_path: Path) -> None:
    info = check_node_signature(_local(ELLIPTIC), None, OFFLINE)
    assert info.status == "unverified-signer", info.reason
    assert info.method == "key" and info.signer is not None

    bundle = json.loads((ELLIPTIC / "model.sig").read_text())
    pub = tmp_path / "embedded.pub"
    pub.write_bytes(base64.b64decode(bundle["verificationMaterial"]["publicKey"]["rawBytes"]))
    given = check_node_signature(_local(ELLIPTIC), None, SignatureOptions(public_key=pub))
    assert given.status == "verified", given.reason
    assert given.signer == info.signer
