"""The seams the code promises, checked by reading it: one module talks HTTP to the Hub, and
the relation vocabulary is spelt once (``lineage.graph.Relation``). A second HTTP client or a
second copy of the relation words fails here, with the file and line that added it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HUB_CLIENT = ROOT / "lineage" / "sources" / "hub_client.py"
HTTP_MODULES = ("huggingface_hub", "httpx", "httpx2", "httpcore", "httpcore2", "requests",
                "urllib3", "urllib.request", "http.client", "aiohttp")
RELATION_WORDS = frozenset({"finetune", "fine-tune", "adapter", "quantized", "merge",
                            "remote_code", "trained_on"})


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for folder in ("lineage", "sbom"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text("utf-8"), filename=str(path))


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _is_http(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in HTTP_MODULES)


def test_only_the_hub_client_imports_an_http_library_or_huggingface_hub() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path, tree in _sources() if path != HUB_CLIENT
             for line, name in _imports(tree) if _is_http(name)]
    assert found == [], "HTTP goes through lineage/sources/hub_client.py:\n" + "\n".join(found)


def test_nobody_builds_an_hfapi() -> None:
    calls = [f"{path.relative_to(ROOT)}:{node.lineno}"
             for path, tree in _sources() for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, "id",
                                                       getattr(node.func, "attr", "")) == "HfApi"]
    assert calls == []


def test_the_hub_client_is_what_the_checks_look_at() -> None:
    # the two tests above would pass vacuously if the client stopped importing anything
    names = {name for _, name in _imports(ast.parse(HUB_CLIENT.read_text("utf-8")))}
    assert any(n.startswith("huggingface_hub.utils._http.") for n in names)
    assert "httpx2" in names and "httpcore2" in names


def _literal_words(node: ast.AST) -> set[str]:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = node.elts
    elif isinstance(node, ast.Dict):
        items = [k for k in node.keys if k is not None]
    else:
        return set()
    return {i.value for i in items
            if isinstance(i, ast.Constant) and isinstance(i.value, str)} & RELATION_WORDS


def test_the_relation_vocabulary_is_spelt_once() -> None:
    copies = [f"{path.relative_to(ROOT)}:{node.lineno}: {sorted(words)}"
              for path, tree in _sources() for node in ast.walk(tree)
              if len(words := _literal_words(node)) >= 3]
    assert copies == [], "use lineage.graph.Relation / lineage.hub_lineage:\n" + "\n".join(copies)


@pytest.mark.parametrize("snippet", [
    'RELATIONS = ("adapter", "finetune", "quantized", "merge")',
    'KNOWN = frozenset({"finetune", "adapter", "merge"})',
    'WORDS = {"adapter": 1, "fine-tune": 2, "quantized": 3}',
])
def test_the_duplicate_check_finds_a_copy(snippet: str) -> None:
    tree = ast.parse(snippet)
    assert any(len(_literal_words(node)) >= 3 for node in ast.walk(tree))



SARIF_BUILDER = ROOT / "sbom" / "sarif.py"
SARIF_KEYS = ("partialFingerprints", "automationDetails", "suppressions", "ruleIndex")


def _sarif_keys(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value in SARIF_KEYS:
                    yield key.lineno, key.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and node.slice.value in SARIF_KEYS:
            yield node.lineno, node.slice.value


def test_one_module_builds_sarif() -> None:
    # check, licenses and scan state their rules and results; the log is built in one place
    copies = [f"{path.relative_to(ROOT)}:{line}: {key}"
              for path, tree in _sources() if path != SARIF_BUILDER
              for line, key in _sarif_keys(tree)]
    assert copies == [], "build SARIF with sbom/sarif.py:\n" + "\n".join(copies)
    builder = {key for _, key in _sarif_keys(ast.parse(SARIF_BUILDER.read_text("utf-8")))}
    assert builder == set(SARIF_KEYS)  # the check above looks at keys the builder writes


DB_MODULE = ROOT / "lineage" / "db.py"


def test_one_module_connects_to_a_database() -> None:
    # both stores open connections through lineage.db and catch its real exception classes
    found = [f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:60]}"
             for path, tree in _sources() if path != DB_MODULE
             for node in ast.walk(tree)
             if (isinstance(node, ast.Call)
                 and ast.unparse(node.func) in ("sqlite3.connect", "psycopg.connect"))
             or (isinstance(node, ast.Attribute) and node.attr == "__module__")]
    assert found == [], "open databases with lineage/db.py:\n" + "\n".join(found)
    calls = {ast.unparse(n.func) for n in ast.walk(ast.parse(DB_MODULE.read_text("utf-8")))
             if isinstance(n, ast.Call)}
    assert {"sqlite3.connect", "psycopg.connect"} <= calls
