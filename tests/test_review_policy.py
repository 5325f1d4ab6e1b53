"""Policy files: strict validation with line and key, and their effect on the review."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lineage.annotate.licenses import annotate_licenses
from lineage.errors import PolicyError
from lineage.graph import LineageGraph, ModelNode, Relation, SignatureInfo, model_key
from sbom.policy import load_policy, parse_policy
from sbom.review import Review, review_exit_code, review_graph

TODAY = dt.date(2026, 1, 15)


def chain(target_license: str, base_license: str, *, target: str = "me/ft") -> LineageGraph:
    g = LineageGraph()
    g.add_node(ModelNode(key=model_key(target), name=target, repo_id=target, is_target=True,
                         card={"license": target_license}))
    g.add_node(ModelNode(key=model_key("org/base"), name="org/base", repo_id="org/base",
                         card={"license": base_license}))
    g.add_edge(model_key(target), model_key("org/base"), Relation.FINETUNE)
    annotate_licenses(g)
    return g


def review(g: LineageGraph, policy_text: str) -> Review:
    return review_graph(g, parse_policy(policy_text, path="policy.yml"), today=TODAY)


def kinds(r: Review) -> list[str]:
    return [f.kind for f in r.active()]


def test_denied_license_fails_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("deny:\n  - MIT\n")
    r = review_graph(chain("apache-2.0", "mit"), load_policy(path), today=TODAY)
    [denied] = [f for f in r.findings if f.kind == "policy-denied"]
    assert denied.path == ("me/ft", "org/base")
    assert f"{path}:2" in denied.evidence
    assert review_exit_code(r, "error") == 1
    assert review_exit_code(r, "never") == 0
    assert review_exit_code(review_graph(chain("apache-2.0", "mit")), "error") == 0


def test_family_entries_and_review_list() -> None:
    r = review(chain("apache-2.0", "llama3.1"), "review: [llama]\n")
    assert "policy-review" in kinds(r)
    assert review_exit_code(r, "warning") == 1


def test_allow_list_denies_known_licenses_outside_it() -> None:
    r = review(chain("apache-2.0", "mit"), "allow: [permissive]\n")
    assert "policy-denied" not in kinds(r)
    r = review(chain("apache-2.0", "gpl-3.0"), "allow: [Apache-2.0, MIT]\n")
    denied = [f for f in r.active() if f.kind == "policy-denied"]
    assert [f.path[-1] for f in denied] == ["org/base"]


def test_commercial_rule_denies_noncommercial_ancestors() -> None:
    r = review(chain("cc-by-nc-4.0", "cc-by-nc-4.0"), "rules:\n  commercial: true\n")
    assert sorted(f.path[-1] for f in r.active() if f.kind == "policy-denied") == [
        "me/ft", "org/base"]


def test_require_signature_checks_the_target() -> None:
    g = chain("mit", "mit")
    assert "policy-denied" in kinds(review(g, "require-signature: true\n"))
    g.target.signature = SignatureInfo(status="verified")
    assert kinds(review(g, "require-signature: true\n")) == []


def test_exception_waives_until_it_expires() -> None:
    text = ("deny: [llama]\nexceptions:\n  - model: me/ft\n    reason: legal OK (T-1)\n"
            "    expires: {}\n")
    live = review(chain("llama3.1", "llama3.1", target="me/Llama-ft"),
                  text.replace("me/ft", "me/Llama-ft").format("2026-06-30"))
    waived = [f for f in live.findings if f.kind == "policy-denied"]
    assert waived and all(f.waived and "legal OK" in f.waived for f in waived)
    assert review_exit_code(live, "error") == 0
    expired = review(chain("llama3.1", "llama3.1", target="me/Llama-ft"),
                     text.replace("me/ft", "me/Llama-ft").format("2025-12-31"))
    assert review_exit_code(expired, "error") == 1
    notes = [f for f in expired.findings if f.kind == "policy-review" and "expired" in f.message]
    assert notes and "policy.yml:3" in notes[0].evidence[0]


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("allow: [mit]\nalow: [gpl-3.0]\n", 2, "alow"),
        ("allow: [mit]\nallow: [gpl-3.0]\n", 2, "allow"),
        ("deny:\n  - mit\n  - Apache2000\n", 3, "deny[1]"),
        ("rules:\n  commercial: maybe\n", 2, "rules.commercial"),
        ("rules:\n  comercial: true\n", 2, "rules.comercial"),
        ("exceptions:\n  - model: a/b\n    reason: r\n    expires: soon\n", 4,
         "exceptions[0].expires"),
        ("exceptions:\n  - model: a/b\n    expires: 2026-01-01\n", 2, "exceptions[0].reason"),
        ("exceptions:\n  - model: a/b\n    reason: r\n    expires: 2026-01-01\n    kinds: [x]\n",
         5, "exceptions[0].kinds[0]"),
        ("allow: [mit]\ndeny: [MIT]\n", 2, "deny"),
        ("a: &x [mit]\nallow: *x\n", 2, "aliases"),
        ("allow: [mit\n", 2, "invalid YAML"),
    ],
)
def test_malformed_policy_names_file_line_and_key(text: str, line: int, key: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(text, path="p.yml")
    message = str(err.value)
    assert message.startswith(f"p.yml:{line}"), message
    assert key in message


def test_unreadable_or_huge_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yml")
    big = tmp_path / "big.yml"
    big.write_text("deny: [mit]\n" + "#" * 300_000)
    with pytest.raises(PolicyError, match="larger than"):
        load_policy(big)
