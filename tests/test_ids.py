"""One place for ids: the purl, Hub URL, bom-ref and SPDXID rules live in ``lineage/ids.py``.

The source check reads every module of ``lineage/`` and ``sbom/`` as text: a second module that
builds a purl or a Hub URL by hand is the second copy that drifts the day the rules change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lineage.graph import DatasetNode, ModelNode
from lineage.ids import (
    UniqueIds,
    hub_url,
    node_hub_url,
    node_key,
    node_purl,
    parse_purl,
    purl,
    split_node_key,
    strip_model_key,
)
from lineage.refs import ModelRef

ROOT = Path(__file__).resolve().parents[1]
SHA = "0123456789abcdef0123456789abcdef01234567"

# what builds an id, and the modules allowed to hold it (with why)
ID_RULES = {
    r"PackageURL\(": {"lineage/ids.py"},
    # the purl form named in text (docstrings, error messages) ...
    r"pkg:huggingface": {"lineage/ids.py", "sbom/bom_reader_foreign.py",  # its docstring
                         "sbom/advisories.py"},  # the advisory format in docs and messages
    # ... but parsed by one regular expression
    r"pkg:(huggingface|\{PURL_TYPE\})/\(\?P": {"lineage/ids.py"},
    r"https://huggingface\.co\b": {
        "lineage/ids.py",
        "lineage/refs.py",  # reads Hub URLs that cards declare as parents
        "lineage/resolver.py",  # a TARGET given as a Hub URL: its docstring and message
        "lineage/scan/commands.py",  # reads Hub URLs that shell commands download from
        "lineage/sources/hub.py",  # the client's default endpoint, not an id
        "sbom/cli_options.py",  # the --endpoint help text
    },
    r"#file:|#ancestor:|#model-card": {"lineage/ids.py"},
    r"SPDXRef-\" \+ sanitize_id|sanitize_id\(key": {"lineage/ids.py"},
}


def sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for package in ("lineage", "sbom") for p in sorted((ROOT / package).rglob("*.py"))}


@pytest.mark.parametrize("pattern", list(ID_RULES))
def test_each_id_rule_is_written_once(pattern: str) -> None:
    found = {path for path, text in sources().items() if re.search(pattern, text)}
    assert "lineage/ids.py" in found, "the rule moved: update this test"
    assert found <= ID_RULES[pattern], f"{pattern!r} built outside lineage/ids.py: " \
        f"{sorted(found - ID_RULES[pattern])}"


def test_purls_round_trip_through_the_one_parser() -> None:
    for ref in (ModelRef("org/name", SHA), ModelRef("gpt2"), ModelRef("a/b.c-d_e")):
        text = purl(ref)
        assert text.startswith("pkg:huggingface/")
        assert parse_purl(text) == (ref.repo_id, ref.revision)
    assert parse_purl("pkg:pypi/requests@2.0") is None


def test_cyclonedx_names_every_hub_repo_and_spdx_only_what_was_read() -> None:
    gated = ModelNode(key=node_key("model", "Org/Base"), name="Org/Base", repo_id="Org/Base",
                      unresolved="gated")
    read = ModelNode(key=node_key("model", "org/ft"), name="org/ft", repo_id="org/ft", sha=SHA)
    local = ModelNode(key="local:./ckpt", name="./ckpt", unresolved="local-path")
    data = DatasetNode(key=node_key("dataset", "org/d"), name="org/d", repo_id="org/d", sha=SHA)
    assert node_purl(gated) == "pkg:huggingface/Org/Base"
    assert node_purl(gated, exact=True) is None
    assert node_purl(read, exact=True) == f"pkg:huggingface/org/ft@{SHA}"
    assert node_purl(local) is None and node_purl(data) is None
    assert node_hub_url(read) == "https://huggingface.co/org/ft"
    assert node_hub_url(read, exact=True) == f"https://huggingface.co/org/ft/tree/{SHA}"
    assert node_hub_url(data) == "https://huggingface.co/datasets/org/d"
    assert hub_url(ModelRef("org/d", "main"), "dataset", pinned=True) == \
        "https://huggingface.co/datasets/org/d"  # a branch is not a pin


def test_node_keys_parse_back() -> None:
    assert node_key("model", "Org/Name") == "model:org/name"
    assert split_node_key("dataset:org/d") == ("dataset", "org/d")
    assert split_node_key("local:./x") is None and split_node_key("model:") is None
    assert strip_model_key("model:org/x") == "org/x" and strip_model_key("org/x") == "org/x"


def test_unique_ids_are_stable_and_never_collide() -> None:
    ids = UniqueIds()
    a = ids("model:a/b", "SPDXRef-model-a-b")
    b = ids("model:a.b", "SPDXRef-model-a-b")  # same readable base, another key
    assert a == "SPDXRef-model-a-b" and b.startswith("SPDXRef-model-a-b-") and a != b
    assert ids("model:a/b", "ignored") == a
