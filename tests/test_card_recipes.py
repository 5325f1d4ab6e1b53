"""mergekit recipes in card bodies, one root cause per test, each on a real published card
(tests/corpus, sources in each SOURCE.json), then end to end through the real client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hostile import add_model, new_mirror

from lineage.graph import Relation
from lineage.parsers.card import parse_card
from lineage.parsers.card_recipes import card_recipes
from lineage.pipeline import RunOptions, build_graph

CORPUS = Path(__file__).resolve().parent / "corpus"


def _body(case: str) -> str:
    return parse_card((CORPUS / case / "README.md").read_bytes()).body


def _names(decls: Any) -> set[str]:
    return {d.value.display for d in decls}


def test_a_moe_recipe_in_a_plain_fence_names_base_and_every_expert() -> None:
    found = card_recipes(_body("moe-lumosia-4x10"))
    assert _names(found.parents) == {
        "DopeorNope/SOLARC-M-10.7B", "maywell/PiVoT-10.7B-Mistral-v0.2-RP",
        "kyujinpy/Sakura-SOLAR-Instruct", "jeonsworld/CarbonVillain-en-10.7B-v1"}
    assert {d.relation for d in found.parents} == {Relation.MERGE}
    assert {d.evidence.field for d in found.parents} == {
        f"experts[{i}].source_model" for i in range(4)}


def test_a_card_with_only_a_license_still_gives_its_recipe_parents() -> None:
    graph = build_graph(CORPUS / "moe-sonya-x8-license-only", RunOptions(offline=True))
    [(parent, edge)] = graph.parents(graph.target.key, lineage_only=True)
    assert parent.name == "SanjiWatsuki/Sonya-7B" and edge.relation is Relation.MERGE
    assert {e.source for e in edge.evidence} == {"card-mergekit"}


def test_a_bare_name_in_a_recipe_is_a_local_folder_not_a_legacy_hub_id() -> None:
    found = card_recipes(_body("moe-everyone-coder-underscore-names"))
    assert all(d.value.ref is None and d.value.reason == "local-path" for d in found.parents)
    assert "mistralai_Mistral-7B-v0.1" in _names(found.parents)


def test_an_intermediate_recipe_gives_the_parents_of_its_local_output_not_of_the_model() -> None:
    found = card_recipes(_body("multi-orca2myth-intermediate-first"))
    assert _names(found.parents) == {"PygmalionAI/mythalion-13b", "output/Orca2flat"}
    local = next(d for d in found.parents if d.value.raw == "output/Orca2flat")
    assert local.value.reason == "local-path"
    assert _names(local.parents) == {"TheBloke/Llama-2-13B-fp16", "microsoft/Orca-2-13b"}
    assert {d.evidence.source for d in local.parents} == {"card-mergekit"}
    assert found.problems == []


def test_the_graph_keeps_the_intermediate_as_a_node_with_its_own_parents() -> None:
    graph = build_graph(CORPUS / "multi-orca2myth-intermediate-first", RunOptions(offline=True))
    direct = {p.name: p for p, _ in graph.parents(graph.target.key)}
    assert set(direct) == {"PygmalionAI/mythalion-13b", "output/Orca2flat"}
    local = direct["output/Orca2flat"]
    assert local.unresolved == "local-path"
    assert sorted(p.name for p, _ in graph.parents(local.key)) == [
        "TheBloke/Llama-2-13B-fp16", "microsoft/Orca-2-13b"]


def test_an_unlinked_recipe_is_reported_and_the_last_one_is_the_models() -> None:
    found = card_recipes(_body("multi-nyxene-v2"))
    assert _names(found.parents) == {"loyal-piano-cybertron-11B", "Starling-NeuralHermes-11B"}
    assert len(found.problems) == 1
    assert "recipe 2 of 3" in found.problems[0]
    assert "openaccess-ai-collective/DPOpenHermes-7B" in found.problems[0]
    assert "berkeley-nest/Starling-LM-7B-alpha" not in _names(found.parents)


def test_mergekit_multi_names_and_two_documents_in_one_fence() -> None:
    found = card_recipes(_body("multi-yi-megamerge-named-docs"))
    step = next(d for d in found.parents if d.value.raw == "4kmerge-v2")
    assert len(_names(step.parents)) == 7 and len(_names(found.parents)) == 11


def test_two_recipes_run_together_in_one_fence_are_split_and_linked_by_a_comment() -> None:
    found = card_recipes(_body("multi-dare-me-comment-label"))
    step = next(d for d in found.parents if d.value.raw == "mistral-wizardmath-dare-0.7-density")
    assert _names(step.parents) == {"mistralai/Mistral-7B-v0.1", "WizardLM/WizardMath-7B-V1.1"}


def test_a_revision_beside_a_source_pins_it_and_a_self_merge_keeps_both_revisions() -> None:
    found = card_recipes(_body("revision-dpopenhermes-self-passthrough"))
    assert sorted((d.value.ref.repo_id, d.value.ref.revision or "") for d in found.parents
                  if d.value.ref) == [("openaccess-ai-collective/DPOpenHermes-7B", ""),
                                      ("openaccess-ai-collective/DPOpenHermes-7B", "dpo-v0")]
    graph = build_graph(CORPUS / "revision-dpopenhermes-self-passthrough",
                        RunOptions(offline=True))
    parents = graph.parents(graph.target.key)
    assert sorted((p.name, p.revision or "") for p, _ in parents) == [
        ("openaccess-ai-collective/DPOpenHermes-7B", ""),
        ("openaccess-ai-collective/DPOpenHermes-7B", "dpo-v0")]


def test_base_plus_lora_gives_both_parents_and_marks_the_adapter() -> None:
    found = card_recipes(_body("lora-huatuo-model-stock-plus-syntax"))
    loras = {d.value.display for d in found.parents if d.evidence.field.endswith("+lora")}
    assert loras == {"eeeebbb2/3aff0ea7-4262-4abb-97b1-1879f340d32e",
                     "surya-narayanan/professional_psychology",
                     "Blackroot/Llama-3-LongStory-LORA", "ResplendentAI/Llama3_RP_ORPO_LoRA",
                     "vincentyandex/lora_llama3_chunked_novel_bs128",
                     "surya-narayanan/human_sexuality",
                     "grimjim/Llama-3-Instruct-abliteration-LoRA-8B"}
    assert "FreedomIntelligence/HuatuoGPT-o1-8B" in _names(found.parents)


def test_a_recipe_under_original_model_card_is_the_originals_not_this_repos() -> None:
    original = (CORPUS / "body-pee-license-only-plain-fence" / "README.md").read_text()
    quant_body = "GGUF files of the model below.\n\n# Original model card\n\n" + original
    assert card_recipes(quant_body).parents == []


def test_a_card_body_that_is_itself_a_recipe_is_read() -> None:
    found = card_recipes(_body("body-metamath-neuralhermes-linear"))
    assert _names(found.parents) == {"meta-math/MetaMath-Mistral-7B",
                                     "mlabonne/NeuralHermes-2.5-Mistral-7B"}


def _hub_with(tmp_path: Path, card_text: str, card_data: dict[str, Any], **kw: Any) -> Path:
    root = new_mirror(tmp_path / "hub")
    add_model(root, "acme/target", card=card_data, files={"README.md": card_text}, **kw)
    return root


def test_the_hub_path_reads_a_license_only_cards_moe_recipe(
        make_fake_hub: Any, tmp_path: Path) -> None:
    text = (CORPUS / "moe-sonya-x8-license-only" / "README.md").read_text()
    root = _hub_with(tmp_path, text, {"license": "wtfpl"})
    add_model(root, "SanjiWatsuki/Sonya-7B", card={"license": "cc-by-4.0"})
    hub = make_fake_hub(root)
    graph = build_graph("acme/target", RunOptions(endpoint=hub.endpoint,
                                                  cache_dir=tmp_path / "c"))
    [(parent, edge)] = graph.parents("model:acme/target")
    assert parent.name == "SanjiWatsuki/Sonya-7B" and parent.resolved
    assert edge.relation is Relation.MERGE


def test_the_hub_path_fetches_the_hub_parents_of_a_local_intermediate(
        make_fake_hub: Any, tmp_path: Path) -> None:
    text = (CORPUS / "multi-orca2myth-intermediate-first" / "README.md").read_text()
    root = _hub_with(tmp_path, text, {"license": "other"})
    for repo in ("PygmalionAI/mythalion-13b", "TheBloke/Llama-2-13B-fp16",
                 "microsoft/Orca-2-13b"):
        add_model(root, repo, card={"license": "llama2"})
    hub = make_fake_hub(root)
    graph = build_graph("acme/target", RunOptions(endpoint=hub.endpoint,
                                                  cache_dir=tmp_path / "c"))
    [local] = [n for n in graph.nodes() if n.name == "output/Orca2flat"]
    assert local.unresolved == "local-path"
    grand = graph.parents(local.key)
    assert sorted(p.name for p, _ in grand) == ["TheBloke/Llama-2-13B-fp16",
                                                 "microsoft/Orca-2-13b"]
    assert all(p.resolved for p, _ in grand)
    # a second run reads the cached facts, nested parents included
    hub.reset_counts()
    again = build_graph("acme/target", RunOptions(endpoint=hub.endpoint,
                                                  cache_dir=tmp_path / "c"))
    assert hub.requests == []
    assert sorted(p.name for p, _ in again.parents(local.key)) == [
        "TheBloke/Llama-2-13B-fp16", "microsoft/Orca-2-13b"]


def test_a_gguf_repo_does_not_read_its_cards_recipe(make_fake_hub: Any, tmp_path: Path) -> None:
    text = (CORPUS / "body-pee-license-only-plain-fence" / "README.md").read_text()
    root = _hub_with(tmp_path, text, {"license": "apache-2.0", "base_model": "acme/pee"},
                     extra_siblings=["pee.Q4_K_M.gguf"])
    add_model(root, "acme/pee", card={"license": "apache-2.0"})
    hub = make_fake_hub(root)
    graph = build_graph("acme/target", RunOptions(endpoint=hub.endpoint,
                                                  cache_dir=tmp_path / "c"))
    assert [p.name for p, _ in graph.parents("model:acme/target")] == ["acme/pee"]
    # the card may come with the metadata as a guess (read by branch name, README.md is an
    # early read); it is never read again at the pinned commit for its recipe
    assert not [r for r in hub.requests if r.path.endswith("/README.md")
                and "/resolve/main/" not in r.path]


def test_thousands_of_unclosed_fences_are_read_in_one_pass() -> None:
    import time

    body = "```yaml\nmerge_method: slerp\n" * 50_000  # 1.4 MB, no fence ever closes
    started = time.process_time()
    assert card_recipes(body).parents == []
    assert time.process_time() - started < 10  # a rescanning regex takes minutes here


def test_a_hostile_card_with_many_recipes_is_capped_and_says_so() -> None:
    recipe = "```\nmerge_method: linear\nmodels:\n" + "".join(
        f"  - model: folder-{i}\n" for i in range(30)) + "```\n"
    found = card_recipes(recipe * 30)
    assert any("kept the first 20" in p for p in found.problems)
    assert len(found.parents) == 30


def test_a_finetune_card_quoting_its_base_models_recipe_keeps_the_base_as_parent(
        tmp_path: Path) -> None:
    # the real Psyfighter2 card body (a recipe) under the front matter of a finetune of it
    body = _body("body-psyfighter2")
    folder = tmp_path / "finetune-of-psyfighter2"
    folder.mkdir()
    (folder / "README.md").write_text(
        "---\nbase_model: KoboldAI/LLaMA2-13B-Psyfighter2\nlicense: llama2\n---\n" + body)
    graph = build_graph(folder, RunOptions(offline=True))
    parents = graph.parents(graph.target.key, lineage_only=True)
    assert [(p.name, e.relation) for p, e in parents] == [
        ("KoboldAI/LLaMA2-13B-Psyfighter2", Relation.FINETUNE)]
    assert any("names none of the base models" in line for line in graph.target.problems)


def test_a_mergekit_multi_file_saved_as_mergekit_config_gives_the_last_steps_parents(
        tmp_path: Path) -> None:
    # the real two-document recipe of Yi-34B-200K-DARE-megamerge-v8, as a recipe file
    text = (CORPUS / "multi-yi-megamerge-named-docs" / "README.md").read_text()
    recipe = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "megamerge"
    folder.mkdir()
    (folder / "mergekit_config.yml").write_text(recipe)
    graph = build_graph(folder, RunOptions(offline=True))
    direct = {p.name: (p, e) for p, e in graph.parents(graph.target.key)}
    assert len(direct) == 11
    step, edge = direct["4kmerge-v2"]
    assert {e.source for e in edge.evidence} == {"mergekit"}
    assert len(graph.parents(step.key)) == 7
    assert graph.target.problems == []


def test_a_recipe_typed_outside_a_code_block_is_read_line_by_line_and_said_so() -> None:
    found = card_recipes(_body("body-openhermes-frankenmerge-unfenced"))
    assert _names(found.parents) == {"teknium/OpenHermes-2.5-Mistral-7B",
                                     "Intel/neural-chat-7b-v3-1"}
    assert [p for p in found.problems if "typed outside any code block" in p]


def test_model_lines_without_a_merge_method_line_are_not_a_recipe() -> None:
    body = "Try it:\n\nmodel: org/something\nbase_model: org/else\n"
    assert card_recipes(body).parents == []


def test_one_fence_of_a_hundred_thousand_documents_stops_at_the_cap() -> None:
    import time

    body = "```\n" + "merge_method: linear\nmodels:\n  - model: org/a\n---\n" * 100_000 + "```\n"
    started = time.process_time()
    found = card_recipes(body)
    assert any("kept the first 20" in p for p in found.problems)
    assert time.process_time() - started < 20  # 21 documents parsed, not 100,000
