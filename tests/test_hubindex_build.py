"""The Hub-wide index built from a dump: what users query, and what they see for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.errors import InputError, StoreError
from lineage.hubindex import (
    IndexHit,
    ancestors,
    build_index_from_file,
    descendants,
)
from sbom.views.index_hits import render_hits


def _line(model_id: str, base: dict[str, object] | None = None,
          tags: list[str] | None = None) -> str:
    rec: dict[str, object] = {"id": model_id, "tags": ["transformers", *(tags or [])]}
    if base is not None:
        rec["baseModels"] = base
    return json.dumps(rec)


def _family_lines() -> list[str]:
    """Org/Base with a fine-tune, an adapter (tags only, parent in lower case), a bare-tag
    child, a quantization of the fine-tune and a merge of the fine-tune with another root;
    plus a two-model loop and a model that names itself."""
    return [
        _line("Org/Base"),
        _line("Other/Root"),
        _line("a/FT", {"relation": "finetune", "models": [{"id": "Org/Base"}]},
              ["base_model:Org/Base", "base_model:finetune:Org/Base"]),
        _line("b/lora", None, ["base_model:org/base", "base_model:adapter:org/base"]),
        _line("e/plain", None, ["base_model:Org/Base"]),
        _line("c/q", {"relation": "quantized", "models": [{"id": "a/ft"}]}),
        _line("d/merge", {"relation": "merge", "models": [{"id": "a/FT"}, {"id": "Other/Root"}]}),
        _line("x/one", {"relation": "finetune", "models": [{"id": "x/two"}]}),
        _line("x/two", {"relation": "finetune", "models": [{"id": "x/one"}]}),
        _line("s/self", {"relation": "finetune", "models": [{"id": "s/self"}]}),
    ]


@pytest.fixture
def family_db(tmp_path: Path) -> str:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(_family_lines()) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'index.db'}"
    stats = build_index_from_file(db, dump)
    assert (stats.listed, stats.malformed) == (10, 0)
    return db


def test_descendants_have_depth_relation_and_via(family_db: str) -> None:
    hits = descendants(family_db, "ORG/BASE")
    assert hits == [
        IndexHit(1, "a/FT", "finetune", "Org/Base"),
        IndexHit(1, "b/lora", "adapter", "Org/Base"),
        IndexHit(1, "e/plain", "unknown", "Org/Base"),
        IndexHit(2, "c/q", "quantized", "a/FT"),
        IndexHit(2, "d/merge", "merge", "a/FT"),
    ]


def test_depth_limit_and_relation_filter(family_db: str) -> None:
    assert [h.model_id for h in descendants(family_db, "Org/Base", max_depth=1)] == [
        "a/FT", "b/lora", "e/plain"]
    assert [h.model_id for h in descendants(family_db, "Org/Base",
                                            relations={"finetune", "merge"})] == [
        "a/FT", "d/merge"]


def test_ancestors_walk_up_to_every_root(family_db: str) -> None:
    assert ancestors(family_db, "d/merge") == [
        IndexHit(1, "a/FT", "merge", "d/merge"),
        IndexHit(1, "Other/Root", "merge", "d/merge"),
        IndexHit(2, "Org/Base", "finetune", "a/FT"),
    ]
    assert ancestors(family_db, "Org/Base") == []


def test_cycles_end_the_walk(family_db: str) -> None:
    assert descendants(family_db, "x/one") == [IndexHit(1, "x/two", "finetune", "x/one")]
    assert ancestors(family_db, "x/one") == [IndexHit(1, "x/two", "finetune", "x/one")]
    assert descendants(family_db, "s/self") == []
    assert ancestors(family_db, "s/self") == []


def test_unknown_model_and_missing_index_are_errors(family_db: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not in the Hub index"):
        descendants(family_db, "nobody/nothing")
    with pytest.raises(InputError, match="not a valid Hub repo id"):
        descendants(family_db, "../etc/passwd")
    with pytest.raises(StoreError, match="mlbom index build"):
        ancestors(f"sqlite:///{tmp_path / 'absent.db'}", "Org/Base")


def test_malformed_lines_are_reported_by_number(tmp_path: Path) -> None:
    lines = _family_lines()
    lines[2:2] = ['{"id": "broken/json", ', '["not", "an", "object"]', '{"tags": []}', ""]
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'index.db'}"
    stats = build_index_from_file(db, dump)
    assert stats.malformed == 3
    assert stats.problems[0] == "line 3: not valid JSON"
    assert stats.problems[1].startswith("line 4: expected a JSON object")
    assert stats.problems[2].startswith("line 5: no valid model id")
    assert stats.listed == 10
    assert len(descendants(db, "Org/Base")) == 5


def test_rebuild_replaces_the_index(family_db: str, tmp_path: Path) -> None:
    dump = tmp_path / "second.jsonl"
    dump.write_text(_line("New/Base") + "\n" + _line(
        "n/child", {"relation": "adapter", "models": [{"id": "New/Base"}]}) + "\n")
    build_index_from_file(family_db, dump)
    assert descendants(family_db, "new/base") == [IndexHit(1, "n/child", "adapter", "New/Base")]
    with pytest.raises(InputError):
        descendants(family_db, "Org/Base")


def test_parquet_dump(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    records = [json.loads(line) for line in _family_lines()]
    table = pa.table({
        "id": [r["id"] for r in records],
        "tags": [r["tags"] for r in records],
        "baseModels": [json.dumps(r["baseModels"]) if "baseModels" in r else None
                       for r in records],
    })
    pq.write_table(table, tmp_path / "dump.parquet")
    db = f"sqlite:///{tmp_path / 'index.db'}"
    stats = build_index_from_file(db, tmp_path / "dump.parquet")
    assert stats.listed == 10
    assert [(h.depth, h.model_id, h.relation) for h in ancestors(db, "c/q")] == [
        (1, "a/FT", "quantized"), (2, "Org/Base", "finetune")]


def test_render_table_and_json(family_db: str) -> None:
    hits = descendants(family_db, "Org/Base")
    doc = json.loads(render_hits(hits, model_id="Org/Base", direction="descendants", fmt="json"))
    assert doc["count"] == 5
    assert doc["by_relation"] == {"adapter": 1, "finetune": 1, "merge": 1, "quantized": 1,
                                  "unknown": 1}
    assert doc["hits"][3] == {"model": "c/q", "depth": 2, "relation": "quantized", "via": "a/FT"}
    table = render_hits(hits, model_id="Org/Base", direction="descendants")
    lines = table.splitlines()
    assert lines[0].split() == ["DEPTH", "RELATION", "MODEL", "VIA"]
    assert lines[4].split() == ["2", "quantized", "c/q", "a/FT"]
    assert lines[-1].startswith("5 descendants of Org/Base")
    assert "\x1b" not in table


def test_index_tables_never_carry_terminal_controls() -> None:
    """Defence in depth: whatever an index holds, the table a person reads has no escape
    sequences and the JSON stays valid with the same data."""
    import json as _json

    from lineage.hubindex import IndexHit
    from sbom.views.index_hits import render_hits

    evil = "org/x\x1b]0;pwned\x07\x1b[2J\u202e"
    hits = [IndexHit(model_id=evil, depth=1, relation="finetune\x9b", via="org/base")]
    table = render_hits(hits, model_id=evil, direction="descendants")
    assert not any(c in table for c in "\x1b\x07\x9b\u202e")
    doc = _json.loads(render_hits(hits, model_id=evil, direction="descendants", fmt="json"))
    assert doc["hits"][0]["model"] == evil  # the data is kept, escaped
