"""A local model folder is a ``Source`` like the Hub and the mirror: the resolver reads the
target folder through the same interface, and the folder's node is no Hub repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage.errors import HubError, ParseError
from lineage.refs import ModelRef
from lineage.resolver import resolve_lineage
from lineage.sources.interface import Source
from lineage.sources.local import LocalFolder

CARD = "---\nlicense: mit\nbase_model: org/base\n---\n# tuned\n"


def folder(tmp_path: Path) -> Path:
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "README.md").write_text(CARD)
    (model / "config.json").write_text('{"architectures": ["LlamaForCausalLM"]}')
    (tmp_path / "secret.txt").write_text("outside")
    (model / "link.json").symlink_to(tmp_path / "secret.txt")
    return model


def test_a_folder_answers_the_source_questions(tmp_path: Path) -> None:
    local = LocalFolder(folder(tmp_path))
    assert isinstance(local, Source) and local.name == "local"
    snap = local.model_info(ModelRef("any/id"))
    assert snap.repo_id == "my-model" and snap.sha is None and snap.kind == "local"
    assert snap.card_data["base_model"] == "org/base"
    assert {f.name for f in snap.siblings} == {"README.md", "config.json"}  # no escaping link
    assert local.read_file(snap.repo_id, None, "config.json").startswith(b"{")
    assert local.read_head(snap.repo_id, None, "README.md", 3) == b"---"
    with pytest.raises(ParseError):
        local.read_file(snap.repo_id, None, "link.json")
    with pytest.raises(HubError):
        local.dataset_info(ModelRef("org/data"))


def test_the_resolver_reads_a_folder_target_through_the_source(tmp_path: Path) -> None:
    graph = resolve_lineage(folder(tmp_path), None)
    target = graph.target
    assert target.key == "local:my-model" and target.name == "my-model"
    assert target.repo_id is None and target.sha is None  # a folder is no Hub repo
    assert target.architecture == "LlamaForCausalLM"
    assert [p.key for p, _ in graph.parents(target.key)] == ["model:org/base"]
