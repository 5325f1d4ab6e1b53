"""Hostile text, pickles and remote code: data stays data, nothing analysed is ever run."""

from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    card_text,
    components_by_ref,
    generate,
    properties_of,
    run_cli,
    write_folder,
)

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


def _html_folder(tmp_path: Path, license_value: str = "other") -> Path:
    front = "\n".join([
        f"license: {json.dumps(license_value)}",
        f"license_name: {json.dumps(SCRIPT)}",
        f"license_link: {json.dumps('javascript:alert(1)//' + SCRIPT)}",
        f"model_name: {json.dumps(IMG)}",
        f"pipeline_tag: {json.dumps(SCRIPT)}",
        f"base_model: {json.dumps(['org/' + SCRIPT, '../' + IMG])}",
        f"datasets: {json.dumps([SCRIPT])}",
    ])
    return write_folder(tmp_path / "release", {"README.md": card_text(front)})


def _assert_html_is_inert(html: str) -> None:
    """The hostile strings appear only inside the JSON data block, with ``<`` escaped."""
    assert SCRIPT not in html and IMG not in html
    opening = '<script id="mlbom-data" type="application/json">'
    before, found, rest = html.partition(opening)
    assert found, "the report embeds its data in a JSON script block"
    data, _, after = rest.partition("</script>")
    assert "<" not in data and "alert" in data  # the data is there, escaped
    assert "alert" not in before + after and "onerror" not in before + after


def test_html_in_card_fields_stays_data_in_json_and_html(tmp_path: Path, capsys: Any) -> None:
    folder = _html_folder(tmp_path)
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    text = (tmp_path / "bom.json").read_text("utf-8")
    assert json.loads(text) == bom  # still one valid JSON document
    assert SCRIPT in json.dumps(bom, ensure_ascii=False)  # kept as data, verbatim
    run = run_cli(["graph", str(folder), "--offline", "--format", "html",
                   "-o", str(tmp_path / "lineage.html")], capsys)
    assert run.code == 0, run.stderr
    _assert_html_is_inert((tmp_path / "lineage.html").read_text("utf-8"))


@pytest.mark.parametrize("license_value", [SCRIPT, "MIT; rm -rf /", "mit!", "caf\ufffd"])
def test_hostile_license_value_is_data(tmp_path: Path, capsys: Any, license_value: str) -> None:
    folder = _html_folder(tmp_path, license_value)
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    target = components_by_ref(bom)["local:release"]
    assert properties_of(target, "mlbom:license:declared") == [license_value]


# -- pickles and remote code ------------------------------------------------------------------
class _SystemCall:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_booby_trapped_pickle_is_flagged_never_loaded(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "PWNED-pickle"
    folder = write_folder(tmp_path / "release", {
        "README.md": card_text("license: mit"),
        "pytorch_model.bin": pickle.dumps({"w": _SystemCall(marker)}),
    })
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    assert not marker.exists()
    target = components_by_ref(bom)["local:release"]
    assert properties_of(target, "mlbom:weights:unsafe-format") == ["true"]
    findings = properties_of(target, "mlbom:finding")
    assert any(f.startswith("dangerous-pickle-import error pytorch_model.bin")
               and "system" in f for f in findings), findings


def test_remote_code_is_recorded_never_imported(tmp_path: Path, capsys: Any) -> None:
    marker = tmp_path / "PWNED-import"
    evil = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\nclass Evil: ...\n"
    folder = write_folder(tmp_path / "release", {
        "README.md": card_text("license: mit"),
        "config.json": json.dumps({"model_type": "evil", "auto_map": {
            "AutoConfig": "configuration_evil.EvilConfig",
            "AutoModel": "modeling_evil.Evil"}}),
        "modeling_evil.py": evil,
        "configuration_evil.py": evil,
        "__init__.py": evil,
    })
    run, bom = generate(capsys, folder, tmp_path / "bom.json", "--offline")
    assert run.code == 0, run.stderr
    assert not marker.exists()
    assert not {"modeling_evil", "configuration_evil"} & set(sys.modules)
    assert not any(m.startswith("release") for m in sys.modules)
    target = components_by_ref(bom)["local:release"]
    assert properties_of(target, "mlbom:remote-code") == ["true"]
