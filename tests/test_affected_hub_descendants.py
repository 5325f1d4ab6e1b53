"""``mlbom affected MODEL --hub-descendants``: the real huggingface_hub client walks the fake
Hub's model tree (``base_model:`` tags) level by level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage.errors import HubError
from sbom.inventory.hub_descendants import hub_descendants
from sbom.inventory.render import render_descendants


def _rows(found: list) -> list[tuple[str, str, str, int]]:
    return [(d.repo_id, d.parent, d.relation, d.depth) for d in found]


def test_qwen_tree_is_walked_breadth_first_with_relation_and_depth(fake_hub: Any) -> None:
    found = hub_descendants("Qwen/Qwen2.5-7B", endpoint=fake_hub.endpoint)
    assert _rows(found) == [
        ("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B", "finetune", 1),
        ("acme/Qwen2.5-7B-Math-SFT", "Qwen/Qwen2.5-7B-Instruct", "finetune", 2),
        # a merge of Instruct and Math-SFT: reported once, at its smallest depth
        ("contoso/Qwen2.5-7B-Ties-Mix", "Qwen/Qwen2.5-7B-Instruct", "merge", 2),
        ("contoso/ReviewBot-7B", "Qwen/Qwen2.5-7B-Instruct", "finetune", 2),
        ("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-7B-Instruct", "quantized", 2),
        ("acme/qwen2.5-7b-gptq-lora", "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "adapter", 3),
    ]
    assert all(d.sha for d in found)


def test_limit_caps_the_results_and_keeps_level_order(fake_hub: Any) -> None:
    full = _rows(hub_descendants("Qwen/Qwen2.5-7B", endpoint=fake_hub.endpoint))
    capped = _rows(hub_descendants("Qwen/Qwen2.5-7B", endpoint=fake_hub.endpoint, limit=3))
    assert len(capped) == 3 and set(capped) <= set(full)
    assert capped[0] == full[0]  # the whole first level comes before any of the second
    assert [d for *_, d in capped] == sorted(d for *_, d in capped)


@pytest.mark.parametrize("model", ["acme/Ouroboros-A", "acme/Narcissus-7B"])
def test_cycles_in_the_hub_tree_end_the_walk(fake_hub: Any, model: str) -> None:
    found = hub_descendants(model, endpoint=fake_hub.endpoint)
    assert model not in [d.repo_id for d in found]
    assert len(found) <= 1


def _model(root: Path, repo_id: str, tags: list[str]) -> None:
    folder = root / "models" / repo_id.replace("/", "--")
    folder.mkdir(parents=True)
    info = {"id": repo_id, "sha": "0" * 40, "tags": tags, "downloads": 7, "siblings": []}
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")


def test_pages_are_followed_and_untagged_relations_are_unknown(
    make_fake_hub: Any, tmp_path: Path
) -> None:
    _model(tmp_path, "found/Base", [])
    for i in range(7):
        _model(tmp_path, f"kids/ft-{i}", ["base_model:found/Base",
                                          "base_model:finetune:found/Base"])
    _model(tmp_path, "kids/mystery", ["base_model:found/Base"])
    _model(tmp_path, "grand/child", ["base_model:kids/mystery", "base_model:adapter:kids/mystery"])
    hub = make_fake_hub(root=tmp_path, page_size=3)
    found = hub_descendants("found/Base", endpoint=hub.endpoint, workers=2)
    assert [(d.repo_id, d.relation, d.depth) for d in found][-3:] == [
        ("kids/ft-6", "finetune", 1), ("kids/mystery", "unknown", 1),
        ("grand/child", "adapter", 2)]
    assert len(found) == 9 and found[0].downloads == 7
    doc = json.loads(render_descendants("found/Base", found, "json"))
    assert doc["descendants"][-1] == {
        "repo_id": "grand/child", "parent": "kids/mystery", "relation": "adapter",
        "depth": 2, "sha": "0" * 40, "downloads": 7}


def test_a_hub_refusing_the_listing_is_a_hub_error(make_fake_hub: Any) -> None:
    hub = make_fake_hub(faults=[{"path": r"^/api/models\?", "action": 403, "times": 10}])
    with pytest.raises(HubError, match=r"Qwen/Qwen2.5-7B: .*HTTP 403"):
        hub_descendants("Qwen/Qwen2.5-7B", endpoint=hub.endpoint)
