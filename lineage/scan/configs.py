"""Model references in YAML, TOML, JSON and ``.env`` files, by key.

A key says what its value is: ``base_model``, ``model_name_or_path``,
``pretrained_model_name_or_path``, ``tokenizer_name`` (strict: legacy ids without an org are
accepted), generic ``model``/``model_id``/``embedding_model``/``LLM_MODEL`` keys (loose:
``org/name`` only, API-provider names rejected), ``adapter_name_or_path``/``peft_model_id``
(adapters), ``dataset_name`` and axolotl's ``datasets: [{path: org/name}]`` (datasets).
Keys that name where a model is *written* (``hub_model_id``, ``output_dir``,
``push_to_hub_model_id``) are never references. YAML is composed with the bounded safe loader
(aliases, nodes and depth capped); nothing is constructed beyond scalars.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lineage.errors import ParseError
from lineage.parsers.safe import MAX_DEPTH, check_depth, load_json
from lineage.scan.ids import hub_id
from lineage.scan.interface import Reference

_STRICT_KEYS = frozenset({
    "base_model", "base_model_name_or_path", "model_name_or_path",
    "pretrained_model_name_or_path", "tokenizer_name", "tokenizer_name_or_path",
    "base_model_config", "tokenizer_config", "teacher_model_name_or_path",
})
_OUTPUT_KEYS = re.compile(r"(hub_model_id|hub_repo|output|save|push_to_hub|hub_strategy|"
                          r"_dir$|^dir$|type$|dtype|revision|kwargs|class|max_|min_|arch|"
                          r"template|format|split|config_name|text_field|num_proc|prompt)")
_DATASET = re.compile(r"dataset")
_ADAPTER = re.compile(r"(adapter|lora|peft)")
_MODEL = re.compile(r"(model|tokenizer|checkpoint|ckpt|embedder|encoder|reranker|llm)")
_DATASET_PARENTS = frozenset({"datasets", "test_datasets", "pretraining_dataset",
                              "eval_datasets", "train_datasets"})
_DATASET_ITEM_KEYS = frozenset({"path", "id"})  # axolotl's path:, alignment-handbook's id:
_REVISION_KEYS = frozenset({"model_revision", "revision", "base_model_revision"})
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def key_kind(key: str) -> str | None:
    """The kind of reference a config key holds, or ``None`` when it holds none."""
    k = key.strip().lower().replace("-", "_")
    if k in _STRICT_KEYS:
        return "model"
    if _OUTPUT_KEYS.search(k):
        return None
    if _DATASET.search(k):
        return "dataset"
    if _ADAPTER.search(k):
        return "adapter" if re.search(r"(name|path|id|model|repo)", k) else None
    if _MODEL.search(k):
        return "model"
    return None


def _is_strict(key: str) -> bool:
    return key.strip().lower().replace("-", "_") in _STRICT_KEYS


def _reference(rel: str, line: int, key: str, value: str, evidence: str,
               kind: str | None = None) -> Reference | None:
    kind = kind or key_kind(key)
    if kind is None:
        return None
    decoded = hub_id(value, strict=_is_strict(key))
    if decoded is None:
        return None
    return Reference(rel, line, decoded[0], kind, decoded[1], f"{evidence}:{key}")


# -- YAML ---------------------------------------------------------------------------------
def scan_yaml(text: str, rel: str) -> list[Reference]:
    """References in every document of a YAML stream; ``ParseError`` for unsafe YAML."""
    from lineage.parsers.safe import _BoundedSafeLoader

    if len(text.encode("utf-8", errors="replace")) > MAX_CONFIG_BYTES:
        raise ParseError(f"YAML larger than {MAX_CONFIG_BYTES} bytes", file=rel)
    loader = _BoundedSafeLoader(text)
    refs: list[Reference] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                refs += _walk_yaml(node, rel, None, 0)
    except (yaml.YAMLError, RecursionError) as exc:
        reason = " ".join(str(getattr(exc, "problem", None) or exc).split())[:160]
        raise ParseError(f"YAML not read: {reason}", file=rel) from exc
    finally:
        loader.dispose()
    return refs


def _walk_yaml(node: Node, rel: str, parent_key: str | None, depth: int) -> list[Reference]:
    if depth > MAX_DEPTH:
        raise ParseError(f"nested deeper than {MAX_DEPTH} levels", file=rel)
    out: list[Reference] = []
    if isinstance(node, MappingNode):
        revision = next((v.value for k, v in node.value if isinstance(k, ScalarNode) and
                         k.value in _REVISION_KEYS and isinstance(v, ScalarNode) and
                         isinstance(v.value, str) and v.value), None)
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                continue
            if parent_key is not None and _DATASET.search(parent_key.lower()) and \
                    isinstance(value_node, ScalarNode) and "/" in key:
                decoded = hub_id(key, strict=False)  # dataset_mixer: {org/name: 1.0}
                if decoded:
                    out.append(Reference(rel, key_node.start_mark.line + 1, decoded[0],
                                         "dataset", None, f"yaml:{parent_key}"))
                    continue
            if isinstance(value_node, ScalarNode) and isinstance(value_node.value, str):
                kind = "dataset" if (key in _DATASET_ITEM_KEYS and
                                     parent_key in _DATASET_PARENTS) else None
                ref = _reference(rel, value_node.start_mark.line + 1, key, value_node.value,
                                 "yaml", kind)
                if ref is not None:
                    if revision and ref.kind == "model" and ref.revision is None:
                        ref = Reference(ref.file, ref.line, ref.id, ref.kind, revision,
                                        ref.evidence)
                    out.append(ref)
            elif isinstance(value_node, SequenceNode) and key_kind(key) is not None:
                for item in value_node.value:
                    if isinstance(item, ScalarNode):
                        ref = _reference(rel, item.start_mark.line + 1, key, item.value, "yaml")
                        if ref is not None:
                            out.append(ref)
                out += _walk_yaml(value_node, rel, key, depth + 1)
            else:
                out += _walk_yaml(value_node, rel, key, depth + 1)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            out += _walk_yaml(item, rel, parent_key, depth + 1)
    return out


# -- JSON and TOML: parsed values, lines found by searching the text ------------------------
def _walk_values(value: Any, parent_key: str | None = None
                 ) -> Iterator[tuple[str, str, str | None]]:
    """(key, string value, forced kind) for every string under a key, iteratively."""
    stack: list[tuple[Any, str | None]] = [(value, parent_key)]
    while stack:
        item, parent = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if not isinstance(k, str):
                    continue
                if isinstance(v, str):
                    kind = "dataset" if (k in _DATASET_ITEM_KEYS and
                                         parent in _DATASET_PARENTS) else None
                    yield k, v, kind
                elif isinstance(v, list) and key_kind(k) is not None:
                    yield from ((k, s, None) for s in v if isinstance(s, str))
                    stack.append((v, k))
                else:
                    stack.append((v, k))
        elif isinstance(item, list):
            stack.extend((v, parent) for v in item)


def _line_of(lines: list[str], needle: str, used: set[int]) -> int:
    for i, line in enumerate(lines):
        if i not in used and needle in line:
            used.add(i)
            return i + 1
    return 1


def _scan_parsed(value: Any, text: str, rel: str, evidence: str,
                 quote: str) -> list[Reference]:
    lines = text.split("\n")
    used: set[int] = set()
    out: list[Reference] = []
    for key, string, kind in sorted(_walk_values(value), key=lambda t: (t[0], t[1])):
        if (kind or key_kind(key)) is None:
            continue
        line = _line_of(lines, f"{quote}{string}{quote}", used)
        ref = _reference(rel, line, key, string, evidence, kind)
        if ref is not None:
            out.append(ref)
    return out


def scan_json(text: str, rel: str) -> list[Reference]:
    value = load_json(text, file=rel, max_bytes=MAX_CONFIG_BYTES)  # size, depth, syntax
    return _scan_parsed(value, text, rel, "json", '"')


def scan_toml(text: str, rel: str) -> list[Reference]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return []
    if len(text) > MAX_CONFIG_BYTES:
        raise ParseError(f"TOML larger than {MAX_CONFIG_BYTES} bytes", file=rel)
    try:
        value = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ParseError(f"not TOML: {str(exc)[:120]}", file=rel) from exc
    check_depth(value, file=rel)
    refs = _scan_parsed(value, text, rel, "toml", '"')
    return refs or _scan_parsed(value, text, rel, "toml", "'")


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def scan_env(text: str, rel: str) -> list[Reference]:
    out: list[Reference] = []
    for number, line in enumerate(text.split("\n"), 1):
        m = _ENV_LINE.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        value = m.group(2).split(" #")[0].strip().strip("'\"")
        ref = _reference(rel, number, m.group(1), value, "env")
        if ref is not None:
            out.append(ref)
    return out
