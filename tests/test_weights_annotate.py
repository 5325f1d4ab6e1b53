"""Weights annotator: formats, hashes, pickle-only models, the Hub's scan, local pickle scans."""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from lineage.annotate.weights import annotate_weights
from lineage.graph import FileEntry, LineageGraph, ModelNode

_SYSTEM = "posix.system" if os.name == "posix" else "nt.system"


def _graph(node: ModelNode) -> LineageGraph:
    g = LineageGraph()
    g.add_node(node)
    return g


def _hub_node(files: list[FileEntry], **kw: object) -> ModelNode:
    return ModelNode(key="model:org/m", name="org/m", repo_id="org/m", files=files, **kw)  # type: ignore[arg-type]


def test_hub_formats_and_lfs_hashes() -> None:
    node = _hub_node(
        [
            FileEntry("model-00001-of-00002.safetensors", 10, "a" * 64, True),
            FileEntry("model-00002-of-00002.safetensors", 10, "b" * 64, True),
            FileEntry("pytorch_model.bin", 20, "c" * 64, True),
            FileEntry("onnx/model.onnx", 5, "d" * 64, True),
            FileEntry("config.json", 1),
            FileEntry("README.md", 1),
        ]
    )
    annotate_weights(_graph(node))

    assert node.weights is not None
    assert node.weights.formats == ["onnx", "pickle", "safetensors"]
    by_name = {w.name: w for w in node.weights.files}
    assert set(by_name) == {
        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
        "pytorch_model.bin", "onnx/model.onnx",
    }
    assert by_name["pytorch_model.bin"].unsafe and by_name["pytorch_model.bin"].sha256 == "c" * 64
    assert not node.weights.unsafe_only


def test_pickle_only_model_is_unsafe_only() -> None:
    node = _hub_node([FileEntry("pytorch_model.bin", 20, "c" * 64, True), FileEntry("a.ckpt")])
    annotate_weights(_graph(node))
    assert node.weights is not None and node.weights.unsafe_only
    assert node.weights.formats == ["pickle"]


def test_openvino_bin_and_gguf_are_not_pickles() -> None:
    node = _hub_node(
        [FileEntry("openvino_model.bin"), FileEntry("openvino_model.xml"), FileEntry("q4.gguf")]
    )
    annotate_weights(_graph(node))
    assert node.weights is not None
    assert node.weights.formats == ["gguf", "other"]
    assert not node.weights.unsafe_only


def test_hub_security_scan_becomes_findings() -> None:
    status = {
        "scansDone": True,
        "filesWithIssues": [
            {
                "path": "evil.bin",
                "level": "unsafe",
                "pickleImports": [
                    {"module": "posix", "name": "system", "safety": "dangerous"},
                    {"module": "torch", "name": "FloatStorage", "safety": "innocuous"},
                ],
            },
            {"path": "odd.pkl", "level": "suspicious"},
            {"path": "fine.bin", "level": "safe"},
        ],
    }
    node = _hub_node([FileEntry("evil.bin"), FileEntry("odd.pkl")], hub_security=status)
    annotate_weights(_graph(node))

    assert node.weights is not None and node.weights.hub_scan == status
    got = {(f.kind, f.severity, f.file) for f in node.findings}
    assert got == {
        ("dangerous-pickle-import", "error", "evil.bin"),
        ("hub-security-scan", "warning", "odd.pkl"),
    }
    assert "posix.system" in next(f.message for f in node.findings if f.file == "evil.bin")


class _Trap:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_local_folder_is_hashed_and_pickles_scanned_without_running(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    marker = tmp_path / "PWNED"
    (model / "sub" / "pytorch_model.bin").write_bytes(pickle.dumps(_Trap(marker)))
    (model / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (model / "config.json").write_text("{}")
    node = ModelNode(key="local:model", name="model", local_dir=model, is_target=True)

    annotate_weights(_graph(node))

    assert node.weights is not None
    by_name = {w.name: w for w in node.weights.files}
    for name, w in by_name.items():
        assert w.sha256 == hashlib.sha256((model / name).read_bytes()).hexdigest()
        assert w.size == (model / name).stat().st_size
    assert set(by_name) == {"sub/pytorch_model.bin", "model.safetensors"}
    dangerous = [f for f in node.findings if f.kind == "dangerous-pickle-import"]
    assert [(f.file, f.severity) for f in dangerous] == [("sub/pytorch_model.bin", "error")]
    assert _SYSTEM in dangerous[0].message
    assert not marker.exists()
