"""Every parser, fed random bytes and structured garbage, raises only mlbom's own errors."""

from __future__ import annotations

import json
import struct
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lineage.errors import MlbomError
from lineage.parsers.adapter import parse_adapter_config
from lineage.parsers.card import card_lineage, extra_front_matter, parse_card
from lineage.parsers.card_recipes import card_recipes
from lineage.parsers.config import config_from_mapping, parse_config
from lineage.parsers.gguf_header import gguf_parents, gguf_summary, parse_gguf_header
from lineage.parsers.mergekit import parse_mergekit, recipe_from_mapping
from lineage.refs import decode_dataset_id, decode_parent_value, is_safe_repo_file
from lineage.sources.apijson import snapshot_from_api

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from(["base_model", "base_model_relation", "datasets", "license", "models",
                        "slices", "sources", "model", "merge_method", "auto_map", "config",
                        "quantization_config", "_name_or_path", "base_model_name_or_path",
                        "revision", "model-index", "results", "dataset", "cardData", "sha",
                        "siblings", "tags", "baseModels", "lfs", "rfilename", "id", "lora"])
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=40) | st.sampled_from(["org/base", "../x", "a--b/c.D", "", "@"]))
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=6)
    | st.dictionaries(KEYS | st.text(max_size=8), inner, max_size=6),
    max_leaves=40,
)
MAPPINGS = st.dictionaries(KEYS, GARBAGE, max_size=8)


def _only_ours(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except MlbomError as exc:
        assert "\n" not in str(exc)  # one line, whatever the input
        return None


def _as_json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _as_yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True)


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _only_ours(parse_card, data)
    _only_ours(parse_adapter_config, data)
    _only_ours(parse_mergekit, data)
    _only_ours(parse_config, data)
    _only_ours(parse_gguf_header, data)
    _only_ours(parse_gguf_header, b"GGUF\x03\x00\x00\x00" + data)


@SETTINGS
@given(GARBAGE)
def test_structured_garbage_as_json(value: Any) -> None:
    _only_ours(parse_adapter_config, _as_json(value))
    _only_ours(parse_config, _as_json(value))
    _only_ours(snapshot_from_api, value, repo_id="org/x")
    _only_ours(decode_parent_value, value)
    _only_ours(decode_dataset_id, value)
    is_safe_repo_file(value)


@SETTINGS
@given(GARBAGE)
def test_structured_garbage_as_yaml(value: Any) -> None:
    text = _as_yaml(value)
    meta = _only_ours(parse_card, f"---\n{text}---\n```yaml\n{text}```\n")
    if meta is not None:
        card_recipes(meta.body)  # raises nothing at all, not even ours
        for block in extra_front_matter(meta.body):
            card_lineage(block)
    _only_ours(parse_mergekit, text)


@SETTINGS
@given(MAPPINGS)
def test_mappings_with_the_right_keys_and_wrong_values(value: dict[str, Any]) -> None:
    _only_ours(card_lineage, value)
    _only_ours(config_from_mapping, value)
    _only_ours(recipe_from_mapping, value, file="x.yml")
    _only_ours(snapshot_from_api, value, repo_id="org/x")
    recipe = _only_ours(recipe_from_mapping, value, file="x.yml")
    if recipe is not None:
        _only_ours(recipe.parents)
    adapter = _only_ours(parse_adapter_config, _as_json(value))
    if adapter is not None:
        _only_ours(adapter.parent)


def _gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["general.base_model.count",
                                            "general.base_model.0.repo_url",
                                            "general.base_model.0.name",
                                            "general.base_model.1.organization",
                                            "general.architecture", "x"]),
                          st.integers(0, 13), st.binary(max_size=24)), max_size=8),
       st.integers(0, 2**64 - 1))
def test_gguf_headers_with_random_values(kvs: list[tuple[str, int, bytes]], count: int
                                         ) -> None:
    body = b"".join(_gguf_string(k) + struct.pack("<I", t) + v for k, t, v in kvs)
    data = b"GGUF" + struct.pack("<IQQ", 3, 0, count % 20) + body
    header = _only_ours(parse_gguf_header, data)
    if header is not None:
        _only_ours(gguf_parents, header.kv)
        gguf_summary(header.kv)
    _only_ours(gguf_parents, {k: v for k, _, v in kvs})
    _only_ours(gguf_parents, {"general.base_model.count": count,
                              "general.base_model.0.repo_url": kvs})


_CARD_PIECES = st.sampled_from([
    "```\n", "```yaml\n", "  ```yml\n", "~~~\n", "---\n", "\n", "merge_method: slerp\n",
    "merge_method: passthrough\n", "base_model: org/base\n", "base_model: out/step1\n",
    "models:\n", "  - model: org/a\n", "  - model: step1\n", "  - model: ./step1\n",
    "slices:\n", "  - sources:\n", "      - model: org/b\n", "        revision: v2\n",
    "experts:\n", "  - source_model: org/e\n", "name: step1\n", "The step1 model:\n",
    "# Original model card\n", "models: # step1\n", "  - model: org/a+org/lora\n", "x: [\n",
])


@SETTINGS
@given(st.lists(_CARD_PIECES, max_size=60), st.sampled_from([None, "step1", "target"]))
@example(["base_model: org/base\n", "  ```yml\n", "merge_method: slerp\n"], None)
def test_card_recipes_never_raise_and_never_invent_a_parent(pieces: list[str],
                                                           own: str | None) -> None:
    from lineage.parsers.card_recipes import card_recipes

    body = "".join(pieces)
    found = card_recipes(body, own_name=own)
    # YAML folds a plain scalar that goes on over an indented line into one value with
    # single spaces ("org/base\n  ```yml" is "org/base ```yml"), so compare folded text.
    folded = " ".join(body.split())

    def walk(decls: Any) -> None:
        for d in decls:
            base = d.value.raw.partition("@")[0].partition("+")[0]
            assert base in folded  # every parent is a value the card wrote
            walk(d.parents)

    walk(found.parents)
