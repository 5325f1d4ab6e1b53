"""``mlbom affected``: which stored products inherit a model, dataset or code repo, on both
engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest
from inventory_boms import mlbom_bom, write_bom

from lineage.errors import InputError
from sbom.inventory.affected import find_affected, parse_item
from sbom.inventory.render import path_text, render_affected
from sbom.inventory.store import Store, open_store

db_url = pgserver.db_url  # both engines; starts PostgreSQL once per session
postgres_url = pgserver.postgres_url

OLD = "0123456789abcdef0123456789abcdef01234567"
NEW = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """Three products over one foundation at two commits, with a diamond, a dataset and a
    remote-code repo."""
    boms = {
        # shop pins the old foundation commit through a fine-tune and an adapter
        "shop": mlbom_bom("acme/Shop", [
            ("acme/Shop", "adapter", "acme/Shop-base"),
            ("acme/Shop-base", "finetune", "found/Base"),
        ], {"found/Base": OLD, "acme/Shop-base": "1" * 40}),
        # kiosk merges two models that both come from the new foundation commit (a diamond)
        "kiosk": mlbom_bom("acme/Kiosk", [
            ("acme/Kiosk", "merge", "x/Left"),
            ("acme/Kiosk", "merge", "y/Right"),
            ("x/Left", "finetune", "found/Base"),
            ("y/Right", "quantized", "found/Base"),
            ("x/Left", "trained_on", "dataset:org/Poisoned"),
        ], {"found/Base": NEW}),
        # bot is unrelated to the foundation but loads remote code
        "bot": mlbom_bom("acme/Bot", [
            ("acme/Bot", "finetune", "other/Root"),
            ("other/Root", "remote_code", "code:vendor/Impl"),
        ]),
    }
    s = open_store(db_url)
    for product, doc in boms.items():
        s.add_boms([write_bom(tmp_path, f"{product}.json", doc)], product, "1.0")
    yield s
    s.close()


def _products(hits: list) -> list[tuple[str, str]]:
    return [(h.product, h.version) for h in hits]


def test_unpinned_query_lists_every_product_with_the_commit_it_uses(store: Store) -> None:
    hits = find_affected(store, "found/Base")
    assert _products(hits) == [("kiosk", "1.0"), ("shop", "1.0")]
    assert [h.commits for h in hits] == [(NEW,), (OLD,)]


def test_shop_path_runs_from_product_model_down_to_the_item(store: Store) -> None:
    (shop,) = [h for h in find_affected(store, "found/Base") if h.product == "shop"]
    (path,) = shop.paths
    assert [(s.name, s.relation) for s in path.steps] == [
        ("acme/Shop", "adapter"), ("acme/Shop-base", "finetune"), ("found/Base", None)]
    assert path.model == "acme/Shop"
    assert path_text(path) == "acme/Shop -adapter-> acme/Shop-base -finetune-> found/Base"


@pytest.mark.parametrize("revision, expected", [
    (OLD, ["shop"]), (OLD[:7], ["shop"]), (NEW[:12].upper(), ["kiosk"]), ("1234567", []),
])
def test_pinned_query_counts_only_that_commit(
    store: Store, revision: str, expected: list[str]
) -> None:
    assert [h.product for h in find_affected(store, f"found/Base@{revision}")] == expected


@pytest.mark.parametrize("revision", ["012345", "main", "v1.0"])
def test_revision_must_be_a_sha_prefix_of_seven_or_more(store: Store, revision: str) -> None:
    with pytest.raises(InputError, match="at least 7 hex"):
        find_affected(store, f"found/Base@{revision}")


def test_diamond_reports_the_product_once_with_both_paths(store: Store) -> None:
    (kiosk,) = [h for h in find_affected(store, "FOUND/base") if h.product == "kiosk"]
    assert [[(s.name, s.relation) for s in p.steps] for p in kiosk.paths] == [
        [("acme/Kiosk", "merge"), ("x/Left", "finetune"), ("found/Base", None)],
        [("acme/Kiosk", "merge"), ("y/Right", "quantized"), ("found/Base", None)],
    ]
    assert kiosk.more_paths == 0
    (capped,) = [h for h in find_affected(store, "found/Base", max_paths=1)
                 if h.product == "kiosk"]
    assert (len(capped.paths), capped.more_paths) == (1, 1)


def test_a_dataset_can_be_the_compromised_item(store: Store) -> None:
    hits = find_affected(store, "org/Poisoned", kind="dataset")
    assert _products(hits) == [("kiosk", "1.0")]
    assert [(s.ref, s.relation) for s in hits[0].paths[0].steps] == [
        ("model:acme/kiosk", "merge"), ("model:x/left", "trained_on"),
        ("dataset:org/poisoned", None)]
    assert find_affected(store, "org/Poisoned") == []  # a model query does not match datasets


def test_a_code_repo_can_be_the_compromised_item(store: Store) -> None:
    for kind in ("code", "model"):  # code repos are model repos on the Hub
        hits = find_affected(store, "vendor/Impl", kind=kind)
        assert _products(hits) == [("bot", "1.0")]
        assert hits[0].paths[0].steps[-2].relation == "remote_code"


def test_the_product_model_itself_is_a_one_step_path(store: Store) -> None:
    (hit,) = find_affected(store, "acme/Shop")
    assert [s.name for s in hit.paths[0].steps] == ["acme/Shop"]


def test_foreign_bom_with_purls_ancestors_and_nested_components(
    db_url: str, tmp_path: Path
) -> None:
    foreign = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "metadata": {"component": {"type": "application", "name": "support-desk",
                                   "bom-ref": "app-1", "version": "4.2"}},
        "components": [{
            "type": "application", "name": "inference-service", "bom-ref": "svc",
            "components": [{
                "type": "machine-learning-model",
                "name": "tuned",
                "bom-ref": "m-tuned",
                "purl": "pkg:huggingface/Acme/Tuned@" + "e" * 40,
                "pedigree": {"ancestors": [{
                    "type": "machine-learning-model",
                    "name": "Mid",
                    "purl": "pkg:huggingface/org/Mid",
                    "pedigree": {"ancestors": [{
                        "type": "machine-learning-model",
                        "name": "Base",
                        "purl": f"pkg:huggingface/found/Base@{OLD}",
                    }]},
                }]},
            }],
        }],
        "dependencies": [{"ref": "app-1", "dependsOn": ["svc"]},
                         {"ref": "svc", "dependsOn": ["m-tuned"]}],
    }
    with open_store(db_url) as s:
        s.add_boms([write_bom(tmp_path, "foreign.json", foreign)], "desk", "4.2")
        pinned = find_affected(s, f"found/Base@{OLD[:10]}")
    (hit,) = pinned
    assert (hit.product, hit.commits) == ("desk", (OLD,))
    assert [(s.name, s.relation) for s in hit.paths[0].steps] == [
        ("support-desk", "unknown"), ("inference-service", "unknown"), ("tuned", "unknown"),
        ("Mid", "unknown"), ("Base", None)]


def test_json_output_carries_query_paths_and_commits(store: Store) -> None:
    hits = find_affected(store, "found/Base")
    doc = json.loads(render_affected(hits, "json", parse_item("found/Base")))
    assert doc["format"] == "mlbom-affected/1"
    assert doc["query"] == {"item": "found/Base", "kind": "model", "revision": None}
    shop = next(a for a in doc["affected"] if a["product"] == "shop")
    assert shop["commits"] == [OLD]
    assert [s["name"] for s in shop["paths"][0]["steps"]] == [
        "acme/Shop", "acme/Shop-base", "found/Base"]
    table = render_affected(hits, "table", parse_item("found/Base"))
    assert "kiosk" in table and "acme/Kiosk -merge-> y/Right -quantized-> found/Base" in table


@pytest.mark.parametrize("item", ["found/Base", f"found/Base@{OLD[:7]}", "org/Poisoned",
                                  "vendor/Impl"])
def test_the_fast_json_writer_writes_the_document(store: Store, item: str) -> None:
    """``render_answer`` writes JSON from cached fragments: it must be the document."""
    from sbom.inventory.affected import query_affected
    from sbom.inventory.render import answer_document, render_answer

    answer = query_affected(store, item, limit=2)
    assert json.loads(render_answer(answer, "json")) == answer_document(answer)


def test_the_fast_json_writer_is_byte_for_byte_the_indented_document(
        db_url: str, tmp_path: Path) -> None:
    """``render_answer`` builds its JSON by hand for speed: the bytes must be what the json
    module writes (``indent=2`` around, one ``json.dumps`` line per product version), also
    for names that need escapes: quotes, backslashes, non-ASCII, bidi and DEL characters,
    and commits that are not recorded."""
    from sbom.inventory.affected import query_affected
    from sbom.inventory.render import answer_document, render_answer

    odd = 'caf\u00e9 "q" \\ \u202e \U0001f600'  # a product name; its BOM file adds DEL
    doc = mlbom_bom("acme/App", [("acme/App", "finetune", "org/Mid"),
                                 ("org/Mid", "merge", "found/Base"),
                                 ("acme/App", "merge", "found/Base")], {"found/Base": OLD})
    with open_store(db_url) as s:
        s.add_boms([write_bom(tmp_path, f"{odd}\x7f.json", doc)], odd, odd)
        s.add_boms([write_bom(tmp_path, "plain.json", mlbom_bom(
            "acme/Other", [("acme/Other", "finetune", "found/Base")]))], "plain", "2")
        answer = query_affected(s, "found/Base")
    full = answer_document(answer)
    head = json.dumps(answer_document(answer, hits=False), indent=2)[:-2]
    lists = []
    for key in ("unknown", "affected"):
        lines = [json.dumps(hit) for hit in full[key]]
        lists.append(f',\n  "{key}": ' + ("[\n    " + ",\n    ".join(lines) + "\n  ]"
                                           if lines else "[]"))
    assert render_answer(answer, "json") == head + "".join(lists) + "\n}\n"
    assert [h["product"] for h in full["affected"]] == [odd, "plain"]
    assert full["affected"][0]["paths"][0]["bom"].endswith(f"{odd}\x7f.json")
    assert [len(h["paths"]) for h in full["affected"]] == [2, 1]  # the diamond
