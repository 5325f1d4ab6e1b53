"""The output registry: every format the CLI offers is registered once, writes what its own
validator accepts, and the CLI's choices are exactly the registered names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_spdx_fixtures import fixture_graph

from lineage.errors import ValidationFailure
from sbom.cli_options import BomFormat, GraphFormat, ReviewFormat, ViewFormat
from sbom.formats import FORMATS, RenderOptions, UnknownFormat, render
from sbom.review import review_graph

ROOT = Path(__file__).resolve().parents[1]
TARGET = "contoso/gemma-2-2b-lora-support"  # has license findings, datasets and an adapter


def test_the_cli_choices_are_the_registered_formats() -> None:
    assert [f.value for f in BomFormat] == FORMATS.names("bom")
    assert {f.value for f in ViewFormat} | {f.value for f in GraphFormat} | {"tree-json"} == \
        set(FORMATS.names("view"))
    assert [f.value for f in ReviewFormat] == FORMATS.names("review")
    assert len({f.extension for f in FORMATS.all() if f.group == "bom"}) == 3


@pytest.mark.parametrize("fmt", [f for f in FORMATS.all()], ids=lambda f: f"{f.group}-{f.name}")
def test_each_writer_passes_its_own_validator(fmt: object) -> None:
    graph = fixture_graph(TARGET)
    subject = review_graph(graph) if fmt.group == "review" else graph  # type: ignore[attr-defined]
    for spec in (("1.6", "1.7") if fmt.name == "cyclonedx" else ("1.6",)):  # type: ignore
        opts = RenderOptions(spec_version=spec, reproducible=True)
        text = fmt.write(subject, opts)  # type: ignore[attr-defined]
        assert text.endswith("\n") and "\x1b[" not in text
        if fmt.validate is not None:  # type: ignore[attr-defined]
            fmt.validate(text, opts)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["cyclonedx", "spdx-json", "spdx3-json"])
def test_validators_reject_a_broken_document(name: str) -> None:
    fmt = FORMATS.get("bom", name)
    doc = json.loads(fmt.write(fixture_graph(TARGET), RenderOptions(reproducible=True)))
    broken = {k: v for k, v in doc.items() if k not in ("specVersion", "spdxVersion", "@graph")}
    broken["@context"] = doc.get("@context", "x")
    with pytest.raises(ValidationFailure):
        assert fmt.validate is not None
        fmt.validate(json.dumps(broken), RenderOptions())


def test_an_unknown_format_is_a_usage_error_naming_the_choices() -> None:
    with pytest.raises(UnknownFormat, match="expected cyclonedx, spdx-json, spdx3-json"):
        render("bom", "xml", fixture_graph(TARGET))


def test_help_imports_no_writer() -> None:
    code = ("import sys, sbom.cli; heavy = [m for m in ('networkx', 'huggingface_hub', "
            "'spdx_tools', 'cyclonedx', 'rich', 'sbom.formats', 'lineage.graph') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "[]"
