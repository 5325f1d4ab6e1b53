"""The output registry: every format ``mlbom`` writes, with its extension, writer and validator.

``FORMATS.get("bom", "spdx-json").write(graph, RenderOptions(reproducible=True))`` is how the CLI
(and any caller) renders; the writers themselves stay where they are (``sbom.cyclonedx``,
``sbom.spdx2``, ``sbom.spdx3``, ``sbom.views``, ``sbom.review_formats``) and are imported only when
a format is used. Adding a format is one ``FORMATS.register(OutputFormat(...))`` here.
"""

from __future__ import annotations

import json
from typing import Any

from lineage.errors import ValidationFailure
from sbom.formats.interface import Group, OutputFormat, Registry, RenderOptions, UnknownFormat

__all__ = ["FORMATS", "Group", "OutputFormat", "RenderOptions", "UnknownFormat", "render"]

FORMATS = Registry()


def render(group: Group, name: str, subject: Any, options: RenderOptions | None = None) -> str:
    """``subject`` (a graph, or a review for the ``review`` group) written as ``name``."""
    return FORMATS.get(group, name).write(subject, options or RenderOptions())


# -- documents --------------------------------------------------------------------------------
def _cyclonedx(graph: Any, o: RenderOptions) -> str:
    from sbom.cyclonedx import graph_to_cyclonedx_json

    return graph_to_cyclonedx_json(graph, spec_version=o.spec_version,
                                   reproducible=o.reproducible)


def _validate_cyclonedx(text: str, o: RenderOptions) -> None:
    from sbom.cyclonedx import validate_cyclonedx_json

    validate_cyclonedx_json(text, o.spec_version)


def _spdx23(graph: Any, o: RenderOptions) -> str:
    from sbom.spdx2 import write_spdx23_json

    return write_spdx23_json(graph, reproducible=o.reproducible)


def _validate_spdx23(text: str, o: RenderOptions) -> None:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    from sbom.spdx2 import validate_spdx23

    try:
        doc = JsonLikeDictParser().parse(json.loads(text))  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        detail = "; ".join(exc.get_messages())  # type: ignore[no-untyped-call]
        raise ValidationFailure(f"SPDX 2.3 document does not parse: {detail[:300]}") from exc
    messages = validate_spdx23(doc)
    if messages:
        raise ValidationFailure(f"SPDX 2.3 document failed validation: {messages[0]}")


def _spdx3(graph: Any, o: RenderOptions) -> str:
    from sbom.spdx3 import write_spdx3_json

    return write_spdx3_json(graph, reproducible=o.reproducible)


def _validate_spdx3(text: str, o: RenderOptions) -> None:
    from spdx_python_model import v3_0_1 as spdx3

    objects = spdx3.SHACLObjectSet()
    try:
        spdx3.JSONLDDeserializer().deserialize_data(json.loads(text), objects)
    except (TypeError, ValueError) as exc:
        raise ValidationFailure(f"SPDX 3 document is invalid: {exc}") from exc
    missing = objects.link()
    if missing:
        raise ValidationFailure(f"SPDX 3 document refers to missing elements: "
                                f"{sorted(missing)[:3]}")


# -- views ------------------------------------------------------------------------------------
def _tree(graph: Any, o: RenderOptions) -> str:
    from sbom.views.tree import render_tree

    return render_tree(graph, color=o.color)


def _tree_json(graph: Any, o: RenderOptions) -> str:
    from sbom.views.tree import tree_json

    return json.dumps(tree_json(graph), indent=2) + "\n"


def _mermaid(graph: Any, o: RenderOptions) -> str:
    from sbom.views.mermaid import render_mermaid

    return render_mermaid(graph)


def _dot(graph: Any, o: RenderOptions) -> str:
    from sbom.views.dot import render_dot

    return render_dot(graph)


def _html(graph: Any, o: RenderOptions) -> str:
    from sbom.views.html import render_html

    return render_html(graph)


# -- license reviews --------------------------------------------------------------------------
def _review(name: str) -> Any:
    def write(review: Any, o: RenderOptions) -> str:
        from sbom.review_formats import render_review

        return render_review(review, name, color=o.color, locate=o.locate)

    return write


def _json_schema(schema_file: str, draft: str) -> Any:
    def validate(text: str, o: RenderOptions) -> None:
        from importlib import resources

        import jsonschema_rs

        schema = json.loads(resources.files("sbom").joinpath("data", schema_file).read_text())
        validator = getattr(jsonschema_rs, f"{draft}Validator")(schema)
        error = next(iter(validator.iter_errors(json.loads(text))), None)
        if error is not None:
            where = "/".join(str(p) for p in error.instance_path) or "(document)"
            raise ValidationFailure(f"{schema_file} validation failed at {where}: "
                                    f"{' '.join(error.message.split())[:300]}")

    return validate


for _fmt in (
    OutputFormat("cyclonedx", "bom", ".cdx.json", "CycloneDX {spec_version} ML-BOM", _cyclonedx,
                 _validate_cyclonedx),
    OutputFormat("spdx-json", "bom", ".spdx.json", "SPDX 2.3", _spdx23, _validate_spdx23),
    OutputFormat("spdx3-json", "bom", ".spdx3.json", "SPDX 3.0.1", _spdx3, _validate_spdx3),
    OutputFormat("tree", "view", ".txt", "lineage tree", _tree),
    OutputFormat("tree-json", "view", ".tree.json", "lineage tree (JSON)", _tree_json),
    OutputFormat("mermaid", "view", ".mmd", "Mermaid flowchart", _mermaid),
    OutputFormat("dot", "view", ".dot", "Graphviz DOT", _dot),
    OutputFormat("html", "view", ".html", "HTML report", _html),
    OutputFormat("table", "review", ".txt", "license review table", _review("table")),
    OutputFormat("json", "review", ".review.json", "license review (mlbom-review/1)",
                 _review("json"), _json_schema("review.schema.json", "Draft202012")),
    OutputFormat("markdown", "review", ".md", "license review (Markdown)", _review("markdown")),
    OutputFormat("sarif", "review", ".sarif", "SARIF 2.1.0", _review("sarif"),
                 _json_schema("sarif-2.1.0.json", "Draft4")),
):
    FORMATS.register(_fmt)
