"""Bounded, non-executing loaders for the JSON and YAML that anyone on the Internet can write.

Guarantees (documented in README "Limits and safety"):

- YAML goes through a ``SafeLoader`` subclass only: ``!!python/...`` tags are rejected, alias
  use is capped (a billion-laughs document fails fast instead of expanding), nesting depth and
  node count are capped, and duplicate keys are recorded as problems (the last value wins, as
  in PyYAML) rather than silently merged.
- JSON is size-capped before parsing and depth-capped after; a document nested deeper than
  the C parser's recursion limit is reported as too deep, never as a crash.
- Every failure is a ``ParseError`` naming the file; nothing else escapes.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from lineage.errors import ParseError

MAX_YAML_BYTES = 1 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_YAML_ALIASES = 100
MAX_YAML_NODES = 200_000  # counted after alias expansion: what a consumer would walk


def decode_text(data: bytes | str, *, file: str | None = None) -> tuple[str, list[str]]:
    """Decode bytes as UTF-8 (BOM stripped, NULs removed, CRLF normalised).

    Invalid UTF-8 is replaced, not fatal: the problems list says what was repaired.
    """
    problems: list[str] = []
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            problems.append(f"{file or 'input'}: invalid UTF-8 replaced")
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        text = text.replace("\x00", "")
        problems.append(f"{file or 'input'}: NUL bytes removed")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, problems


class _BoundedSafeLoader(yaml.SafeLoader):  # type: ignore[misc, unused-ignore]
    """SafeLoader with caps on aliases, nodes and depth, recording duplicate keys.

    The node cap counts the document as a consumer sees it, with every alias expanded: PyYAML
    shares an anchored object between its aliases, so a few dozen aliases can stand for a
    billion nodes that ``json.dumps`` or any recursive walk downstream would visit.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.node_count = 0
        self.depth = 0
        self.duplicate_keys: list[str] = []
        self._expanded: dict[int, int] = {}  # id(node) -> size with aliases expanded

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_YAML_ALIASES:
                raise ComposerError(None, None, f"more than {MAX_YAML_ALIASES} aliases", None)
        self.node_count += 1
        if self.node_count > MAX_YAML_NODES:
            raise ComposerError(None, None, f"more than {MAX_YAML_NODES} nodes", None)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", None)
            node: Node | None = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node is not None and id(node) not in self._expanded:
            self._expanded[id(node)] = self._expanded_size(node)
        return node

    def _expanded_size(self, node: Node) -> int:
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        size = 1 + sum(self._expanded.get(id(c), 1) for c in children)
        if size > MAX_YAML_NODES:
            raise ComposerError(None, None, f"more than {MAX_YAML_NODES} nodes once aliases "
                                "are expanded (an alias bomb?)", None)
        return size

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:str":
                if key_node.value in seen:
                    self.duplicate_keys.append(str(key_node.value)[:80])
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return, unused-ignore]


def _no_timestamps() -> None:
    # Dates stay strings: json-serialisable everywhere downstream, and no datetime surprises.
    for first, resolvers in list(_BoundedSafeLoader.yaml_implicit_resolvers.items()):
        _BoundedSafeLoader.yaml_implicit_resolvers[first] = [
            (tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"
        ]


_BoundedSafeLoader.yaml_implicit_resolvers = {
    k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_no_timestamps()


def load_yaml(
    text: str, *, file: str | None = None, max_bytes: int = MAX_YAML_BYTES
) -> tuple[Any, list[str]]:
    """Parse one YAML document safely. Returns ``(value, problems)``."""
    if len(text.encode("utf-8", errors="replace")) > max_bytes:
        raise ParseError(f"YAML larger than {max_bytes} bytes", file=file)
    try:
        loader = _BoundedSafeLoader(text)  # the reader already rejects control characters
    except yaml.YAMLError as exc:
        raise ParseError(f"malformed YAML: {_yaml_reason(exc)}", file=file) from exc
    try:
        value = loader.get_single_data()
    except (ConstructorError, ComposerError) as exc:
        raise ParseError(f"unsafe or oversized YAML: {_yaml_reason(exc)}", file=file) from exc
    except yaml.YAMLError as exc:
        raise ParseError(f"malformed YAML: {_yaml_reason(exc)}", file=file) from exc
    except RecursionError as exc:
        raise ParseError("YAML nested too deep", file=file) from exc
    finally:
        loader.dispose()
    problems = [f"{file or 'YAML'}: duplicate key '{k}'" for k in loader.duplicate_keys]
    return value, problems


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1})" if mark is not None else ""
    return " ".join(f"{problem}{where}".split())[:200]


def load_json(
    data: bytes | str, *, file: str | None = None, max_bytes: int = MAX_JSON_BYTES
) -> Any:
    """Parse JSON with a size cap and a depth cap; ``ParseError`` on anything wrong."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", errors="replace"))
    if size > max_bytes:
        raise ParseError(f"JSON larger than {max_bytes} bytes", file=file)
    if isinstance(data, bytes):
        data, _ = decode_text(data, file=file)
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise ParseError("JSON nested too deep", file=file) from exc
    except ValueError as exc:
        raise ParseError(f"malformed JSON: {str(exc)[:160]}", file=file) from exc
    check_depth(value, file=file)
    return value


def check_depth(value: Any, *, file: str | None = None, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``ParseError`` when ``value`` nests deeper than ``max_depth`` (iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ParseError(f"nested deeper than {max_depth} levels", file=file)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
