"""A repo renamed on the Hub: the Hub answers the old id with a 307 to the new one.

A supply-chain record names the repo that was read (the new id, in name and purl), keeps the id
that was declared as ``mlbom:lineage:renamed-from``, and says on the node that the card should
declare the new id (the old one can be registered again by anyone: repo-jacking). The same
holds from the cache, and through a mirror written from such a run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import HUB_SNAPSHOT
from tests.hostile import components_by_ref, properties_of, run_cli

OLD, NEW = "mistralai/Mistral-7B-v0.3", "mistral-community/Mistral-7B-v0.3"
CHILD = "mistralai/Mistral-7B-Instruct-v0.3"
SHA = "27fa85f37acc62783800b9c3fb46344a95cc30a4"


def _renamed_hub(tmp_path: Path) -> Path:
    """The bundled snapshot with the base moved to a new org and a redirect left behind."""
    root = tmp_path / "hub"
    shutil.copytree(HUB_SNAPSHOT, root)
    models = root / "models"
    moved = models / "mistral-community--Mistral-7B-v0.3"
    (models / "mistralai--Mistral-7B-v0.3").rename(moved)
    info = json.loads((moved / "info.json").read_text("utf-8"))
    info["id"] = info["modelId"] = NEW
    (moved / "info.json").write_text(json.dumps(info), "utf-8")
    (models / "mistralai--Mistral-7B-v0.3").mkdir()
    (models / "mistralai--Mistral-7B-v0.3" / "redirect.json").write_text(json.dumps({"to": NEW}))
    return root


def _base_component(bom: dict[str, Any]) -> dict[str, Any]:
    [base] = [c for c in components_by_ref(bom).values()
              if c.get("name") in (OLD, NEW) and "purl" in c]
    return base


def _check_renamed(bom: dict[str, Any]) -> None:
    base = _base_component(bom)
    assert base["name"] == NEW
    assert base["purl"] == f"pkg:huggingface/{NEW}@{SHA}"
    assert properties_of(base, "mlbom:lineage:renamed-from") == [OLD]
    [problem] = [p for p in properties_of(base, "mlbom:lineage:problem") if "renamed" in p]
    assert f"{OLD} redirects to {NEW}" in problem and f"declare {NEW}" in problem
    # no component names the old id any more
    assert not [c for c in components_by_ref(bom).values() if f"/{OLD}@" in c.get("purl", "")]


def test_a_renamed_parent_is_recorded_under_the_id_the_hub_answered(
        make_fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    hub = make_fake_hub(_renamed_hub(tmp_path))
    out = tmp_path / "bom.json"
    for run in ("cold", "cached"):
        res = run_cli(["generate", CHILD, "--endpoint", hub.endpoint, "-o", str(out)], capsys)
        assert res.code == 0, (run, res.stderr)
        _check_renamed(json.loads(out.read_text("utf-8")))
    assert f"{OLD} redirects to {NEW}" in res.stderr
    # once the rename is known, files are read under the new id: only the early reads sent
    # with the metadata (by branch, before the answer came) meet the redirect
    late = [r for r in hub.requests if r.kind == "file" and f"/resolve/{SHA}/" in r.path]
    assert late and all(r.repo_id == NEW and r.status != 307 for r in late)


def test_a_renamed_target_and_a_mirror_of_it(make_fake_hub: Any, tmp_path: Path,
                                             capsys: Any) -> None:
    hub = make_fake_hub(_renamed_hub(tmp_path))
    res = run_cli(["generate", OLD, "--endpoint", hub.endpoint, "--no-cache",
                   "-o", str(tmp_path / "t.json")], capsys)
    assert res.code == 0, res.stderr
    bom = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert bom["metadata"]["component"]["purl"] == f"pkg:huggingface/{NEW}@{SHA}"
    assert properties_of(bom["metadata"]["component"], "mlbom:lineage:renamed-from") == [OLD]

    mirror = tmp_path / "mirror"
    res = run_cli(["mirror", CHILD, "--endpoint", hub.endpoint,
                   "-o", str(mirror)], capsys)
    assert res.code == 0, res.stderr
    assert json.loads((mirror / "models" / "mistralai--Mistral-7B-v0.3" / "redirect.json")
                      .read_text("utf-8")) == {"to": NEW}
    res = run_cli(["generate", CHILD, "--hub-mirror", str(mirror),
                   "-o", str(tmp_path / "m.json")], capsys)
    assert res.code == 0, res.stderr
    _check_renamed(json.loads((tmp_path / "m.json").read_text("utf-8")))


def test_an_advisory_naming_the_old_id_still_matches(make_fake_hub: Any, tmp_path: Path,
                                                      capsys: Any) -> None:
    hub = make_fake_hub(_renamed_hub(tmp_path))
    advisory = tmp_path / "osv.json"
    advisory.write_text(json.dumps({
        "id": "MLBOM-TEST-RENAMED", "modified": "2026-01-01T00:00:00Z",
        "summary": "published before the rename",
        "affected": [{"package": {"ecosystem": "Hugging Face", "name": OLD,
                                  "purl": f"pkg:huggingface/{OLD}"}}]}), "utf-8")
    run = run_cli(["check", CHILD, "--endpoint", hub.endpoint, "--advisories", str(advisory),
                   "--format", "json"], capsys)
    kinds = [f["kind"] for f in json.loads(run.stdout)["findings"]]
    assert "advisory" in kinds, run.stdout
    assert run.code == 1
