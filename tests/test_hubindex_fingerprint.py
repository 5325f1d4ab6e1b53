"""Fingerprints in the Hub-wide index (issue 17): built from the listing by both build paths,
on SQLite and PostgreSQL, queried by ``mlbom index same-fingerprint``, and used by a run to
suspect the parent a model does not declare; near misses never match; an old index is a clear
error."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pgserver
import pytest
from conftest import MakeFakeHub

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "fixtures"))

from fingerprint_hub import (  # noqa: E402
    EXPECTED_SUSPECTS,
    LLAMA31_8B,
    LLAMA31_8B_PARAMS,
    LLAMA32_3B,
    LLAMA32_3B_PARAMS,
    LLAMA_FP,
    header_params,
    write_fingerprint_hub,
)

from lineage.errors import StoreError  # noqa: E402
from lineage.hubindex import (  # noqa: E402
    build_index_from_file,
    build_index_from_hub,
    descendants,
    listing_fingerprint,
    meta_fingerprint,
    same_fingerprint,
)
from lineage.pipeline import RunOptions, build_graph  # noqa: E402
from sbom.cli import main  # noqa: E402
from sbom.cyclonedx import graph_to_cyclonedx_json  # noqa: E402

db_url = pgserver.db_url
postgres_url = pgserver.postgres_url
EXPAND = ["baseModels", "tags", "config", "safetensors", "createdAt"]
RECORDINGS = REPO / "tests" / "hub_recordings"


@pytest.fixture(scope="module")
def fp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fingerprints") / "hub"
    write_fingerprint_hub(root)
    return root


@pytest.fixture(scope="module")
def sqlite_index(fp_root: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index built by paging the fake Hub serving ``fp_root`` (the real client)."""
    from fakehub import FakeHub

    url = f"sqlite:///{tmp_path_factory.mktemp('index') / 'index.db'}"
    with FakeHub(fp_root, page_size=4) as hub:
        build_index_from_hub(url, hub.endpoint, None)
    return url


def _ids(matches: Any) -> list[str]:
    return [h.model_id for h in matches.hits]


# -- what a fingerprint is ---------------------------------------------------------------------
def test_fingerprints_of_real_recorded_hub_answers() -> None:
    def fp(name: str) -> str | None:
        return listing_fingerprint(json.loads((RECORDINGS / name).read_text("utf-8")))

    assert fp("google-bert--bert-base-uncased.json") == \
        "safetensors:bert:BertForMaskedLM:F32=110106428"
    assert fp("deepset--roberta-base-squad2.json") == \
        "safetensors:roberta:RobertaForQuestionAnswering:F32=124056578,I64=514"
    # a diffusers pipeline: the Hub gives no safetensors counts, so no fingerprint
    assert fp("stabilityai--stable-diffusion-2-1.json") is None


def test_header_counts_equal_the_hubs_counts_for_real_shapes() -> None:
    """The run side sums a header's shapes; the listing carries the Hub's counts: the two
    must agree for the fingerprints to meet."""
    assert header_params(LLAMA31_8B) == {"BF16": LLAMA31_8B_PARAMS}
    assert header_params(LLAMA32_3B) == {"BF16": LLAMA32_3B_PARAMS}


@pytest.mark.parametrize("model_type, arch, params", [
    ("llama", "LlamaForCausalLM", {}),  # no counts
    (None, None, {"BF16": 5}),  # counts alone would join unrelated families
    ("llama", "LlamaForCausalLM", {"BF16": -1}),
    ("llama", "LlamaForCausalLM", {"bf16; drop": 5}),
    ("llama\nx", "LlamaForCausalLM\x1b[31m", {"BF16": 5}),
])
def test_malformed_listing_fields_give_no_fingerprint(model_type: Any, arch: Any,
                                                      params: Any) -> None:
    assert meta_fingerprint(model_type, arch, params) is None


