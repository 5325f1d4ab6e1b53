"""Weights annotator: which weight formats a model ships, their SHA-256, and pickle risk.

For every resolved ``ModelNode`` it fills ``node.weights`` from ``node.files``:

- each weight file with its format (``safetensors``, ``gguf``, ``pickle``, ``keras``, ``onnx``,
  ``other``), its size and its SHA-256 (the Hub's LFS sha256; for a local folder target, the
  digest of the file on disk);
- ``unsafe_only`` when every weight file is pickle-based (loading the model means unpickling);
- ``hub_scan``: the Hub's own ``securityRepoStatus`` as given, and a finding per file the Hub
  flags (``{"scansDone": bool, "filesWithIssues": [{"path", "level", "pickleImports"?}]}``).

For a local folder (``node.local_dir``) pickle-based files are scanned statically
(``lineage.pickles``; nothing is ever unpickled) and each dangerous import becomes a
``dangerous-pickle-import`` error finding naming the file and the import. Problems reading a
file are recorded on the node; this annotator never raises for a model's content.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import Any

from lineage.errors import InputError
from lineage.graph import (
    FileEntry,
    Finding,
    LineageGraph,
    ModelNode,
    WeightFile,
    WeightsInfo,
)
from lineage.hashing import hash_files, list_files, safe_join
from lineage.pickles import PickleScan, scan_pickle_file

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib"})
FORMAT_BY_SUFFIX: dict[str, str] = {
    ".safetensors": "safetensors",
    ".gguf": "gguf",
    ".h5": "keras",
    ".hdf5": "keras",
    ".keras": "keras",
    ".onnx": "onnx",
    ".onnx_data": "onnx",
    # weight-ish formats with no pickle inside
    ".msgpack": "other",  # flax
    ".tflite": "other",
    ".mlmodel": "other",
    ".mlpackage": "other",
    ".npz": "other",
    ".npy": "other",
    ".ggml": "other",
    ".llamafile": "other",
    ".nemo": "other",
    ".engine": "other",  # TensorRT
    ".pb": "other",  # TensorFlow SavedModel graph
    ".ot": "other",  # rust-bert
    ".mar": "other",
}
# ``*.bin`` files that are not pickles.
_NOT_PICKLE_BIN = ("ggml-", "gguf")

HUB_LEVEL_SEVERITY = {"unsafe": "error", "suspicious": "warning", "caution": "warning"}


def weight_format(name: str, siblings: frozenset[str] = frozenset()) -> str | None:
    """The weight format of a file name, or ``None`` when it is not a weight file.

    ``siblings`` lets ``model.bin`` next to ``model.xml`` count as OpenVINO (``other``)."""
    base = name.rsplit("/", 1)[-1].lower()
    stem, suffix = os.path.splitext(base)
    if suffix in FORMAT_BY_SUFFIX:
        return FORMAT_BY_SUFFIX[suffix]
    if ".safetensors" in base and suffix.startswith(".part"):
        return "safetensors"
    if suffix in PICKLE_SUFFIXES:
        if suffix == ".bin":
            xml = name[: -len(".bin")] + ".xml"
            if xml in siblings or base.startswith(_NOT_PICKLE_BIN):
                return "other"
        return "pickle"
    return None


def annotate_weights(graph: LineageGraph) -> None:
    """Fill ``weights`` (and pickle/Hub-scan findings) on every resolved model node."""
    for node in graph.models():
        if node.resolved:
            annotate_node_weights(node)


def annotate_node_weights(node: ModelNode) -> None:
    files = list(node.files)
    if not files and node.local_dir is not None:
        files = [FileEntry(name=n) for n in _walk(node)]
    names = frozenset(f.name for f in files)
    info = WeightsInfo()
    for entry in sorted(files, key=lambda f: f.name):
        fmt = weight_format(entry.name, names)
        if fmt is None:
            continue
        info.files.append(
            WeightFile(
                name=entry.name,
                format=fmt,
                size=entry.size,
                sha256=entry.sha256,
                unsafe=fmt == "pickle",
            )
        )
    info.formats = sorted({w.format for w in info.files})
    info.unsafe_only = bool(info.files) and all(w.unsafe for w in info.files)
    if node.hub_security is not None:
        info.hub_scan = node.hub_security
        node.findings.extend(_hub_scan_findings(node.hub_security))
    if not node.files_complete:
        node.findings.append(Finding(
            kind="weights-not-fully-checked", severity="warning",
            message=f"{node.name}: the file listing was cut by a cap, so weight formats and "
                    "pickle safety were decided from part of the files"))
    if node.local_dir is not None:
        _annotate_local(node, info)
    node.weights = info


def _walk(node: ModelNode) -> list[str]:
    assert node.local_dir is not None
    try:
        return [n for n in list_files(node.local_dir) if not n.startswith(".git/")]
    except OSError as exc:
        node.problems.append(f"cannot list {node.local_dir}: {exc.strerror or exc}")
        return []


def _annotate_local(node: ModelNode, info: WeightsInfo) -> None:
    root = node.local_dir
    assert root is not None
    to_hash = [w.name for w in info.files if not w.sha256]
    digests: dict[str, str] = {}
    try:
        digests = hash_files(root, to_hash)
    except InputError:
        for name in to_hash:  # one unreadable file must not lose the others' digests
            try:
                digests.update(hash_files(root, [name], workers=1))
            except InputError as exc:
                node.problems.append(f"cannot hash {name}: {exc}")
    for w in info.files:
        if w.name in digests:
            w.sha256 = digests[w.name]
        if w.size is None:
            with contextlib.suppress(OSError, InputError):
                w.size = safe_join(root, w.name).stat().st_size
    for w in info.files:
        if w.unsafe:
            try:
                path = safe_join(root, w.name)
            except InputError as exc:
                node.problems.append(str(exc))
                continue
            node.findings.extend(pickle_findings(scan_pickle_file(path, name=w.name)))


def pickle_findings(scan: PickleScan) -> list[Finding]:
    """Findings for one static pickle scan: an error per dangerous import, a warning for
    suspicious imports, for scan errors and for each part a scan cap left unread
    (``pickle-scan-incomplete``: the file's safety was not fully checked)."""
    def finding(kind: str, severity: str, message: str) -> Finding:
        return Finding(kind=kind, severity=severity, message=message, file=scan.file)

    out = [finding("dangerous-pickle-import", "error", f"{scan.file} imports {imp} when unpickled")
           for imp in scan.dangerous]
    if scan.suspicious:
        listed = ", ".join(str(i) for i in scan.suspicious[:10])
        out.append(finding("suspicious-pickle-import", "warning",
                           f"{scan.file} imports globals outside the allow list: {listed}"))
    out += [finding("pickle-scan-error", "warning", f"{scan.file}: {err}") for err in scan.errors]
    out += [finding("pickle-scan-incomplete", "warning", f"{scan.file} was not fully scanned: "
                    f"{why.removeprefix(scan.file + ': ')}") for why in scan.incomplete]
    return out


def _hub_scan_findings(status: dict[str, Any]) -> list[Finding]:
    """Findings from the Hub's ``securityRepoStatus``; unknown shapes are ignored."""
    out: list[Finding] = []
    issues = status.get("filesWithIssues")
    if not isinstance(issues, list):
        return out
    for item in issues[:1000]:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        path = item["path"]
        level = str(item.get("level", "")).lower()
        imports = list(_hub_pickle_imports(item.get("pickleImports")))
        dangerous = [f"{m}.{n}" for m, n, s in imports if s == "dangerous"]
        for name in dangerous:
            out.append(
                Finding(
                    kind="dangerous-pickle-import",
                    severity="error",
                    message=f"the Hub's scan: {path} imports {name} when unpickled",
                    file=path,
                )
            )
        severity = HUB_LEVEL_SEVERITY.get(level)
        if severity and not dangerous:
            out.append(
                Finding(
                    kind="hub-security-scan",
                    severity=severity,
                    message=f"the Hub's security scan rates {path} {level}",
                    file=path,
                )
            )
    return out


def _hub_pickle_imports(value: object) -> Iterable[tuple[str, str, str]]:
    if not isinstance(value, list):
        return
    for imp in value[:1000]:
        if isinstance(imp, dict):
            module, name = imp.get("module"), imp.get("name")
            if isinstance(module, str) and isinstance(name, str):
                yield module, name, str(imp.get("safety", "")).lower()

