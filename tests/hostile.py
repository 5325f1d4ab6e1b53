"""Builders for hostile inputs: throw-away mirrors, local model folders and nasty documents.

A mirror built here uses the "mlbom-mirror/1" layout that ``MirrorSource`` reads and the fake
Hub serves, so one folder drives both. Nothing here is a test; the ``test_hostile_*``,
``test_faults_*`` and ``test_properties_*`` modules use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]


def fake_sha(text: str) -> str:
    """A stable 40-hex commit sha for a repo id (so reruns give identical BOMs)."""
    return hashlib.sha1(text.encode()).hexdigest()


def dir_name(repo_id: str) -> str:
    return repo_id.replace("/", "--")


def new_mirror(root: Path, targets: Iterable[str] = ()) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(exist_ok=True)
    (root / "datasets").mkdir(exist_ok=True)
    (root / "mirror.json").write_text(json.dumps(
        {"format": "mlbom-mirror/1", "created": "2025-01-01T00:00:00.000Z",
         "targets": list(targets)}))
    return root


def add_model(
    root: Path,
    repo_id: str,
    *,
    card: Any = None,
    files: Mapping[str, bytes | str] | None = None,
    tags: Iterable[str] = (),
    config: Any = None,
    extra_siblings: Iterable[str] = (),
    info_overrides: Mapping[str, Any] | None = None,
    folder: str | None = None,
) -> Path:
    """Write one model repo into mirror ``root``; ``card`` becomes ``cardData`` verbatim and
    every entry of ``files`` is stored under ``files/`` and listed as a sibling."""
    repo = root / "models" / (folder or dir_name(repo_id))
    (repo / "files").mkdir(parents=True, exist_ok=True)
    siblings = []
    for name, content in (files or {}).items():
        data = content.encode() if isinstance(content, str) else content
        path = repo / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        siblings.append({"rfilename": name, "size": len(data),
                         "blobId": hashlib.sha1(data).hexdigest()})
    siblings.extend({"rfilename": n, "size": 10} for n in extra_siblings)
    info: dict[str, Any] = {
        "id": repo_id, "modelId": repo_id, "author": repo_id.split("/")[0],
        "sha": fake_sha(repo_id), "private": False, "gated": False, "downloads": 1,
        "likes": 0, "createdAt": "2024-01-01T00:00:00.000Z",
        "lastModified": "2024-01-01T00:00:00.000Z", "library_name": "transformers",
        "tags": list(tags), "siblings": siblings,
    }
    if card is not None:
        info["cardData"] = card
    if config is not None:
        info["config"] = config
    info.update(info_overrides or {})
    (repo / "info.json").write_text(json.dumps(info))
    return repo


def add_error(root: Path, repo_id: str, status: int = 404, reason: str = "not-found") -> None:
    repo = root / "models" / dir_name(repo_id)
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "error.json").write_text(json.dumps({"status": status, "reason": reason,
                                                 "message": f"{repo_id}: {reason}"}))


def write_folder(path: Path, files: Mapping[str, bytes | str]) -> Path:
    """A local model folder with these files."""
    path.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        p = path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def card_text(front: str, body: str = "# Model\n") -> str:
    return f"---\n{front.rstrip()}\n---\n{body}"


# -- nasty documents --------------------------------------------------------------------------
BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    + ["base_model: org/base"]
)
PYTHON_TAG = "base_model: !!python/object/apply:os.system ['touch {marker}']\nlicense: mit\n"
DUPLICATE_KEYS = "base_model: org/first\nbase_model: org/second\nlicense: mit\n"
WRONG_TYPES = ("base_model: {evil: dict}\nlicense: [mit, 7]\ndatasets: 12\n"
               "base_model_relation: [merge]\ntags: 5\n")


def deep_json(levels: int, *, key: str = "a") -> str:
    """A JSON object nested ``levels`` deep, built without recursion."""
    return ('{"' + key + '":') * levels + "1" + "}" * levels


# -- running the CLI --------------------------------------------------------------------------
@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], capsys: Any) -> CliRun:
    """``sbom.cli.main(args)`` in-process, with what it printed."""
    from sbom.cli import main

    capsys.readouterr()
    code = main(args)
    out = capsys.readouterr()
    return CliRun(code, out.out, _without_server_noise(out.err))


_SERVER_NOISE = re.compile(r"-{40}\nException occurred during processing of request.*?\n-{40}\n",
                           re.S)


def _without_server_noise(stderr: str) -> str:
    """Drop what the fake Hub's server threads print when a client hangs up on them (a
    timed-out or retried request): that is the test server talking, not mlbom."""
    return _SERVER_NOISE.sub("", stderr)


def cli_subprocess(args: list[str], *, timeout: float = 60.0,
                   env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m sbom.cli ARGS`` in a new process (not waited for)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sbom.cli", *args], cwd=REPO_ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def properties_of(component: Mapping[str, Any], name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p.get("name") == name]


def components_by_ref(bom: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every component with a bom-ref, the metadata component included."""
    out: dict[str, dict[str, Any]] = {}
    stack = [bom["metadata"]["component"], *bom.get("components", [])]
    while stack:
        c = stack.pop()
        if "bom-ref" in c:
            out[c["bom-ref"]] = c
        stack.extend(c.get("components", []))
    return out


def assert_no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "internal error" not in stderr, stderr


def generate(capsys: Any, target: str | Path, out: Path, *args: str
             ) -> tuple[CliRun, dict[str, Any]]:
    """``mlbom generate TARGET -o OUT ARGS`` in-process; the run and the BOM it wrote."""
    run = run_cli(["generate", str(target), "-o", str(out), "-q", *args], capsys)
    assert_no_traceback(run.stderr)
    bom = json.loads(out.read_text("utf-8")) if out.exists() else {}
    return run, bom


def depends_on(bom: Mapping[str, Any], ref: str) -> list[str]:
    for dep in bom.get("dependencies", []):
        if dep["ref"] == ref:
            return list(dep.get("dependsOn", []))
    raise KeyError(ref)


def problems(component: Mapping[str, Any]) -> list[str]:
    return properties_of(component, "mlbom:lineage:problem")


def unresolved(component: Mapping[str, Any]) -> list[str]:
    return properties_of(component, "mlbom:lineage:unresolved")