# -- both build paths, both engines ------------------------------------------------------------
def _listing_dump(endpoint: str, path: Path) -> None:
    """A dump as ``huggingface_hub.list_models(expand=...)`` writes it: the real client."""
    from huggingface_hub import HfApi

    items = HfApi(endpoint=endpoint).list_models(expand=EXPAND)  # type: ignore[arg-type]
    lines = []
    for item in items:
        record = {"id": item.id, "tags": item.tags, "createdAt": item.created_at.isoformat()
                  .replace("+00:00", ".000Z") if item.created_at else None,
                  "config": item.config,
                  "safetensors": {"parameters": dict(item.safetensors.parameters)}
                  if item.safetensors else None}
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_hub_build_and_dump_build_store_the_same_fingerprints(
        db_url: str, fp_root: Path, tmp_path: Path, make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(root=fp_root, page_size=4)
    stats = build_index_from_hub(db_url, hub.endpoint, None)
    # every model with safetensors counts: all but the two header-only ones and the shard
    assert (stats.listed, stats.fingerprinted) == (15, 12)
    pages = [r for r in hub.requests if r.kind == "list_models"]
    assert len(pages) == 4  # the fingerprint costs no request: the same pages, more fields
    from_hub = same_fingerprint(db_url, "meta-llama/Llama-3.1-8B")
    assert from_hub.fingerprint == LLAMA_FP
    assert _ids(from_hub) == [
        "meta-llama/Llama-3.1-8B-Instruct", "mirror-org/Llama-3.1-8B-copy",
        "acme/fresh-8b-counts", "acme/declared-8b", "late-org/llama-8b-2025"]
    assert [h.parents for h in from_hub.hits] == [1, 0, 0, 1, 0]

    # the run-side look-up reads the same engine
    graph = build_graph("acme/fresh-8b", RunOptions(hub_mirror=fp_root, hub_index=db_url))
    assert [sp.parent for sp in graph.target.suspected_parents] == [
        "model:meta-llama/llama-3.1-8b", "model:mirror-org/llama-3.1-8b-copy"]

    dump = tmp_path / "dump.jsonl"
    _listing_dump(hub.endpoint, dump)
    assert build_index_from_file(db_url, dump).fingerprinted == 12
    assert same_fingerprint(db_url, "meta-llama/Llama-3.1-8B") == from_hub


def test_parquet_dump_with_json_text_columns(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}
    table = pa.table({
        "id": ["org/base", "org/copy", "org/other"],
        "config": [json.dumps(config)] * 3,  # JSON text, as some dumps store nested fields
        "safetensors": [json.dumps({"parameters": {"BF16": LLAMA31_8B_PARAMS}})] * 2
        + [json.dumps({"parameters": {"F32": LLAMA31_8B_PARAMS}})],
        "createdAt": ["2024-07-14T00:00:00.000Z", "2024-08-01T00:00:00.000Z", None],
    })
    pq.write_table(table, tmp_path / "dump.parquet")
    db = f"sqlite:///{tmp_path / 'index.db'}"
    assert build_index_from_file(db, tmp_path / "dump.parquet").fingerprinted == 3
    found = same_fingerprint(db, "org/base")
    assert [(h.model_id, h.created) for h in found.hits] == [
        ("org/copy", "2024-08-01T00:00:00.000Z")]


def test_near_misses_share_no_fingerprint(sqlite_index: str) -> None:
    for other in ("acme/llama-3b", "acme/mistral-as-llama", "acme/llama-8b-f32",
                  "Qwen/Qwen2.5-7B", "meta-llama/Llama-3.2-1B"):
        matches = same_fingerprint(sqlite_index, other)
        assert matches.fingerprint is not None and matches.hits == (), other
    # Mistral's exact count under the Llama class: other architecture, no match
    assert same_fingerprint(sqlite_index, "mistralai/Mistral-7B-v0.3").hits == ()
    # a model listed without counts has no fingerprint, and says so
    assert same_fingerprint(sqlite_index, "acme/fresh-8b").fingerprint is None


def test_foundations_only_and_a_fingerprint_as_the_query(sqlite_index: str) -> None:
    found = same_fingerprint(sqlite_index, LLAMA_FP, foundations_only=True, limit=2)
    assert _ids(found) == ["meta-llama/Llama-3.1-8B", "mirror-org/Llama-3.1-8B-copy"]
    assert found.total == 4  # the count is of all of them, the list is cut at the limit
    # walks still work on the new schema
    assert [h.model_id for h in descendants(sqlite_index, "meta-llama/Llama-3.1-8B")] == [
        "acme/declared-8b", "meta-llama/Llama-3.1-8B-Instruct"]


# -- the command ----------------------------------------------------------------------------------
def test_same_fingerprint_command_text_and_json(sqlite_index: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "same-fingerprint", "meta-llama/Llama-3.1-8B", "--db", sqlite_index,
                 "--foundations"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines() == [
        f"fingerprint {LLAMA_FP}",
        "CREATED     PARENTS  MODEL",
        "2024-08-01  0        mirror-org/Llama-3.1-8B-copy",
        "2024-12-02  0        acme/fresh-8b-counts",
        "2025-03-01  0        late-org/llama-8b-2025",
        "3 models that declare no parent share the fingerprint of meta-llama/Llama-3.1-8B "
        "(same architecture and parameter counts per dtype: a reason to look, not proof of "
        "lineage)"]
    assert main(["index", "same-fingerprint", "acme/llama-3b", "--db", sqlite_index,
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == {"query": "acme/llama-3b",
                   "fingerprint": f"safetensors:llama:LlamaForCausalLM:BF16={LLAMA32_3B_PARAMS}",
                   "foundations_only": False, "count": 0, "shown": 0, "models": []}
    assert main(["index", "same-fingerprint", "acme/fresh-8b", "--db", sqlite_index]) == 0
    assert "has no fingerprint in the index" in capsys.readouterr().out
    assert main(["index", "same-fingerprint", "nobody/nothing", "--db", sqlite_index]) == 2
    assert "nobody/nothing: not a listed model in the Hub index" in capsys.readouterr().err


# -- suspected parents in a run --------------------------------------------------------------------
@pytest.mark.parametrize("target", sorted(EXPECTED_SUSPECTS))
def test_parentless_models_suspect_older_indexed_foundations_only(
        fp_root: Path, sqlite_index: str, target: str) -> None:
    graph = build_graph(target, RunOptions(hub_mirror=fp_root, hub_index=sqlite_index))
    suspects = [sp.parent for sp in graph.target.suspected_parents]
    assert suspects == [f"model:{m.lower()}" for m in EXPECTED_SUSPECTS[target]]
    findings = [f.message for f in graph.target.findings if f.kind == "lineage-suspected-parent"]
    assert len(findings) == len(suspects)
    assert "hub_index" in graph.meta


def test_the_reason_says_what_the_index_fingerprint_did_not_compare(
        fp_root: Path, sqlite_index: str) -> None:
    graph = build_graph("acme/fresh-8b", RunOptions(hub_mirror=fp_root, hub_index=sqlite_index))
    bom = json.loads(graph_to_cyclonedx_json(graph, reproducible=True))
    props = bom["metadata"]["component"]["properties"]
    suspected = [p["value"] for p in props if p["name"] == "mlbom:lineage:suspected-parent"]
    assert suspected[0] == (
        "model:meta-llama/llama-3.1-8b architecture LlamaForCausalLM and parameter counts "
        "(BF16 8,030,261,248) equal an older indexed foundation's (Hub index fingerprint: "
        "config dimensions and tokenizer not compared); 2 older indexed foundations share it, "
        "the oldest 2 named; declares no parent")
    from sbom.spdx2 import graph_to_spdx23

    notes = [a.annotation_comment for a in graph_to_spdx23(graph).annotations]
    assert f"mlbom:lineage:suspected-parent {suspected[0]}" in notes
    index_note = [p["value"] for p in bom["metadata"]["properties"]
                  if p["name"] == "mlbom:hub-index"]
    assert len(index_note) == 1 and index_note[0].startswith("index.db (built ")
    assert index_note[0].endswith(": 1 parentless models looked up, 0 without a fingerprint, "
                                  "2 suspected parents")


def test_without_an_index_nothing_changes(fp_root: Path) -> None:
    graph = build_graph("acme/fresh-8b", RunOptions(hub_mirror=fp_root))
    assert graph.target.suspected_parents == [] and "hub_index" not in graph.meta


def test_check_tree_and_html_show_the_suspected_parent(
        fp_root: Path, sqlite_index: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--hub-mirror", str(fp_root), "--hub-index", sqlite_index]
    assert main(["check", "acme/fresh-8b", *args, "--format", "json"]) == 0  # info only
    doc = json.loads(capsys.readouterr().out)
    kinds = [f for f in doc["findings"] if "suspected" in json.dumps(f)]
    assert len(kinds) == 2 and "meta-llama/Llama-3.1-8B" in json.dumps(kinds[0])
    assert main(["tree", "acme/fresh-8b", *args]) == 0
    tree = capsys.readouterr().out
    assert "lineage-suspected-parent info: may derive from meta-llama/Llama-3.1-8B" in tree
    assert main(["graph", "acme/fresh-8b", *args, "--format", "html"]) == 0
    assert "may derive from mirror-org/Llama-3.1-8B-copy" in capsys.readouterr().out
    assert main(["tree", "acme/llama-3b", *args]) == 0
    assert "suspected" not in capsys.readouterr().out


# -- an index of the old schema ------------------------------------------------------------------
def _v1_index(path: Path) -> str:
    """An index as schema 1 wrote it (no created/fingerprint columns)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE hub_models (id INTEGER PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL,"
        " listed INTEGER NOT NULL DEFAULT 1);"
        "CREATE TABLE hub_edges (child BIGINT NOT NULL, parent BIGINT NOT NULL,"
        " relation TEXT NOT NULL, PRIMARY KEY (child, parent)) WITHOUT ROWID;"
        "CREATE TABLE hub_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
        "INSERT INTO hub_models VALUES (1, 'org/base', 'org/base', 1);"
        "INSERT INTO hub_meta VALUES ('schema', '1'), ('status', 'complete');")
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_an_old_schema_index_is_a_clear_error_everywhere(
        fp_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _v1_index(tmp_path / "old.db")
    message = (f"the Hub index in {tmp_path / 'old.db'} has schema 1, this mlbom reads schema 2 "
               "(fingerprints were added): rebuild it with 'mlbom index build")
    for argv in (["index", "same-fingerprint", "org/base", "--db", old],
                 ["index", "descendants", "org/base", "--db", old],
                 ["tree", "acme/fresh-8b", "--hub-mirror", str(fp_root), "--hub-index", old]):
        assert main(argv) == 3, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, argv
    with pytest.raises(StoreError, match="has schema 1"):
        build_graph("acme/fresh-8b", RunOptions(hub_mirror=fp_root, hub_index=old))
    # a build over the old index replaces it
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": "org/base", "config": {"model_type": "llama"},
                                "safetensors": {"parameters": {"BF16": 7}}}) + "\n")
    assert main(["index", "build", "--from-file", str(dump), "--db", old]) == 0
    assert same_fingerprint(old, "org/base").fingerprint == "safetensors:llama:-:BF16=7"


def test_a_missing_index_is_a_clear_error(fp_root: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    assert main(["tree", "acme/fresh-8b", "--hub-mirror", str(fp_root),
                 "--hub-index", missing]) == 3
    assert "no Hub index at" in capsys.readouterr().err


def test_hub_index_on_a_bom_read_back_is_a_usage_error(
        fp_root: Path, sqlite_index: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bom = tmp_path / "bom.json"
    assert main(["generate", "acme/fresh-8b", "--hub-mirror", str(fp_root), "--hub-index",
                 sqlite_index, "-o", str(bom), "--quiet"]) == 0
    assert "mlbom:hub-index" in bom.read_text("utf-8")
    for command in ("check", "tree"):
        assert main([command, str(bom), "--hub-index", sqlite_index]) == 2
        assert "--hub-index needs a model to resolve" in capsys.readouterr().err
    assert main(["tree", str(bom)]) == 0  # the suspects written into it are read back
    assert "may derive from meta-llama/Llama-3.1-8B" in capsys.readouterr().out


def test_a_local_folder_without_a_date_suspects_every_foundation_and_says_so(
        fp_root: Path, sqlite_index: str, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "vendor-model"
    shutil.copytree(fp_root / "models" / "acme--fresh-8b" / "files", folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# vendor model\n")
    graph = build_graph(str(folder), RunOptions(offline=True, hub_index=sqlite_index))
    assert [sp.parent for sp in graph.target.suspected_parents] == [
        "model:meta-llama/llama-3.1-8b", "model:mirror-org/llama-3.1-8b-copy",
        "model:acme/fresh-8b-counts"]
    assert graph.target.suspected_parents[0].reason == (
        "architecture LlamaForCausalLM and parameter counts (BF16 8,030,261,248) equal an "
        "indexed foundation's (creation dates not compared; Hub index fingerprint: config "
        "dimensions and tokenizer not compared); 4 indexed foundations share it, the first 3 "
        "named; declares no parent")


def test_an_index_of_another_schema_is_refused_on_both_engines(db_url: str,
                                                               tmp_path: Path) -> None:
    from lineage.hubindex._store import open_store

    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": "org/base", "config": {"model_type": "llama"},
                                "safetensors": {"parameters": {"BF16": 7}}}) + "\n")
    build_index_from_file(db_url, dump)
    with open_store(db_url) as store:  # as if an older mlbom had written it
        store.execute("UPDATE hub_meta SET v = '1' WHERE k = 'schema'")
        store.commit()
    with pytest.raises(StoreError, match="has schema 1, this mlbom reads schema 2"):
        same_fingerprint(db_url, "org/base")
    with pytest.raises(StoreError, match="has schema 1"):
        descendants(db_url, "org/base")
    assert build_index_from_file(db_url, dump).fingerprinted == 1  # a build replaces it
    assert same_fingerprint(db_url, "org/base").fingerprint == "safetensors:llama:-:BF16=7"
