"""Hostile card YAML and encodings: no traceback, bounded, the rest of the graph still reported.

Each case runs ``mlbom generate`` on a local model folder whose card is hostile, against a
throw-away mirror holding the (well-behaved) parent, and checks what a user sees: exit 0, the
parent still in the BOM, and a one-line problem on the node whose card was bad.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    BILLION_LAUGHS,
    DUPLICATE_KEYS,
    PYTHON_TAG,
    WRONG_TYPES,
    add_model,
    card_text,
    components_by_ref,
    depends_on,
    generate,
    new_mirror,
    problems,
    write_folder,
)

from lineage.parsers.card import MAX_CARD_BYTES, parse_card


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = new_mirror(tmp_path / "mirror")
    add_model(root, "org/base", card={"license": "apache-2.0"})
    add_model(root, "org/other", card={"license": "mit"})
    return root


def _run_card(tmp_path: Path, mirror: Path, capsys: Any, readme: bytes | str,
              **extra: bytes | str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = write_folder(tmp_path / "release", {"README.md": readme, **extra})
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--hub-mirror", str(mirror))
    assert run.code == 0, run.stderr
    return bom, components_by_ref(bom)["local:release"]


def _nested_bomb(levels: int = 9, width: int = 10) -> str:
    """90 aliases standing for 10**9 strings once expanded."""
    lines = [f"l0: &l0 [{','.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines)


def test_alias_bomb_in_a_license_is_refused_fast(tmp_path: Path, mirror: Path, capsys: Any
                                                  ) -> None:
    # Every field of the card refers to the bomb: any code walking it would never finish.
    front = _nested_bomb() + "\nlicense: *l8\ndatasets: *l8\nbase_model: org/base\n"
    start = time.monotonic()
    bom, target = _run_card(tmp_path, mirror, capsys, card_text(front), **{
        "adapter_config.json": '{"base_model_name_or_path": "org/base"}'})
    assert time.monotonic() - start < 10
    assert any("alias" in p and "README.md" in p for p in problems(target)), problems(target)
    # the card is refused whole; the adapter config still names the base
    assert depends_on(bom, "local:release") == ["model:org/base"]


def test_classic_billion_laughs_front_matter(tmp_path: Path, mirror: Path, capsys: Any) -> None:
    bom, target = _run_card(tmp_path, mirror, capsys, card_text(BILLION_LAUGHS))
    assert any("aliases are expanded" in p for p in problems(target)), problems(target)


def test_python_tag_is_rejected_and_never_run(tmp_path: Path, mirror: Path, capsys: Any) -> None:
    marker = tmp_path / "PWNED"
    bom, target = _run_card(tmp_path, mirror, capsys,
                            card_text(PYTHON_TAG.format(marker=marker)))
    assert not marker.exists()
    assert any("python/object/apply" in p for p in problems(target)), problems(target)


def test_duplicate_keys_are_a_problem_and_the_last_value_wins(tmp_path: Path, mirror: Path,
                                                               capsys: Any) -> None:
    add_model(mirror, "org/second", card={"license": "mit"})
    bom, target = _run_card(tmp_path, mirror, capsys, card_text(DUPLICATE_KEYS))
    assert "duplicate key 'base_model'" in " ".join(problems(target))
    assert depends_on(bom, "local:release") == ["model:org/second"]


@pytest.mark.parametrize("front", ["- org/base\n- org/other", "just a sentence", "42", "[]"])
def test_front_matter_that_is_not_a_mapping(tmp_path: Path, mirror: Path, capsys: Any,
                                            front: str) -> None:
    bom, target = _run_card(tmp_path, mirror, capsys, card_text(front),
                            **{"adapter_config.json": '{"base_model_name_or_path": "org/base"}'})
    assert any("not a mapping" in p for p in problems(target)), problems(target)
    # the adapter config still names the base: the bad card loses nothing else
    assert depends_on(bom, "local:release") == ["model:org/base"]


def test_wrong_types_everywhere_become_problems(tmp_path: Path, mirror: Path, capsys: Any
                                                ) -> None:
    bom, target = _run_card(tmp_path, mirror, capsys, card_text(WRONG_TYPES))
    text = " | ".join(problems(target))
    assert "base_model is a dict" in text
    assert "datasets is a int" in text
    assert "unknown base_model_relation" in text


def test_wrong_types_in_a_parents_card_data(tmp_path: Path, mirror: Path, capsys: Any) -> None:
    add_model(mirror, "org/weird", card={"base_model": {"x": 1}, "license": ["mit", 7],
                                         "datasets": 12, "base_model_relation": 99})
    add_model(mirror, "org/listcard", card=["not", "a", "mapping"])
    bom, target = _run_card(tmp_path, mirror, capsys,
                            card_text("base_model: [org/weird, org/listcard, org/base]"))
    comps = components_by_ref(bom)
    assert set(depends_on(bom, "local:release")) == {
        "model:org/weird", "model:org/listcard", "model:org/base"}
    assert any("base_model is a dict" in p for p in problems(comps["model:org/weird"]))
    assert any("not a mapping" in p for p in problems(comps["model:org/listcard"]))


def test_alias_bomb_in_a_parents_embedded_mergekit_block(tmp_path: Path, mirror: Path,
                                                         capsys: Any) -> None:
    # A parent tagged "merge" has its README body scanned for mergekit YAML blocks.
    body = f"```yaml\n{_nested_bomb()}\nmodels: *l8\nmerge_method: ties\n```\n"
    add_model(mirror, "org/merged", card={"base_model": ["org/base", "org/other"]},
              tags=["merge"], files={"README.md": card_text("license: mit", body)})
    start = time.monotonic()
    bom, _ = _run_card(tmp_path, mirror, capsys, card_text("base_model: org/merged"))
    assert time.monotonic() - start < 10
    assert set(depends_on(bom, "model:org/merged")) == {"model:org/base", "model:org/other"}


# -- size and encoding ------------------------------------------------------------------------
def test_a_card_of_tens_of_megabytes_is_cut_not_lost(tmp_path: Path, mirror: Path,
                                                    capsys: Any) -> None:
    body = ("lorem ipsum é " * 70 + "\n") * 30_000  # ~30 MB, multi-byte characters at the cut
    assert len(body.encode()) > 10 * MAX_CARD_BYTES
    bom, target = _run_card(tmp_path, mirror, capsys, card_text("base_model: org/base", body))
    assert depends_on(bom, "local:release") == ["model:org/base"]
    assert any("only the start was read" in p for p in problems(target)), problems(target)
    assert not any("UTF-8" in p for p in problems(target))  # the cut splits no character


def test_huge_front_matter_is_refused_with_a_reason(tmp_path: Path, mirror: Path,
                                                    capsys: Any) -> None:
    front = "base_model: org/base\n" + "".join(f"k{i}: {'v' * 60}\n" for i in range(20_000))
    bom, target = _run_card(tmp_path, mirror, capsys, card_text(front))
    assert any("front matter larger than" in p for p in problems(target)), problems(target)


@pytest.mark.parametrize(
    ("readme", "problem"),
    [
        (b"---\nbase_model: org/base\nmodel_name: caf\xe9 \xff\xfe\n---\n", "invalid UTF-8"),
        (b"---\nbase_model: org/base\x00\x00\nlicense: mit\n---\nbody\x00", "NUL bytes"),
        (b"---\r\nbase_model: org/base\r\nlicense: mit\r\n---\r\n# T\r\n", None),
        (b"\xef\xbb\xbf---\nbase_model: org/base\nlicense: mit\n---\n", None),
        (b"\xef\xbb\xbf---\r\nbase_model: org/base\r\n---\r\n", None),
    ],
    ids=["invalid-utf8", "nul", "crlf", "bom", "bom-crlf"],
)
def test_encodings(tmp_path: Path, mirror: Path, capsys: Any, readme: bytes,
                   problem: str | None) -> None:
    bom, target = _run_card(tmp_path, mirror, capsys, readme)
    assert depends_on(bom, "local:release") == ["model:org/base"]
    if problem:
        assert any(problem in p for p in problems(target)), problems(target)
    else:
        assert problems(target) == []


def test_parse_card_reports_a_cut_for_text_too() -> None:
    text = card_text("base_model: org/base", "x" * (MAX_CARD_BYTES + 10))
    meta = parse_card(text)
    assert meta.data == {"base_model": "org/base"}
    assert meta.problems == [f"README.md: longer than {MAX_CARD_BYTES} bytes; only the start "
                             "was read"]


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\ufffe"])
def test_control_characters_in_front_matter(tmp_path: Path, mirror: Path, capsys: Any,
                                            char: str) -> None:
    # PyYAML's reader refuses these before parsing starts; that used to escape as a crash
    bom, target = _run_card(tmp_path, mirror, capsys,
                            card_text(f"license: mit\nmodel_name: a{char}b"),
                            **{"adapter_config.json": '{"base_model_name_or_path": "org/base"}'})
    assert any("malformed YAML" in p for p in problems(target)), problems(target)
    assert depends_on(bom, "local:release") == ["model:org/base"]
