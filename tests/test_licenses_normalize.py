"""License normalisation: Hub ids, odd spellings, `other`, typos and garbage, corpus cards."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from license_expression import get_spdx_licensing

from lineage.annotate.licenses import annotate_licenses
from lineage.graph import DatasetNode, FileEntry, LineageGraph, ModelNode, Relation, model_key
from lineage.licenses import (
    all_license_facts,
    facts_for_info,
    hf_license_to_spdx,
    license_facts,
    normalize_license,
)
from lineage.parsers.card import parse_card

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
HF_LICENSES = CORPUS / "hf_licenses.md"


def _hub_table() -> list[tuple[str, str | None]]:
    if not HF_LICENSES.is_file():
        pytest.skip("shared corpus not present")
    rows = re.findall(r"^\| `([^`]+)` \|[^|]*\| (`[^`]+`|—) \|", HF_LICENSES.read_text(), re.M)
    return [(hub, None if spdx == "—" else spdx.strip("`")) for hub, spdx in rows]


def test_every_hub_license_id_normalises_to_the_documented_spdx_id() -> None:
    table = _hub_table()
    assert len(table) == 83
    for hub_id, spdx in table:
        info = normalize_license({"license": hub_id})
        assert info.hub_id == hub_id, hub_id
        assert info.spdx == spdx, hub_id
        assert hf_license_to_spdx(hub_id) == spdx, hub_id
        assert info.declared == hub_id
        facts = license_facts(hub_id)
        assert facts is not None and facts.hub_id == hub_id


def test_every_hub_id_in_the_knowledge_base_has_a_family_name_and_url() -> None:
    hub_entries = [f for f in all_license_facts() if f.hub_id]
    assert len(hub_entries) >= 83
    for f in hub_entries:
        assert f.url.startswith(("https://", "http://")), f.key
        assert f.sources and all(s.startswith(("https://", "http://")) for s in f.sources)
        # the Hub id round-trips through the normaliser
        assert normalize_license({"license": f.hub_id}).hub_id == f.hub_id


def test_knowledge_base_spdx_ids_are_real_spdx_ids() -> None:
    known = {s.lower(): s for s in get_spdx_licensing().known_symbols}
    newer_than_license_expression = {"OpenMDW-1.0"}  # SPDX list 3.29; see hf_licenses.md
    for f in all_license_facts():
        if f.spdx is None or f.spdx in newer_than_license_expression:
            continue
        assert known.get(f.spdx.lower()) == f.spdx, f.spdx


@pytest.mark.parametrize(
    ("value", "spdx"),
    [
        ("apache-2.0", "Apache-2.0"), ("Apache 2.0", "Apache-2.0"),
        ("Apache License 2.0", "Apache-2.0"), ("apache license, version 2.0", "Apache-2.0"),
        ("MIT", "MIT"), ("The MIT License", "MIT"), ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("gpl-3.0", "GPL-3.0-only"), ("GPL-3.0-or-later", "GPL-3.0-or-later"),
        ("Apache-2.0 OR MIT", "Apache-2.0 OR MIT"), ("BSD-4-Clause", "BSD-4-Clause"),
        ("llama3.1", None), ("Llama 3.2", None), ("bsd", None), ("gpl", None), ("cc", None),
        ("LicenseRef-scancode-llama-2-license-2023", None), ("not a license", None),
    ],
)
def test_odd_spellings_map_only_to_supported_spdx_ids(value: str, spdx: str | None) -> None:
    assert hf_license_to_spdx(value) == spdx


def test_spelled_llama_version_is_recognised_as_the_hub_license() -> None:
    info = normalize_license({"license": "Llama 3.2"})
    assert (info.hub_id, info.family, info.spdx) == ("llama3.2", "llama", None)


def test_other_with_relative_link_points_into_the_repo_at_its_commit() -> None:
    sha = "a" * 40
    info = normalize_license(
        {"license": "other", "license_name": "llama3", "license_link": "LICENSE"},
        repo_id="meta-llama/Meta-Llama-3-8B", sha=sha,
    )
    assert info.hub_id == "other" and info.name == "llama3" and info.spdx is None
    assert info.url == f"https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/{sha}/LICENSE"
    assert info.source == "card-other"
    assert [f.key for f in facts_for_info(info)] == ["llama3"]


def test_other_with_absolute_link_keeps_it_and_unknown_name_has_no_facts() -> None:
    info = normalize_license({"license": "other", "license_name": "orion-community-license",
                              "license_link": "https://example.org/LICENSE"})
    assert info.url == "https://example.org/LICENSE"
    assert facts_for_info(info) == []


def test_other_without_name_or_link_is_a_problem() -> None:
    info = normalize_license({"license": "other"})
    assert info.hub_id == "other" and info.spdx is None
    assert any("license_name" in p for p in info.problems)


def test_trl_licence_typo_is_not_a_license() -> None:
    info = normalize_license({"licence": "license"})
    assert info.declared is None and info.spdx is None and info.hub_id is None
    assert any("licence" in p for p in info.problems)


def test_misspelled_key_with_a_real_value_is_read_with_a_note() -> None:
    info = normalize_license({"licence": "mit"})
    assert info.spdx == "MIT"
    assert info.problems


@pytest.mark.parametrize("value", ["", "TBD", "[More Information Needed]", "none"])
def test_placeholders_give_no_license_and_a_note(value: str) -> None:
    info = normalize_license({"license": value})
    assert info.spdx is None and info.hub_id is None
    assert info.declared == value
    assert info.problems


def test_unknown_hub_id_is_kept_but_never_an_spdx_id() -> None:
    info = normalize_license({"license": "unknown"})
    assert info.hub_id == "unknown" and info.spdx is None
    assert facts_for_info(info) == []


@pytest.mark.parametrize("value", [["mit", 7], {"name": "mit"}, 42, [["nested"]], []])
def test_garbage_values_are_problems_not_exceptions(value: object) -> None:
    info = normalize_license({"license": value})
    assert info.declared is not None
    assert info.problems
    assert info.spdx in (None, "MIT")


def test_a_list_means_all_licenses_apply() -> None:
    info = normalize_license({"license": ["apache-2.0", "mit"]})
    assert info.spdx == "Apache-2.0 AND MIT"
    both = normalize_license({"license": ["apache-2.0", "llama3"]})
    assert both.spdx is None  # one part has no SPDX id: claim none
    assert [f.key for f in facts_for_info(both)] == ["apache-2.0", "llama3"]
    assert both.family == "llama"  # the more restrictive part decides


def test_hub_license_tag_is_the_fallback_only_when_the_card_is_silent() -> None:
    tagged = normalize_license({}, tags=["text-generation", "license:gemma"])
    assert (tagged.hub_id, tagged.source) == ("gemma", "hub-tags")
    card_wins = normalize_license({"license": "mit"}, tags=["license:gemma"])
    assert (card_wins.hub_id, card_wins.source) == ("mit", "card")
    nothing = normalize_license({}, tags=[])
    assert nothing.source == "none" and nothing.declared is None


def _corpus_cards() -> list[tuple[str, str | None, str]]:
    expected = CORPUS / "expected.json"
    if not expected.is_file():
        pytest.skip("shared corpus not present")
    out = []
    for row in json.loads(expected.read_text()):
        readme = CORPUS / row["name"] / "README.md"
        if readme.is_file():
            out.append((row["name"], row["license_spdx"], readme.read_text("utf-8")))
    return out


def test_corpus_cards_give_the_expected_spdx_ids() -> None:
    cards = _corpus_cards()
    assert len(cards) >= 10
    for name, spdx, text in cards:
        info = normalize_license(parse_card(text).data)
        assert info.spdx == spdx, name


def test_corpus_license_mismatch_card_is_apache_and_trl_card_has_none() -> None:
    cards = {name: text for name, _, text in _corpus_cards()}
    drift = normalize_license(parse_card(cards["unsloth-llama31-license-mismatch"]).data)
    assert drift.spdx == "Apache-2.0"
    trl = normalize_license(parse_card(cards["peft-card-abspath-licence-typo"]).data)
    assert trl.declared is None and trl.problems
    qwen = normalize_license(parse_card(cards["mlx-gemma3-qat-wrong-frontmatter-internvl"]).data)
    assert qwen.name == "qwen" and qwen.url and qwen.url.endswith("/LICENSE")


def test_annotator_fills_models_and_datasets_and_notes_license_files() -> None:
    g = LineageGraph()
    sha = "b" * 40
    target = ModelNode(key=model_key("me/m"), name="me/m", repo_id="me/m", sha=sha,
                       is_target=True, card={"license": "other", "license_link": "LICENSE.md"},
                       files=[FileEntry("LICENSE.md"), FileEntry("model.safetensors")])
    gated = ModelNode(key=model_key("org/gated"), name="org/gated", unresolved="gated",
                      card={"license": "mit"})
    data = DatasetNode(key="dataset:org/d", name="org/d", repo_id="org/d",
                       card={"license": ["cc-by-4.0"]})
    for n in (target, gated, data):
        g.add_node(n)
    g.add_edge(target.key, gated.key, Relation.FINETUNE)
    g.add_edge(target.key, data.key, Relation.TRAINED_ON)
    annotate_licenses(g)
    assert target.license is not None and target.license.license_file == "LICENSE.md"
    assert target.license.url == f"https://huggingface.co/me/m/blob/{sha}/LICENSE.md"
    assert gated.license is None
    assert data.license is not None and data.license.spdx == "CC-BY-4.0"
    assert data.license.source == "dataset-card"
