"""Ids are values: validated once, decoded only when unambiguous, never dropped or invented."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.errors import InvalidIdError
from lineage.refs import ModelRef, decode_dataset_id, decode_parent_value

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("raw", "repo_id", "revision"),
    [
        ("meta-llama/Llama-3.2-3B", "meta-llama/Llama-3.2-3B", None),
        ("gpt2", "gpt2", None),
        ("https://huggingface.co/Qwen/Qwen3.5-0.8B", "Qwen/Qwen3.5-0.8B", None),
        ("https://hf.co/org/name/tree/v1.0", "org/name", "v1.0"),
        (f"/root/.cache/huggingface/hub/models--Qwen--Qwen3-14B/snapshots/{SHA}",
         "Qwen/Qwen3-14B", SHA),
        (f"C:\\hf\\models--org--m\\snapshots\\{SHA}\\", "org/m", SHA),
        ("org/name@main", "org/name", "main"),
    ],
)
def test_unambiguous_values_decode_to_hub_refs(raw: str, repo_id: str, revision: str | None
                                               ) -> None:
    value = decode_parent_value(raw)
    assert value.ref == ModelRef(repo_id, revision)
    assert value.raw == raw.strip()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("/root/personal_assistant/model/Shanghai_AI_Laboratory/internlm-chat-7b", "local-path"),
        ("D:/Uni/Masterarbeit Code/finetuned", "local-path"),
        ("./checkpoints/x", "local-path"),
        ("models/Foo", "local-path"),
        ("../../etc/passwd", "local-path"),
        ("~/llama", "local-path"),
        ("org/na me", "invalid-id"),
        ("оrg/name", "invalid-id"),  # Cyrillic о: a look-alike is not the same repo
        ("a" * 300, "invalid-id"),
        ("https://example.com/org/name", "invalid-id"),
        ("https://huggingface.co/datasets/org/data", "invalid-id"),
        ("", "invalid-id"),
    ],
)
def test_values_that_are_not_hub_ids_are_kept_with_a_reason(raw: str, reason: str) -> None:
    value = decode_parent_value(raw)
    assert value.ref is None
    assert value.reason == reason
    assert value.raw == raw.strip()  # the raw value is kept for the BOM, never dropped


def test_non_string_values_are_invalid_not_crashes() -> None:
    for junk in ({"a": 1}, 7, None, ["x"]):
        assert decode_parent_value(junk).reason == "invalid-id"


def test_dataset_ids_accept_legacy_bare_names_and_hub_urls() -> None:
    assert decode_dataset_id("squad").ref == ModelRef("squad")
    assert decode_dataset_id("https://huggingface.co/datasets/org/d").ref == ModelRef("org/d")
    assert decode_dataset_id("../data.csv").reason == "local-path"


@pytest.mark.parametrize("bad", ["", "org/", "/name", "org//name", "org/name@", "a/b/c",
                                 "org/--x", "org/name.git"])
def test_modelref_parse_rejects_bad_ids(bad: str) -> None:
    with pytest.raises(InvalidIdError):
        ModelRef.parse(bad)


_part = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9_]{0,10}[A-Za-z0-9])?", fullmatch=True)


@given(ns=_part, name=_part, rev=st.none() | st.from_regex(r"[0-9a-f]{40}", fullmatch=True))
def test_modelref_str_and_parse_round_trip(ns: str, name: str, rev: str | None) -> None:
    ref = ModelRef(f"{ns}/{name}", rev)
    assert ModelRef.parse(str(ref)) == ref
