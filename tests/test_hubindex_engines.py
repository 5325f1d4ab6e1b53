"""The same index on SQLite and on PostgreSQL: dump builds, Hub builds and walks agree."""

from __future__ import annotations

import json
from pathlib import Path

import pgserver
from conftest import MakeFakeHub
from test_hubindex_build import _family_lines
from test_hubindex_hub import _write_mirror

from lineage.hubindex import IndexHit, ancestors, build_index_from_file, build_index_from_hub
from lineage.hubindex import descendants as walk_down

db_url = pgserver.db_url
postgres_url = pgserver.postgres_url


def test_dump_build_and_walks(db_url: str, tmp_path: Path) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(_family_lines()) + "\n", encoding="utf-8")
    stats = build_index_from_file(db_url, dump)
    assert (stats.listed, stats.edges) == (10, 9)
    assert [(h.depth, h.model_id, h.relation) for h in walk_down(db_url, "org/base")] == [
        (1, "a/FT", "finetune"), (1, "b/lora", "adapter"), (1, "e/plain", "unknown"),
        (2, "c/q", "quantized"), (2, "d/merge", "merge")]
    assert walk_down(db_url, "x/one") == [IndexHit(1, "x/two", "finetune", "x/one")]
    # A second build replaces the first one.
    dump.write_text(json.dumps({"id": "Solo/Model", "tags": []}) + "\n")
    assert build_index_from_file(db_url, dump).models == 1


def test_hub_build_with_resume(db_url: str, tmp_path: Path, make_fake_hub: MakeFakeHub) -> None:
    expected = _write_mirror(tmp_path / "mirror")
    hub = make_fake_hub(root=tmp_path / "mirror", page_size=5)
    first = build_index_from_hub(db_url, hub.endpoint, None, None, limit=12)
    assert not first.complete
    done = build_index_from_hub(db_url, hub.endpoint, None, None)
    assert done.resumed and done.complete and done.models == 36
    for base, kids in expected.items():
        assert sorted(h.model_id for h in walk_down(db_url, base)) == sorted(kids)
    assert [h.model_id for h in ancestors(db_url, "quant0/R1-grand-0")] == [
        "user0/R1-child-0", "Root1/Base-1"]
