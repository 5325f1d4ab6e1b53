"""Hostile JSON: 200,000 levels deep, truncated, or of the wrong type, in a model folder, in
a mirror and from the fake Hub. The run finishes, the node says what was wrong, the rest of
the graph is still there; only a target that cannot be read fails (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    add_model,
    card_text,
    components_by_ref,
    deep_json,
    depends_on,
    generate,
    new_mirror,
    problems,
    unresolved,
    write_folder,
)

DEEP_ARRAY = '{"base_model_name_or_path": ' + "[" * 200_000 + "]" * 200_000 + "}"
DEEP_OBJECT = deep_json(200_000, key="ab")  # 1.2 MB: over the adapter cap, under config's


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = new_mirror(tmp_path / "mirror")
    add_model(root, "org/base", card={"license": "apache-2.0"})
    return root


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("adapter_config.json", DEEP_ARRAY, "adapter_config.json: JSON nested too deep"),
        ("adapter_config.json", DEEP_OBJECT, "adapter_config.json: JSON larger than"),
        ("config.json", DEEP_OBJECT, "config.json: JSON nested too deep"),
        ("config.json", "[" * 70 + "]" * 70, "config.json: nested deeper than 64 levels"),
        ("adapter_config.json", '{"base_model_name_or_path": "org/ba', "malformed JSON"),
        ("config.json", '{"model_type": "llama", "auto_map": {"AutoModel": "mod', "malformed"),
        ("adapter_config.json", '["org/base"]', "adapter_config.json: is a list, not an object"),
        ("config.json", '"config"', "config.json: is a str, not an object"),
        ("adapter_config.json", '{"base_model_name_or_path": {"a": 1}}',
         "base_model_name_or_path is not a string"),
        ("config.json", '{"auto_map": [1], "quantization_config": 5}',
         "auto_map is not an object"),
        ("config.json", b"\xff\xfe{\x00}", "malformed JSON"),
    ],
    ids=["adapter-deep-array", "adapter-deep-object", "config-deep", "config-70", "adapter-cut",
         "config-cut", "adapter-list", "config-str", "adapter-base-dict", "config-types",
         "config-utf16"],
)
def test_hostile_json_in_a_model_folder(tmp_path: Path, mirror: Path, capsys: Any, name: str,
                                        content: str | bytes, problem: str) -> None:
    folder = write_folder(tmp_path / "release", {
        "README.md": card_text("base_model: org/base\nlicense: mit"), name: content})
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    target = components_by_ref(bom)["local:release"]
    assert any(problem in p for p in problems(target)), problems(target)
    assert depends_on(bom, "local:release") == ["model:org/base"]


def _hostile_parents(root: Path, *, unparseable: bool = True) -> list[str]:
    """Parents whose Hub answer (info.json) is hostile; returns their ids. The fake Hub
    parses info.json itself, so it serves only the parseable ones (``unparseable=False``)."""
    bad = {
        "org/deep-info": deep_json(200_000),
        "org/cut-info": '{"id": "org/cut-info", "sha": "' + "a" * 40 + '", "cardData": {"lic',
        "org/list-info": "[1, 2, 3]",
    } if unparseable else {}
    bad |= {
        "org/deep-card": json.dumps({"id": "org/deep-card", "cardData": {
            "license": "mit", "x": json.loads(deep_json(80))}}),
        "org/typed-info": json.dumps({"id": "org/typed-info", "sha": 7, "cardData": "text",
                                      "siblings": {"a": 1}, "tags": "merge", "config": [1],
                                      "baseModels": "x", "downloads": "many"}),
    }
    for repo_id, text in bad.items():
        add_model(root, repo_id)
        (root / "models" / repo_id.replace("/", "--") / "info.json").write_text(text)
    add_model(root, "org/deep-files", card={"license": "mit"}, files={
        "config.json": deep_json(200_000), "adapter_config.json": DEEP_ARRAY})
    return [*bad, "org/deep-files"]


def _check_hostile_parents(bom: dict[str, Any], ids: list[str]) -> None:
    comps = components_by_ref(bom)
    assert set(depends_on(bom, "model:org/child")) == {f"model:{i}" for i in ids} | {
        "model:org/base"}
    assert unresolved(comps["model:org/base"]) == []
    for repo_id in {"org/deep-info", "org/cut-info", "org/deep-card"} & set(ids):
        c = comps[f"model:{repo_id}"]
        assert unresolved(c) == ["hub-error"], (repo_id, unresolved(c))
        assert problems(c) and all(repo_id in p for p in problems(c)), problems(c)
        assert any(word in " ".join(problems(c)) for word in ("deep", "malformed"))
    typed = problems(comps["model:org/typed-info"])
    assert any("commit sha 7 is not valid" in p for p in typed), typed
    assert any("card metadata is a str" in p for p in typed), typed
    if "org/list-info" in ids:
        listed = problems(comps["model:org/list-info"])
        assert any("not a JSON object" in p for p in listed), listed
    files = " | ".join(problems(comps["model:org/deep-files"]))
    assert "config.json" in files and "adapter_config.json" in files and "deep" in files


def _child(root: Path, ids: list[str]) -> None:
    add_model(root, "org/child", card={"base_model": [*ids, "org/base"], "license": "mit"})


def test_hostile_hub_answers_in_a_mirror(tmp_path: Path, mirror: Path, capsys: Any) -> None:
    ids = _hostile_parents(mirror)
    _child(mirror, ids)
    run, bom = generate(capsys, "org/child", tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    _check_hostile_parents(bom, ids)


def test_hostile_hub_answers_from_the_fake_hub(tmp_path: Path, mirror: Path, capsys: Any,
                                               make_fake_hub: Any) -> None:
    ids = _hostile_parents(mirror, unparseable=False)
    add_model(mirror, "org/cut-once", card={"license": "mit"})
    _child(mirror, [*ids, "org/cut-once"])
    # a body cut in half mid-transfer once: the retry gets the whole answer
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/cut-once", "action":
                                         "truncate"}])
    run, bom = generate(capsys, "org/child", tmp_path / "bom.json", "--endpoint", hub.endpoint,
                        "--no-cache")
    assert run.code == 0, run.stderr
    _check_hostile_parents(bom, [*ids, "org/cut-once"])
    assert unresolved(components_by_ref(bom)["model:org/cut-once"]) == []
    assert hub.count("model_info", "org/cut-once") == 2


@pytest.mark.parametrize("info", [deep_json(200_000), '{"id": "org/t", "cardData": {"a'])
def test_a_target_whose_answer_is_hostile_fails_with_exit_3(tmp_path: Path, mirror: Path,
                                                            capsys: Any, info: str) -> None:
    add_model(mirror, "org/t")
    (mirror / "models" / "org--t" / "info.json").write_text(info)
    out = tmp_path / "bom.json"
    run, _ = generate(capsys, "org/t", out, "--hub-mirror", str(mirror))
    assert run.code == 3
    assert not out.exists()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlbom: error: org/t: "), run.stderr
