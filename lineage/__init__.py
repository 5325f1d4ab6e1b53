"""mlbom's lineage layer: everything from a target to the annotated ``LineageGraph``.

The public API, for a program that wants a model's lineage without the CLI::

    from lineage import RunOptions, build_graph
    graph = build_graph("acme/Atlas-Merge-7B", RunOptions(hub_mirror=Path("fixtures/hub")))
    for child, parent, edge in graph.edges(): ...

- ``build_graph(target, RunOptions)``: resolve and annotate (licenses, datasets, weights,
  signatures); ``resolve_lineage(target, source)`` only resolves.
- ``LineageGraph`` with ``ModelNode`` / ``DatasetNode`` / ``CodeNode`` nodes and ``Relation``
  edges; ``ModelRef`` is a Hub id with an optional revision.
- ``Source`` is what a metadata source implements (the Hub, a mirror, ``LocalFolder``).
- Errors: ``MlbomError`` and its ``InputError`` (exit 2) and ``OperationalError`` (exit 3).

Names load on first use, so ``import lineage`` stays cheap. Everything else is internal and may
change without notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "build_graph": "lineage.pipeline", "RunOptions": "lineage.pipeline",
    "resolve_lineage": "lineage.resolver",
    "LineageGraph": "lineage.graph", "ModelNode": "lineage.graph",
    "DatasetNode": "lineage.graph", "CodeNode": "lineage.graph", "Relation": "lineage.graph",
    "ModelRef": "lineage.refs",
    "Source": "lineage.sources.interface", "LocalFolder": "lineage.sources.local",
    "MlbomError": "lineage.errors", "InputError": "lineage.errors",
    "OperationalError": "lineage.errors",
}
__all__ = [
    "CodeNode", "DatasetNode", "InputError", "LineageGraph", "LocalFolder", "MlbomError",
    "ModelNode", "ModelRef", "OperationalError", "Relation", "RunOptions", "Source",
    "__version__", "build_graph", "resolve_lineage",
]

if TYPE_CHECKING:
    from lineage.errors import InputError, MlbomError, OperationalError
    from lineage.graph import CodeNode, DatasetNode, LineageGraph, ModelNode, Relation
    from lineage.pipeline import RunOptions, build_graph
    from lineage.refs import ModelRef
    from lineage.resolver import resolve_lineage
    from lineage.sources.interface import Source
    from lineage.sources.local import LocalFolder


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'lineage' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value
