"""Listing caps never hide a pickle: listings are filtered by weight-like name before they
are capped, and every cap hit is a problem on the node (generated inputs, through the CLI)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

from hostile import (
    add_model,
    card_text,
    components_by_ref,
    generate,
    new_mirror,
    problems,
    properties_of,
    write_folder,
)

from lineage.sources.apijson import MAX_SIBLINGS
from lineage.sources.local import MAX_LOCAL_FILES


class _SystemCall:
    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, ("true",))


def test_a_pickle_after_200000_local_files_is_still_scanned(tmp_path: Path,
                                                             capsys: Any) -> None:
    folder = write_folder(tmp_path / "crowded", {"README.md": card_text("license: mit")})
    for d in range(200):
        sub = folder / f"d{d:03d}"
        sub.mkdir()
        for i in range(1000):
            (sub / f"n{i:04d}.txt").touch()
    (folder / "zzz").mkdir()
    (folder / "zzz" / "evil.pkl").write_bytes(pickle.dumps(_SystemCall()))
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    target = components_by_ref(bom)["local:crowded"]
    findings = properties_of(target, "mlbom:finding")
    assert any(f.startswith("dangerous-pickle-import error zzz/evil.pkl") for f in findings)
    cut = [p for p in problems(target) if f"only the first {MAX_LOCAL_FILES}" in p]
    assert cut and "200000 other files" in cut[0], problems(target)
    assert properties_of(target, "mlbom:weights:unsafe-format") == ["true"]
    assert not any(f.startswith("weights-not-fully-checked") for f in findings)


def test_a_pickle_after_100000_hub_siblings_is_still_listed(tmp_path: Path, capsys: Any,
                                                            make_fake_hub: Any) -> None:
    root = new_mirror(tmp_path / "hub")
    crowd = [f"docs/page{i:06d}.md" for i in range(100_000)]
    add_model(root, "org/crowded", card={"license": "mit"}, extra_siblings=[
        *crowd, "model.safetensors", "zzz/evil.bin"])
    hub = make_fake_hub(root=root)
    run, bom = generate(capsys, "org/crowded", tmp_path / "bom.json", "--endpoint",
                        hub.endpoint, "--no-cache")
    assert run.code == 0, run.stderr
    target = bom["metadata"]["component"]
    assert sorted(properties_of(target, "mlbom:weights:format")) == ["pickle", "safetensors"]
    files = {c["name"] for c in target.get("components", [])}
    assert "zzz/evil.bin" in files
    assert any(f"only the first {MAX_SIBLINGS} are listed" in p for p in problems(target)), \
        problems(target)


def test_a_cut_weight_listing_marks_the_weights_not_fully_checked(tmp_path: Path) -> None:
    """Past the weight-file cap itself, the node says its weights were not fully checked."""
    from lineage.sources import apijson

    names = [{"rfilename": f"w{i}.bin"} for i in range(12)]
    old = apijson.MAX_WEIGHT_SIBLINGS
    apijson.MAX_WEIGHT_SIBLINGS = 10
    try:
        snap = apijson.snapshot_from_api({"id": "o/m", "siblings": names}, repo_id="o/m")
    finally:
        apijson.MAX_WEIGHT_SIBLINGS = old
    assert not snap.listing_complete and len(snap.siblings) == 10
    assert any("not fully checked" in p for p in snap.problems)
    assert json.dumps(snap.problems)  # plain strings, ready for the BOM


def test_metadata_files_after_the_cap_still_give_the_lineage(tmp_path: Path,
                                                             capsys: Any) -> None:
    folder = write_folder(tmp_path / "crowded-root", {
        "README.md": card_text("license: mit"),
        "adapter_config.json": json.dumps({"base_model_name_or_path": "org/base",
                                           "peft_type": "LORA"}),
    })
    for i in range(MAX_LOCAL_FILES + 500):  # all sort before adapter_config.json
        (folder / f"a{i:06d}.txt").touch()
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    assert "model:org/base" in components_by_ref(bom)
    target = components_by_ref(bom)["local:crowded-root"]
    assert any("other files" in p for p in problems(target)), problems(target)


def test_lineage_tags_are_kept_before_the_tag_cap() -> None:
    from lineage.sources.apijson import MAX_TAGS, snapshot_from_api

    tags = [f"tag-{i}" for i in range(MAX_TAGS + 100)] + ["base_model:org/parent"]
    snap = snapshot_from_api({"id": "o/m", "tags": tags}, repo_id="o/m")
    assert "base_model:org/parent" in snap.tags
    assert any(f"only the first {MAX_TAGS} are kept" in p for p in snap.problems)
