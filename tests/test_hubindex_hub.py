"""Building the Hub-wide index by paging the (fake) Hub's model listing, and resuming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import MakeFakeHub
from fakehub import FaultRule

from lineage.errors import HubError
from lineage.hubindex import ancestors, build_index_from_hub, descendants

RELATIONS = ("finetune", "adapter", "quantized", "merge")


def _write_mirror(root: Path) -> dict[str, list[str]]:
    """Three roots, each with 11 derived models (some grandchildren): 36 models. Returns the
    expected descendants of each root."""
    (root / "models").mkdir(parents=True)
    (root / "mirror.json").write_text(json.dumps({"format": "mlbom-mirror/1", "targets": []}))
    expected: dict[str, list[str]] = {}

    def add(model_id: str, parents: list[str], relation: str | None, via_tags: bool) -> None:
        tags = ["transformers", "safetensors"]
        for p in parents:
            tags += [f"base_model:{p}", f"base_model:{relation}:{p}"]
        info: dict[str, object] = {
            "id": model_id, "sha": f"{abs(hash(model_id)) % 10**40:040d}", "tags": tags,
            "author": model_id.split("/")[0], "siblings": [], "private": False,
            "downloads": 1, "likes": 0,
        }
        if parents and not via_tags:
            info["baseModels"] = {"relation": relation, "models": [{"id": p} for p in parents]}
        folder = root / "models" / model_id.replace("/", "--")
        folder.mkdir()
        (folder / "info.json").write_text(json.dumps(info))

    for r in range(3):
        base = f"Root{r}/Base-{r}"
        add(base, [], None, False)
        kids = []
        for k in range(8):
            rel = RELATIONS[k % 4]
            child = f"user{k}/R{r}-child-{k}"
            parents = [base, "Root0/Base-0"] if rel == "merge" and r else [base]
            add(child, parents, rel, via_tags=k % 3 == 0)
            kids.append(child)
        for g in range(3):
            grand = f"quant{g}/R{r}-grand-{g}"
            add(grand, [kids[g]], "quantized", via_tags=False)
            kids.append(grand)
        expected[base] = kids
    # Merges of the other roots also derive from Root0/Base-0.
    expected["Root0/Base-0"] += [
        c for r in (1, 2) for c in expected[f"Root{r}/Base-{r}"] if c.split("-")[-1] in "37"
        and "child" in c
    ]
    return expected


def _listing_requests(hub: object) -> list[str]:
    paths: list[str] = [q.path for q in hub.requests]  # type: ignore[attr-defined]
    return [p for p in paths if p.startswith("/api/models?")]


def test_hub_build_matches_the_mirror(tmp_path: Path, make_fake_hub: MakeFakeHub) -> None:
    expected = _write_mirror(tmp_path / "mirror")
    hub = make_fake_hub(root=tmp_path / "mirror", page_size=7)
    db = f"sqlite:///{tmp_path / 'index.db'}"
    stats = build_index_from_hub(db, hub.endpoint, None, None)
    assert (stats.complete, stats.resumed, stats.listed, stats.models) == (True, False, 36, 36)
    assert len(_listing_requests(hub)) == 6  # 36 models, 7 a page
    for base, kids in expected.items():
        assert sorted(h.model_id for h in descendants(db, base)) == sorted(kids)
    assert [(h.depth, h.model_id, h.relation) for h in ancestors(db, "quant1/R2-grand-1")] == [
        (1, "user1/R2-child-1", "quantized"), (2, "Root2/Base-2", "adapter")]


def test_interrupted_hub_build_resumes_where_it_stopped(
    tmp_path: Path, make_fake_hub: MakeFakeHub
) -> None:
    expected = _write_mirror(tmp_path / "mirror")
    # The third page fails once; the build stops there and keeps the first two pages.
    fault = FaultRule(path=r"^/api/models\?.*cursor=", action=500, times=2)
    hub = make_fake_hub(root=tmp_path / "mirror", page_size=7, faults=[fault])
    db = f"sqlite:///{tmp_path / 'index.db'}"
    with pytest.raises(HubError, match="run the same command again to resume"):
        build_index_from_hub(db, hub.endpoint, None, None, max_retries=1)
    first_run = _listing_requests(hub)
    assert len(first_run) == 3  # page 1, then page 2 failed twice (one retry)

    stats = build_index_from_hub(db, hub.endpoint, None, None, max_retries=0)
    second_run = _listing_requests(hub)[len(first_run):]
    assert stats.resumed and stats.complete
    assert stats.listed == 36 - 7  # page 1 was not fetched again
    assert len(second_run) == 5
    assert "cursor=" in second_run[0]
    for base, kids in expected.items():
        assert sorted(h.model_id for h in descendants(db, base)) == sorted(kids)


def test_limit_stops_early_and_the_next_call_finishes(
    tmp_path: Path, make_fake_hub: MakeFakeHub
) -> None:
    expected = _write_mirror(tmp_path / "mirror")
    hub = make_fake_hub(root=tmp_path / "mirror", page_size=7)
    db = f"sqlite:///{tmp_path / 'index.db'}"
    partial = build_index_from_hub(db, hub.endpoint, None, None, limit=10)
    assert (partial.listed, partial.complete) == (10, False)
    rest = build_index_from_hub(db, hub.endpoint, None, None)
    assert rest.resumed and rest.complete
    assert rest.models == 36
    for base, kids in expected.items():
        assert sorted(h.model_id for h in descendants(db, base)) == sorted(kids)
