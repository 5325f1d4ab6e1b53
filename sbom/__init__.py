"""mlbom's BOM layer: writing and reading bills of materials, and the ``mlbom`` CLI.

The public API::

    from sbom import FORMATS, RenderOptions, read_bom, render
    text = render("bom", "spdx-json", graph, RenderOptions(reproducible=True))
    again = read_bom("atlas.cdx.json")  # CycloneDX, or mlbom's SPDX 2.3 / SPDX 3

- ``FORMATS`` / ``render`` / ``RenderOptions`` / ``OutputFormat``: every document, view and
  review format by name (``sbom.formats``), with its extension, writer and validator.
- ``read_bom``: the one BOM reader, back to a ``lineage.LineageGraph``.
- ``review_graph``: the license review that ``mlbom licenses`` renders; ``check_graph``: the
  security and license gate of ``mlbom check`` (a ``CheckReport``, most severe finding first).

Names load on first use (``mlbom --help`` imports this package). Everything else is internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

_API = {
    "FORMATS": "sbom.formats", "render": "sbom.formats", "RenderOptions": "sbom.formats",
    "OutputFormat": "sbom.formats", "read_bom": "sbom.bom_reader",
    "review_graph": "sbom.review", "check_graph": "sbom.check",
}
__all__ = ["FORMATS", "OutputFormat", "RenderOptions", "check_graph", "read_bom", "render",
           "review_graph"]

if TYPE_CHECKING:
    from sbom.bom_reader import read_bom
    from sbom.check import check_graph
    from sbom.formats import FORMATS, OutputFormat, RenderOptions, render
    from sbom.review import review_graph


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'sbom' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value
