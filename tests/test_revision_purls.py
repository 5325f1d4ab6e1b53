"""A merge that names one parent repo at several revisions: each revision is its own component
with its own purl, also when nothing was read (``--offline``) or only one revision is in the
mirror. Two components with one purl are one package to every purl consumer: ``mlbom merge``
(which deduplicates by purl) would keep only one of them, and an advisory for one commit would
seem to match both.

The card is the real DPOpenHermes-11B recipe (``tests/corpus/revision-dpopenhermes-self-
passthrough``, see its SOURCE.json), with a third source pinned to a commit hash added.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sbom.cli import main
from tests.conftest import REPO_ROOT

CORPUS = REPO_ROOT / "tests" / "corpus" / "revision-dpopenhermes-self-passthrough"
APP = REPO_ROOT / "tests" / "data" / "app_sbom" / "mlbom-env.cdx-1.6.json"
BASE = "openaccess-ai-collective/DPOpenHermes-7B"
PINNED = "0123456789abcdef0123456789abcdef01234567"
HEAD_SHA = "89abcdef0123456789abcdef0123456789abcdef"


def _card(tmp_path: Path) -> Path:
    folder = tmp_path / "DPOpenHermes-11B"
    folder.mkdir()
    text = (CORPUS / "README.md").read_text("utf-8")
    extra = (f"  - sources:\n    - model: {BASE}\n      revision: {PINNED.upper()}\n"
             "      layer_range: [24, 32]\nmerge_method:")
    (folder / "README.md").write_text(text.replace("merge_method:", extra, 1), "utf-8")
    return folder


def _base_purls(bom: dict[str, Any]) -> dict[str, str]:
    return {c["bom-ref"]: c["purl"] for c in bom["components"] if c.get("name") == BASE}


def _generate(args: list[str], out: Path) -> dict[str, Any]:
    assert main(["generate", *args, "-q", "-o", str(out)]) == 0
    return dict(json.loads(out.read_text("utf-8")))


def test_offline_each_revision_has_its_own_purl(tmp_path: Path) -> None:
    bom = _generate([str(_card(tmp_path)), "--offline"], tmp_path / "bom.json")
    purls = _base_purls(bom)
    assert sorted(purls.values()) == sorted([
        "pkg:huggingface/openaccess-ai-collective/DPOpenHermes-7B",
        # a commit that was not read is still exactly known (the purl type lower-cases it)
        f"pkg:huggingface/openaccess-ai-collective/DPOpenHermes-7B@{PINNED}",
        # a branch name is no purl version: the standard vcs_url qualifier carries it
        "pkg:huggingface/openaccess-ai-collective/DPOpenHermes-7B"
        "?vcs_url=git%2Bhttps://huggingface.co/openaccess-ai-collective/DPOpenHermes-7B%40dpo-v0",
    ])
    # mlbom merge deduplicates by purl: all three revisions must survive it
    out = tmp_path / "merged.json"
    assert main(["merge", str(APP), str(tmp_path / "bom.json"), "-o", str(out)]) == 0
    merged = json.loads(out.read_text("utf-8"))
    assert set(_base_purls(merged)) == set(purls)


def test_from_a_mirror_holding_one_revision(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    repo = mirror / "models" / BASE.replace("/", "--")
    (repo / "files").mkdir(parents=True)
    (repo / "info.json").write_text(json.dumps({
        "id": BASE, "modelId": BASE, "sha": HEAD_SHA, "siblings": [], "tags": [],
        "cardData": {"license": "apache-2.0"}}), "utf-8")
    (mirror / "mirror.json").write_text(json.dumps(
        {"format": "mlbom-mirror/1", "targets": [BASE], "complete": True}), "utf-8")
    bom = _generate([str(_card(tmp_path)), "--hub-mirror", str(mirror)], tmp_path / "bom.json")
    purls = _base_purls(bom)
    assert len(purls) == 3 and len(set(purls.values())) == 3, purls
    assert f"pkg:huggingface/{BASE}@{HEAD_SHA}" in purls.values()
    assert f"pkg:huggingface/{BASE}@{PINNED}" in purls.values()
