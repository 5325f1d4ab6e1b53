"""License review findings over hand-built graphs and the fixture Hub snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lineage.annotate.licenses import annotate_licenses
from lineage.graph import (
    DatasetNode,
    Evidence,
    LineageGraph,
    ModelNode,
    Relation,
    dataset_key,
    model_key,
)
from sbom.review import Review, ReviewFinding, review_exit_code, review_graph

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "hub"


class G:
    """A tiny graph builder: models and datasets with cards, edges with card evidence."""

    def __init__(self, target: str, license: Any = None, **card: Any) -> None:
        self.g = LineageGraph()
        self.model(target, license, is_target=True, **card)

    def model(self, name: str, license: Any = None, *, unresolved: str | None = None,
              is_target: bool = False, **card: Any) -> G:
        if license is not None:
            card["license"] = license
        self.g.add_node(ModelNode(key=model_key(name), name=name, repo_id=name, sha="c" * 40,
                                  card=card, is_target=is_target, unresolved=unresolved))
        return self

    def dataset(self, name: str, license: Any = None) -> G:
        card = {"license": license} if license is not None else {}
        self.g.add_node(DatasetNode(key=dataset_key(name), name=name, repo_id=name, card=card))
        return self

    def edge(self, child: str, parent: str, rel: Relation = Relation.FINETUNE) -> G:
        if rel is Relation.TRAINED_ON:
            ev = Evidence("card", "README.md", "datasets", parent)
            self.g.add_edge(model_key(child), dataset_key(parent), rel, [ev])
        else:
            ev = Evidence("card", "README.md", "base_model", parent)
            self.g.add_edge(model_key(child), model_key(parent), rel, [ev])
        return self

    def review(self) -> Review:
        annotate_licenses(self.g)
        return review_graph(self.g)


def of_kind(review: Review, kind: str) -> list[ReviewFinding]:
    """Findings that name the rule ``kind`` (as their kind, or as a rule the same cause
    also breaks)."""
    return [f for f in review.findings if kind in (f.kind, *f.also)]


def test_adapter_relabelling_gemma_as_apache_is_drift_with_path_and_evidence() -> None:
    r = (G("me/gemma-lora", "apache-2.0").model("google/gemma-2b", "gemma")
         .edge("me/gemma-lora", "google/gemma-2b", Relation.ADAPTER).review())
    [drift] = of_kind(r, "license-drift")
    assert drift.severity == "error"
    assert drift.path == ("me/gemma-lora", "google/gemma-2b")
    assert "me/gemma-lora: README.md:base_model=google/gemma-2b" in drift.evidence
    assert "me/gemma-lora: README.md:license=apache-2.0" in drift.evidence
    assert "google/gemma-2b: README.md:license=gemma" in drift.evidence
    assert drift.remediation
    assert review_exit_code(r, "error") == 1


def test_drift_is_found_through_an_intermediate_without_a_license() -> None:
    r = (G("me/top", "mit").model("me/quant").model("meta/base", "llama3.1")
         .edge("me/top", "me/quant", Relation.QUANTIZED).edge("me/quant", "meta/base").review())
    [drift] = of_kind(r, "license-drift")
    assert drift.path == ("me/top", "me/quant", "meta/base")
    assert "me/quant: README.md:base_model=meta/base" in drift.evidence


@pytest.mark.parametrize(
    ("child", "base", "severity"),
    [("mit", "cc-by-nc-4.0", "error"), ("apache-2.0", "gpl-3.0", "error"),
     ("mit", "cc-by-sa-4.0", "error"), ("apache-2.0", "creativeml-openrail-m", "error"),
     ("llama3", "llama3.2", "warning"), ("mit", "cc-by-nd-4.0", "error")],
)
def test_drift_kinds(child: str, base: str, severity: str) -> None:
    r = G("me/child", child).model("org/base", base).edge("me/child", "org/base").review()
    [drift] = of_kind(r, "license-drift")
    assert drift.severity == severity


def test_clean_mit_to_apache_chain_has_no_finding() -> None:
    r = G("me/apache-ft", "apache-2.0").model("org/mit-base", "mit").edge(
        "me/apache-ft", "org/mit-base").review()
    assert r.findings == ()
    assert review_exit_code(r, "warning") == 0
    assert {o.license for o in r.obligations} == {"Apache-2.0", "MIT"}


def test_gemma_to_gemma_chain_has_no_error() -> None:
    r = G("me/gemma-sql", "gemma").model("google/gemma-2b", "gemma").edge(
        "me/gemma-sql", "google/gemma-2b").review()
    assert not r.active("error") and not r.active("warning")
    [restriction] = of_kind(r, "restriction-passthrough")
    assert restriction.severity == "info"
    assert any(o.kind == "use-policy" and o.license == "gemma" for o in r.obligations)


def test_cc_by_nc_sa_dataset_under_an_mit_model_is_an_error() -> None:
    r = (G("me/bot", "mit").dataset("org/dialog", "cc-by-nc-sa-4.0")
         .edge("me/bot", "org/dialog", Relation.TRAINED_ON).review())
    [nc] = of_kind(r, "noncommercial-dataset")
    assert nc.severity == "error"
    assert nc.path == ("me/bot", "org/dialog")
    assert "org/dialog: README.md:license=cc-by-nc-sa-4.0" in nc.evidence
    assert any(o.kind == "noncommercial" for o in r.obligations)


def test_noncommercial_ancestor_is_a_warning_under_a_noncommercial_target() -> None:
    warn = G("me/nc", "cc-by-nc-4.0").model("org/b", "cc-by-nc-4.0").edge("me/nc", "org/b")
    [nc] = of_kind(warn.review(), "noncommercial-ancestor")
    assert nc.severity == "warning"
    err = G("me/c", "apache-2.0").model("org/b", "fair-noncommercial-research-license")
    [nc] = of_kind(err.edge("me/c", "org/b").review(), "noncommercial-ancestor")
    assert nc.severity == "error" and nc.path == ("me/c", "org/b")


def test_llama31_derivative_must_begin_with_llama() -> None:
    bad = G("me/Nova-8B", "llama3.1").model("meta-llama/Llama-3.1-8B", "llama3.1")
    [naming] = of_kind(bad.edge("me/Nova-8B", "meta-llama/Llama-3.1-8B").review(),
                       "naming-obligation")
    assert naming.path == ("me/Nova-8B", "meta-llama/Llama-3.1-8B")
    assert "'Llama'" in naming.message
    good = G("me/Llama-Nova-8B", "llama3.1").model("meta-llama/Llama-3.1-8B", "llama3.1")
    assert not of_kind(good.edge("me/Llama-Nova-8B", "meta-llama/Llama-3.1-8B").review(),
                       "naming-obligation")


def test_llama3_derivative_must_begin_with_llama_3() -> None:
    r = G("me/llama-8b-chat", "llama3").model("meta/Meta-Llama-3-8B", "llama3").edge(
        "me/llama-8b-chat", "meta/Meta-Llama-3-8B").review()
    [naming] = of_kind(r, "naming-obligation")
    assert "'Llama 3'" in naming.message
    ok = G("me/Llama-3-chat", "llama3").model("meta/Meta-Llama-3-8B", "llama3").edge(
        "me/Llama-3-chat", "meta/Meta-Llama-3-8B").review()
    assert not of_kind(ok, "naming-obligation")


def test_missing_license_is_an_error_on_the_target_and_a_warning_upstream() -> None:
    r = G("me/none").model("org/base-none").edge("me/none", "org/base-none").review()
    severities = {f.path[-1]: f.severity for f in of_kind(r, "missing-license")}
    assert severities == {"me/none": "error", "org/base-none": "warning"}


def test_trl_typo_card_is_a_missing_license_naming_the_typo() -> None:
    r = G("me/trl", None, licence="license").review()
    [missing] = of_kind(r, "missing-license")
    assert "licence" in missing.message


def test_unknown_and_custom_licenses_are_unknown_license() -> None:
    r = (G("me/x", "other", license_name="orion-community-license",
           license_link="https://example.org/L").model("org/y", "unknown")
         .edge("me/x", "org/y").review())
    kinds = {f.path[-1]: f for f in of_kind(r, "unknown-license")}
    assert set(kinds) == {"me/x", "org/y"}
    assert "me/x: README.md:license_name=orion-community-license" in kinds["me/x"].evidence


def test_merge_of_copyleft_and_llama_is_a_conflict() -> None:
    r = (G("me/merge", "gpl-3.0").model("a/gpl", "gpl-3.0").model("b/llama", "llama3.1")
         .edge("me/merge", "a/gpl", Relation.MERGE).edge("me/merge", "b/llama", Relation.MERGE)
         .review())
    [conflict] = of_kind(r, "conflicting-merge")
    assert conflict.severity == "error" and conflict.path == ("me/merge",)
    assert "b/llama: README.md:license=llama3.1" in conflict.evidence
    same = (G("me/merge", "apache-2.0").model("a/x", "apache-2.0").model("b/y", "mit")
            .edge("me/merge", "a/x", Relation.MERGE).edge("me/merge", "b/y", Relation.MERGE))
    assert not of_kind(same.review(), "conflicting-merge")


def test_unresolved_parent_is_reported_with_reason_and_evidence() -> None:
    r = (G("me/ft", "apache-2.0").model("/root/ckpt", unresolved="local-path")
         .edge("me/ft", "/root/ckpt").review())
    [unres] = of_kind(r, "unresolved-ancestor")
    assert unres.severity == "warning" and "local-path" in unres.message
    assert unres.evidence == ("me/ft: README.md:base_model=/root/ckpt",)


def test_list_license_with_llama_part_keeps_llama_terms() -> None:
    r = G("me/Llama-x", ["apache-2.0", "llama3.1"]).model("meta/Llama-3.1-8B", "llama3.1").edge(
        "me/Llama-x", "meta/Llama-3.1-8B").review()
    assert not of_kind(r, "license-drift")


# -- end to end over the fixture Hub snapshot -------------------------------------------------
def _review_fixture(target: str) -> Review:
    if not (SNAPSHOT / "mirror.json").is_file():
        pytest.skip("fixtures/hub not present")
    from lineage.pipeline import RunOptions, build_graph

    return review_graph(build_graph(target, RunOptions(hub_mirror=SNAPSHOT)))


def test_fixture_gemma_adapter_relabelled_apache() -> None:
    r = _review_fixture("contoso/gemma-2-2b-lora-support")
    [drift] = of_kind(r, "license-drift")
    assert drift.path == ("contoso/gemma-2-2b-lora-support", "google/gemma-2-2b-it")
    assert any("license=apache-2.0" in e for e in drift.evidence)


def test_fixture_mit_model_trained_on_nc_sa_dataset() -> None:
    r = _review_fixture("contoso/ReviewBot-7B")
    [nc] = of_kind(r, "noncommercial-dataset")
    assert nc.severity == "error" and nc.path[-1] == "contoso/dialog-nc-sa"


def test_fixture_clean_mit_to_apache_chain() -> None:
    r = _review_fixture("contoso/mini-sentiment-reviews")
    assert r.findings == ()
    assert r.obligations


def test_fixture_gemma_chain_has_no_error() -> None:
    r = _review_fixture("acme/gemma-2-2b-it-sql")
    assert not r.active("error") and review_exit_code(r) == 0


def test_fixture_gated_parent_and_custom_license() -> None:
    r = _review_fixture("acme/Orion-13B-Chat")
    assert {f.kind for f in r.findings} >= {"unknown-license", "unresolved-ancestor"}


def test_one_cause_is_one_finding_naming_every_rule_it_breaks() -> None:
    """Issue 18: an apache-2.0 merge over a cc-by-nc-4.0 parent drifts *and* has a
    noncommercial ancestor; that is one finding on that edge, naming both rules."""
    g = G("me/merge", "apache-2.0").model("org/nc", "cc-by-nc-4.0").edge("me/merge", "org/nc")
    on_edge = [f for f in g.review().findings if f.path == ("me/merge", "org/nc")]
    assert [(f.kind, f.also) for f in on_edge] == [("license-drift",
                                                     ("noncommercial-ancestor",))]
    assert on_edge[0].severity == "error"
    assert "forbids commercial use" in on_edge[0].message
