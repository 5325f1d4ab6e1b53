"""The pure parsers: what each metadata file says about lineage."""

from __future__ import annotations

import io
from pathlib import Path

import gguf
import numpy as np
import pytest

from lineage.errors import ParseError
from lineage.graph import Relation
from lineage.parsers.adapter import parse_adapter_config
from lineage.parsers.card import card_lineage, parse_card
from lineage.parsers.config import parse_config
from lineage.parsers.gguf_header import gguf_parents, parse_gguf_header
from lineage.parsers.mergekit import parse_mergekit
from lineage.refs import ModelRef

SHA = "a" * 40


def test_card_front_matter_with_bom_and_crlf() -> None:
    text = "\ufeff---\r\nbase_model: org/base\r\nlicense: mit\r\n---\r\n# Body\r\n"
    card = parse_card(text.encode())
    assert card.data == {"base_model": "org/base", "license": "mit"}
    assert card.body.startswith("# Body")


def test_card_without_front_matter_is_empty_not_an_error() -> None:
    assert parse_card("# just a title\n").data == {}


def test_card_front_matter_that_is_not_a_mapping_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a mapping"):
        parse_card("---\n- a\n- b\n---\n")


def test_card_relation_stated_and_list_means_merge() -> None:
    one = card_lineage({"base_model": "org/a", "base_model_relation": "adapter"})
    assert [(p.value.ref, p.relation) for p in one.parents] == [(ModelRef("org/a"),
                                                                 Relation.ADAPTER)]
    many = card_lineage({"base_model": ["org/a", "org/b"]})
    assert {p.relation for p in many.parents} == {Relation.MERGE}
    unstated = card_lineage({"base_model": ["org/a"]})
    assert unstated.parents[0].relation is None  # inferred later from the repo's files


def test_card_wrong_types_become_problems() -> None:
    out = card_lineage({"base_model": {"a": 1}, "datasets": 12, "base_model_relation": "fork"})
    assert out.parents == []
    assert any("base_model is a dict" in p for p in out.problems)
    assert any("datasets is a int" in p for p in out.problems)


def test_card_model_index_datasets_are_evaluation_only() -> None:
    out = card_lineage({"datasets": ["org/train"], "model-index": [{"results": [
        {"dataset": {"type": "cais/mmlu", "name": "MMLU"}}]}]})
    assert [v.ref for v, _ in out.datasets] == [ModelRef("org/train")]
    assert out.eval_datasets == ["cais/mmlu"]


def test_adapter_config_revision_pins_the_base() -> None:
    cfg = parse_adapter_config(b'{"base_model_name_or_path": "org/base", "revision": "v2",'
                               b' "peft_type": "LORA"}')
    decl = cfg.parent()
    assert decl is not None and decl.value.ref == ModelRef("org/base", "v2")
    assert decl.relation is Relation.ADAPTER
    assert decl.evidence.file == "adapter_config.json"


def test_adapter_config_that_is_not_an_object_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_adapter_config(b"[1, 2]")


def test_mergekit_models_slices_dicts_and_lora_syntax() -> None:
    recipe = parse_mergekit("""
merge_method: dare_ties
base_model: org/base
models:
  - model: org/a
  - model: {model: {path: org/b}, lora: {path: org/lora}}
slices:
  - sources:
      - model: org/c+org/c-lora
        layer_range: [0, 32]
""")
    parents = {d.value.ref.repo_id for d in recipe.parents() if d.value.ref}
    assert parents == {"org/base", "org/a", "org/b", "org/lora", "org/c", "org/c-lora"}
    assert {d.relation for d in recipe.parents()} == {Relation.MERGE}


def test_config_cross_repo_and_local_auto_map() -> None:
    cfg = parse_config(b'{"auto_map": {"AutoModel": "acme/code--modeling_x.M",'
                       b' "AutoConfig": "configuration_x.C"},'
                       b' "quantization_config": {"quant_method": "gptq"},'
                       b' "_name_or_path": "org/base"}')
    assert cfg.cross_repo == [("acme/code", "modeling_x.M")]
    assert cfg.local_modules == ["configuration_x.C"]
    assert cfg.quantization == "gptq"
    assert cfg.name_or_path == "org/base"
    assert parse_config(b'{"_name_or_path": "my_local_dir"}').name_or_path is None


def _tiny_gguf(path: Path, repo_url: str) -> bytes:
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("Tiny")
    writer.add_uint32("general.base_model.count", 1)
    writer.add_string("general.base_model.0.name", "Base")
    writer.add_string("general.base_model.0.organization", "Org")
    writer.add_string("general.base_model.0.repo_url", repo_url)
    writer.add_tensor("t", np.zeros((4,), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def test_gguf_header_from_a_real_file_and_from_a_cut_prefix(tmp_path: Path) -> None:
    data = _tiny_gguf(tmp_path / "m.gguf", "https://huggingface.co/Org/Base-7B")
    header = parse_gguf_header(data)
    parents = gguf_parents(header.kv)
    assert [p.value.ref for p in parents] == [ModelRef("Org/Base-7B")]
    assert parents[0].relation is Relation.QUANTIZED
    cut = parse_gguf_header(data[:60])
    assert cut.truncated


def test_gguf_garbage_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_gguf_header(io.BytesIO(b"not gguf at all").read())
