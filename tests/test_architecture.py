"""The import rules of README "Development" (architecture map), checked by reading the code.

Data flows one way: sources → parsers → resolver → graph → annotators → outputs. A module that
imports against the flow is the first step of a second copy of something; this test names the
module and the import so the fix is obvious. Imports inside functions count too.
"""

from __future__ import annotations

import ast
import importlib
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the base every layer may import; ``lineage.capped_read`` is standard-library only
BASE = {"lineage", "lineage.errors", "lineage.graph", "lineage.refs", "lineage.ids",
        "lineage.capped_read"}

# package prefix -> (what it may import from lineage/sbom, why)
RULES: dict[str, tuple[set[str], str]] = {
    "lineage.parsers": (BASE | {"lineage.parsers"}, "parsers are pure: bytes in, facts out"),
    "lineage.sources": (BASE | {"lineage.sources", "lineage.parsers"},
                        "a source fetches; it does not resolve or annotate"),
    "lineage.annotate": (BASE | {"lineage.annotate", "lineage.hashing", "lineage.licenses",
                                 "lineage.pickles", "lineage.sources.interface"},
                         "annotators read the graph and a source, never resolve"),
    "lineage.scan": (BASE | {"lineage.scan", "lineage.parsers"},
                     "the scan reads source text statically; it never resolves or fetches"),
    "lineage.graph": (BASE, "the graph and ids are the base everything else stands on"),
    "lineage.refs": (BASE, "the base"),
    "lineage.ids": (BASE, "the base"),
    "lineage": ({"lineage"}, "lineage never imports sbom"),
    "sbom.formats": (BASE | {"sbom"}, "outputs read the graph; they never fetch"),
    "sbom.views": (BASE | {"sbom.views", "sbom.formats"}, "views read the graph only"),
    "sbom.cyclonedx": (BASE | {"sbom.reproducible", "sbom.finding_kinds"},
                       "a writer reads the graph (and the finding vocabulary) only"),
    "sbom.spdx2": (BASE | {"sbom.reproducible", "sbom.spdx_common"}, "a writer"),
    "sbom.spdx3": (BASE | {"sbom.reproducible", "sbom.spdx_common"},
                   "SPDX 3 shares with SPDX 2.3 through spdx_common, not spdx2's internals"),
    "sbom.spdx_common": (BASE | {"sbom.reproducible"}, "shared by the SPDX writers"),
    "sbom.bom_reader": (BASE | {"lineage.licenses", "sbom.bom_reader", "sbom.bom_reader_spdx",
                                "sbom.bom_reader_foreign",
                                "sbom.spdx_common", "sbom.cyclonedx", "sbom.reproducible"},
                        "the one reader builds a graph from a document, nothing more"),
}
# the CLI's own modules: what they may import at module level (``mlbom --help`` loads them)
CLI_MODULES = ("sbom.cli", "sbom.cli_options", "sbom.bom_cmd", "sbom.view_cmd",
               "sbom.inventory_cmd", "sbom.scan_cmd", "sbom.check_cmd",
               "sbom.inventory.cli_affected")
CLI_TOP_LEVEL = {"lineage", "lineage.errors", "lineage.ids", "lineage.refs", "lineage.text_safety",
                 "sbom",
                 "sbom.cli_options", "sbom.bom_cmd", "sbom.view_cmd", "sbom.inventory_cmd",
                 "sbom.scan_cmd", "sbom.check_cmd", "sbom.inventory",
                 "sbom.inventory.cli_affected"}


def modules() -> dict[str, Path]:
    out = {}
    for package in ("lineage", "sbom"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import of lineage/sbom code in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(n, m) for n, m in found if m.split(".")[0] in ("lineage", "sbom")]


def _allowed(module: str, allowed: set[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def _rule_for(name: str) -> tuple[set[str], str] | None:
    best = max((p for p in RULES if name == p or name.startswith(p + ".")), key=len,
               default=None)
    return RULES[best] if best else None


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_follow_the_flow(name: str) -> None:
    rule = _rule_for(name)
    if rule is None:
        return  # sbom's commands and inventory may use both layers
    allowed, why = rule
    path = modules()[name]
    bad = [f"{path.relative_to(ROOT)}:{line} imports {mod}"
           for line, mod in imports(path) if not _allowed(mod, allowed | {name})]
    assert bad == [], f"{why}: " + "; ".join(bad)


@pytest.mark.parametrize("name", CLI_MODULES)
def test_cli_modules_import_nothing_heavy_at_start_up(name: str) -> None:
    path = modules()[name]
    bad = [f"{path.relative_to(ROOT)}:{line} imports {mod} at module level"
           for line, mod in imports(path, top_level_only=True) if mod not in CLI_TOP_LEVEL]
    assert bad == [], "; ".join(bad)


def test_sbom_reads_the_graph_through_its_methods() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{n}" for name, p in modules().items()
                 if name.startswith("sbom")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if "graph.g." in line or ".g.g." in line or "graph.g)" in line]
    assert offenders == [], f"networkx reached through graph.g: {offenders}"


@pytest.mark.parametrize("package", ["lineage", "sbom"])
def test_each_facade_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = [n for n in module.__all__ if getattr(module, n, None) is None]
    assert missing == []
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def _docstring_example(package: str) -> str:
    doc = importlib.import_module(package).__doc__ or ""
    block = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    return textwrap.dedent(block)


def test_the_facade_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the examples in lineage/__init__.py and sbom/__init__.py, run as written
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    scope: dict[str, object] = {"Path": Path}
    exec(_docstring_example("lineage"), scope)  # noqa: S102 - our own docstring
    graph = scope["graph"]
    sbom = importlib.import_module("sbom")
    (tmp_path / "atlas.cdx.json").write_text(
        sbom.render("bom", "cyclonedx", graph, sbom.RenderOptions(reproducible=True)))
    scope = {"graph": graph}
    exec(_docstring_example("sbom"), scope)  # noqa: S102
    assert '"spdxVersion": "SPDX-2.3"' in str(scope["text"])
    assert sorted(scope["again"].keys()) == sorted(graph.keys())  # type: ignore[attr-defined]
    report = sbom.check_graph(graph)
    assert report.findings and report.target == graph.target.name  # type: ignore[attr-defined]


def test_the_readme_maps_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Architecture map", 1)[1].split("\n## ", 1)[0]
    packages = {name for name, p in modules().items() if p.name == "__init__.py"}
    unmapped = sorted(p for p in packages if f"`{p.replace('.', '/')}/`" not in section)
    assert unmapped == [], f"README architecture map lacks {unmapped}"


MAX_FUNCTION_LINES = 60
# functions allowed to be longer, each with why (a line in the issue notes too)
LONG_FUNCTIONS: dict[str, str] = {}


def test_functions_are_short_enough_to_read_at_once() -> None:
    # the body is counted (first statement to the end): a typer command's option list is its
    # signature, not logic to read
    long = []
    for path in modules().values():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.body[0].lineno + 1
                if lines > MAX_FUNCTION_LINES and f"{rel}:{node.name}" not in LONG_FUNCTIONS:
                    long.append(f"{rel}:{node.lineno} {node.name} ({lines} lines)")
    assert long == [], f"split these (or say why not in LONG_FUNCTIONS): {long}"
