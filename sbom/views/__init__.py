"""Views of the annotated ``LineageGraph``: terminal tree, Mermaid, DOT and an HTML report.

Every view reads the one graph (or one read back from a BOM by ``sbom.bom_reader``); none
re-parses metadata. Text from cards is data: each renderer escapes it for its own syntax.
"""

from __future__ import annotations

from sbom.views.dot import render_dot
from sbom.views.html import render_html
from sbom.views.mermaid import render_mermaid
from sbom.views.tree import render_tree, tree_json

__all__ = ["render_dot", "render_html", "render_mermaid", "render_tree", "tree_json"]
