"""License-compliance review along a model's whole lineage (``mlbom licenses``).

Input is an annotated ``LineageGraph`` (licenses filled by ``lineage.annotate.licenses``, or read
back from an mlbom BOM). The review looks at the target and everything it depends on: ancestor
models (lineage edges), training datasets and remote-code repos, and returns a ``Review``:

- ``findings``: each with a kind (see ``sbom.policy.FINDING_KINDS``), a severity (error,
  warning, info), the path of node names from the target to the node that causes it, the
  evidence (edge evidence such as ``adapter_config.json:base_model_name_or_path=...`` and the
  license declaration such as ``README.md:license=apache-2.0``, each prefixed by the node's
  name), a one-line message and what to do. Findings waived by a policy exception keep their
  severity but carry ``waived`` and never fail a gate.
- ``obligations``: what a distributor inherits from every license in the lineage (attribution,
  notices, use policies, naming, noncommercial, copyleft/share-alike), stated even when there
  is no finding.
- ``licenses``: one line per node with its normalised license.

The knowledge base's facts decide everything; a license mlbom does not know yields an
``unknown-license`` finding instead of a guess. Review is pure: no network, no clock except
``today`` (for policy exception expiry), which tests pass explicitly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from lineage.errors import InputError
from lineage.graph import DatasetNode, LicenseInfo, LineageGraph, ModelNode, Node
from lineage.licenses import LicenseFacts, facts_for_info
from sbom.policy import FINDING_KINDS, Policy, PolicyEntry

SEVERITIES = ("error", "warning", "info")
_F = TypeVar("_F")  # ReviewFinding, or any dataclass with the same fields
FAIL_ON = ("error", "warning", "never")

#: Stable rule ids (SARIF ``ruleId``), one per finding kind. Never renumber.
RULE_IDS = {
    "license-drift": "MLBOM-LIC-DRIFT",
    "noncommercial-ancestor": "MLBOM-LIC-NC-ANCESTOR",
    "noncommercial-dataset": "MLBOM-LIC-NC-DATASET",
    "naming-obligation": "MLBOM-LIC-NAMING",
    "restriction-passthrough": "MLBOM-LIC-RESTRICTION",
    "missing-license": "MLBOM-LIC-MISSING",
    "unknown-license": "MLBOM-LIC-UNKNOWN",
    "conflicting-merge": "MLBOM-LIC-MERGE-CONFLICT",
    "unresolved-ancestor": "MLBOM-LIC-UNRESOLVED",
    "policy-denied": "MLBOM-POLICY-DENIED",
    "policy-review": "MLBOM-POLICY-REVIEW",
}
assert set(RULE_IDS) == set(FINDING_KINDS)

#: One-sentence descriptions of each kind (SARIF rule descriptions, docs).
KIND_DESCRIPTIONS = {
    "license-drift": "A model declares a license that drops obligations of an ancestor's "
    "license.",
    "noncommercial-ancestor": "A model in the lineage forbids commercial use.",
    "noncommercial-dataset": "A training dataset in the lineage forbids commercial use.",
    "naming-obligation": "An ancestor's license requires derived model names to begin with a "
    "given word.",
    "restriction-passthrough": "An ancestor's use policy (RAIL, Llama, Gemma ...) must travel "
    "with the model.",
    "missing-license": "A model, dataset or code repo declares no license.",
    "unknown-license": "A declared license is not one mlbom can identify.",
    "conflicting-merge": "The parents of a merge carry licenses that cannot be combined.",
    "unresolved-ancestor": "A license could not be checked because a node could not be read.",
    "policy-denied": "A license or rule of the policy is violated.",
    "policy-review": "The policy asks for a human review.",
}

# Families whose terms are a licensor's own agreement: only that agreement carries them on.
_OWN_TERMS = frozenset({"llama", "gemma", "vendor", "research-only"})
_OBLIGATION_ORDER = ("noncommercial", "no-derivatives", "use-policy", "naming", "copyleft",
                     "share-alike", "notice", "attribution")


@dataclass(frozen=True)
class ReviewFinding:
    kind: str
    severity: str
    path: tuple[str, ...]  # node names, target first, the node causing it last
    node: str  # key of the node causing it
    evidence: tuple[str, ...]
    message: str
    remediation: str
    waived: str | None = None  # the policy exception's reason and expiry, when waived
    also: tuple[str, ...] = ()  # other rules the same cause breaks (one cause, one finding)

    @property
    def rule_id(self) -> str:
        return RULE_IDS[self.kind]


@dataclass(frozen=True)
class Obligation:
    """A duty a distributor of the target inherits from one license."""

    kind: str  # one of _OBLIGATION_ORDER
    license: str  # the license's display id
    text: str
    nodes: tuple[str, ...]  # names of the nodes under that license
    url: str | None = None


@dataclass(frozen=True)
class NodeLicense:
    key: str
    name: str
    kind: str  # model, dataset, code
    license: str | None  # SPDX expression, Hub id, or "other: <name>"; None when none/unknown
    family: str | None
    source: str  # card, card-other, hub-tags, dataset-card, bom, none, unresolved
    declared: str | None
    url: str | None
    unresolved: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Review:
    target: str
    target_key: str
    findings: tuple[ReviewFinding, ...]
    obligations: tuple[Obligation, ...]
    licenses: tuple[NodeLicense, ...]
    policy: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def active(self, severity: str | None = None) -> list[ReviewFinding]:
        """Findings not waived by the policy, optionally of one severity."""
        return [f for f in self.findings
                if f.waived is None and (severity is None or f.severity == severity)]


# -- small helpers ---------------------------------------------------------------------------
def license_display(info: LicenseInfo | None) -> str | None:
    """How a node's license is shown: SPDX expression, Hub id, or ``other: <name>``."""
    if info is None:
        return None
    if info.spdx:
        return info.spdx
    if info.hub_id == "other":
        return f"other: {info.name}" if info.name else "other"
    return info.hub_id or info.name or None


def _license_evidence(node: Node) -> list[str]:
    info = node.license
    if info is None:
        return []
    file = {"hub-tags": "hub-tags", "bom": "bom"}.get(info.source, "README.md")
    field_ = {"hub-tags": "tags", "bom": "licenses"}.get(info.source, "license")
    if info.declared is None:
        out = [f"{node.name}: {file}:{field_}=(absent)"]
    else:
        out = [f"{node.name}: {file}:{field_}={info.declared}"]
    if info.hub_id == "other" and info.name:
        out.append(f"{node.name}: {file}:license_name={info.name}")
    return out


def _commercial(facts: list[LicenseFacts]) -> bool | None:
    """Commercial use under all of ``facts`` (an AND list): False if any forbids it."""
    if not facts:
        return None
    if any(f.commercial is False for f in facts):
        return False
    if all(f.commercial is True for f in facts):
        return True
    return None


def _noncommercial(facts: list[LicenseFacts]) -> LicenseFacts | None:
    for f in facts:
        if f.commercial is False or (f.commercial is None and f.family == "research-only"):
            return f
    return None


def _names(facts: Iterable[LicenseFacts]) -> str:
    return " AND ".join(f.display for f in facts)


class _Reviewer:
    def __init__(self, graph: LineageGraph, policy: Policy | None, today: dt.date) -> None:
        self.g = graph
        self.policy = policy
        self.today = today
        self.target = graph.target
        self.scope = [self.target.key] + sorted(graph.ancestors(self.target.key))
        self.facts: dict[str, list[LicenseFacts]] = {
            k: facts_for_info(graph.node(k).license) for k in self.scope
        }
        self.findings: list[ReviewFinding] = []
        self.target_commercial = _commercial(self.facts[self.target.key])

    # -- paths and evidence ----------------------------------------------------------------
    def keys_to(self, key: str, via: str | None = None) -> list[str]:
        if via is None or via == key:
            return self.g.path_to(key)
        head = self.g.path_to(via)
        tail = self.g.path_to(key, source=via)
        return head[:-1] + tail

    def names(self, keys: list[str]) -> tuple[str, ...]:
        return tuple(self.g.node(k).name for k in keys)

    def edge_evidence(self, keys: list[str]) -> list[str]:
        if len(keys) < 2:
            return []
        child, parent = keys[-2], keys[-1]
        if not self.g.has_edge(child, parent):
            return []
        name = self.g.node(child).name
        return [f"{name}: {ev}" for ev in self.g.edge(child, parent).evidence]

    def add(self, kind: str, severity: str, keys: list[str], evidence: Iterable[str],
            message: str, remediation: str) -> None:
        self.findings.append(ReviewFinding(
            kind, severity, self.names(keys), keys[-1], tuple(dict.fromkeys(evidence)),
            message, remediation,
        ))

    def node(self, key: str) -> Node:
        return self.g.node(key)

    def lineage_parents(self, key: str) -> list[str]:
        return [p.key for p, _ in self.g.parents(key, lineage_only=True)]

    def licensed_ancestors(self, key: str) -> list[list[str]]:
        """Paths from ``key`` to the nearest ancestor models with known license facts."""
        out: list[list[str]] = []
        queue: deque[list[str]] = deque([key, p] for p in self.lineage_parents(key))
        seen = {key}
        while queue:
            path = queue.popleft()
            last = path[-1]
            if last in seen:
                continue
            seen.add(last)
            if self.facts.get(last):
                out.append(path)
                continue
            queue.extend(path + [p] for p in self.lineage_parents(last))
        return out

    # -- the checks --------------------------------------------------------------------------
    def run(self) -> None:
        for key in self.scope:
            node = self.node(key)
            if node.unresolved:
                self.check_unresolved(key)
                continue
            self.check_declared(key)
            if isinstance(node, ModelNode):
                self.check_drift(key)
                self.check_merge(key)
                if key != self.target.key:
                    self.check_noncommercial(key, "noncommercial-ancestor")
            elif isinstance(node, DatasetNode):
                self.check_noncommercial(key, "noncommercial-dataset")
        self.check_naming()
        self.check_restrictions()
        if self.policy is not None:
            self.check_policy(self.policy)

    def check_unresolved(self, key: str) -> None:
        node = self.node(key)
        reason = node.unresolved or "unresolved"
        keys = self.g.path_to(key)
        evidence = []
        for child, _ in self.g.children(key):
            if child.key in self.scope:
                evidence += [f"{child.name}: {ev}" for ev in self.g.edge(child.key, key).evidence]
        what = {"model": "model", "dataset": "dataset", "code": "code repo"}.get(node.kind, "node")
        todo = {
            "local-path": "Publish the parent on the Hub and declare its repo id, or check the "
            "local model's license by hand.",
            "gated": "Request access and re-run with a token, or read the license on the model "
            "page.",
            "not-found": "Fix the declared id, or check where the parent really comes from.",
            "offline": "Re-run online or add the repo to the mirror.",
            "depth-limit": "Re-run with a larger --max-depth.",
            "invalid-id": "Fix the declared value to a Hub repo id.",
            "cycle": "Fix the card that declares a parent which is its own descendant.",
        }.get(reason, "Check this node's license by hand.")
        self.add("unresolved-ancestor", "info" if reason == "cycle" else "warning", keys,
                 evidence, f"license of {what} {node.name} could not be checked ({reason})", todo)

    def check_declared(self, key: str) -> None:
        node = self.node(key)
        info = node.license
        what = {"model": "model", "dataset": "dataset", "code": "code repo"}.get(node.kind, "node")
        keys = self.g.path_to(key)
        evidence = self.edge_evidence(keys) + _license_evidence(node)
        if info is None or (info.declared is None and not info.hub_id and not info.spdx):
            has_file = info is not None and info.license_file
            problems = list(info.problems) if info else []
            severity = "error" if key == self.target.key and not has_file else "warning"
            extra = f"; a {info.license_file} file is present" if info and has_file else ""
            detail = f" ({problems[0]})" if problems else ""
            if info is not None and has_file:
                evidence.append(f"{node.name}: {info.license_file}")
            self.add("missing-license", severity, keys, evidence,
                     f"{what} {node.name} declares no license{extra}{detail}",
                     "Declare the license in the card's `license:` field (all rights are "
                     "reserved without one); for an ancestor, ask its author or avoid it.")
            return
        if not self.facts[key]:
            shown = license_display(info) or info.declared or "?"
            where = f" ({info.url})" if info.url else ""
            self.add("unknown-license", "warning", keys, evidence,
                     f"{what} {node.name} declares license {shown!r}{where}, which mlbom "
                     "cannot identify",
                     "Read the license text and record a decision in the policy (an entry "
                     "LicenseRef-<name> or an exception for this model).")

    def check_drift(self, key: str) -> None:
        child = self.facts[key]
        if not child:
            return
        for path in self.licensed_ancestors(key):
            anc = path[-1]
            reasons, severity = _drift_reasons(child, self.facts[anc])
            if not reasons:
                continue
            keys = self.keys_to(anc, via=key)
            node, base = self.node(key), self.node(anc)
            evidence = (self.edge_evidence(path) + _license_evidence(node)
                        + _license_evidence(base))
            self.add("license-drift", severity, keys, evidence,
                     f"{node.name} declares {_names(child)} over {base.name} under "
                     f"{_names(self.facts[anc])}: {'; '.join(reasons)}",
                     f"Declare {_names(self.facts[anc])} (or a license that keeps its terms) "
                     f"on {node.name}, and distribute under the base's terms.")

    def check_merge(self, key: str) -> None:
        parents = self.lineage_parents(key)
        if len(parents) < 2:
            return
        conflicts: list[str] = []
        severity = "warning"
        licensed = [(p, self.facts.get(p) or []) for p in parents]
        licensed = [(p, f) for p, f in licensed if f]
        for i, (pa, fa) in enumerate(licensed):
            for pb, fb in licensed[i + 1:]:
                for a in fa:
                    for b in fb:
                        why, sev = _merge_conflict(a, b)
                        if why:
                            conflicts.append(f"{self.node(pa).name} ({a.display}) and "
                                             f"{self.node(pb).name} ({b.display}): {why}")
                            if sev == "error":
                                severity = "error"
        if not conflicts:
            return
        keys = self.g.path_to(key)
        evidence: list[str] = []
        for p, _ in licensed:
            evidence += self.edge_evidence([key, p]) + _license_evidence(self.node(p))
        self.add("conflicting-merge", severity, keys, evidence,
                 f"merge {self.node(key).name} combines incompatible licenses: "
                 + "; ".join(dict.fromkeys(conflicts)),
                 "Replace one of the merged parents, or get permission from its licensor; "
                 "a merge is bound by every parent's license at once.")

    def check_noncommercial(self, key: str, kind: str) -> None:
        nc = _noncommercial(self.facts[key])
        if nc is None:
            return
        node = self.node(key)
        keys = self.g.path_to(key)
        target_lic = _names(self.facts[self.target.key]) or "no known license"
        if self.target_commercial:
            severity = "error"
            tail = f"; the target's license {target_lic} allows commercial use"
        else:
            severity = "warning"
            tail = ""
        what = "training dataset" if kind == "noncommercial-dataset" else "ancestor"
        verb = "forbids" if nc.commercial is False else "does not grant"
        self.add(kind, severity, keys, self.edge_evidence(keys) + _license_evidence(node),
                 f"{what} {node.name} is under {nc.display}, which {verb} commercial use{tail}",
                 "Do not use the model commercially, replace the "
                 + ("dataset" if kind == "noncommercial-dataset" else "ancestor")
                 + ", or get a commercial license; declare a noncommercial license on the "
                 "target.")

    def check_naming(self) -> None:
        target = self.target
        if not self.lineage_parents(target.key):
            return
        short = target.name.split("/")[-1]
        done: set[str] = set()
        ancestors = [k for k in self.scope if k != target.key]
        order = sorted(ancestors, key=lambda k: (len(self.g.path_to(k)), k)) + [target.key]
        for key in order:
            node = self.node(key)
            if not isinstance(node, ModelNode) or node.unresolved:
                continue
            for f in self.facts[key]:
                if f.naming is None or f.naming.prefix in done:
                    continue
                done.add(f.naming.prefix)
                if _begins_with(short, f.naming.prefix):
                    continue
                keys = self.g.path_to(key)
                self.add("naming-obligation", "warning", keys,
                         _license_evidence(node) + [f"{target.name}: name={short}"],
                         f"{target.name} derives from {node.name} under {f.display}, whose "
                         f"license requires the model name to begin with {f.naming.prefix!r}",
                         f"Rename the model to begin with {f.naming.prefix!r} "
                         f"({f.naming.rule})")

    def check_restrictions(self) -> None:
        seen: set[str] = set()
        for key in self.scope:
            node = self.node(key)
            if node.unresolved:
                continue
            for f in self.facts[key]:
                if not f.use_restrictions or f.key in seen:
                    continue
                seen.add(f.key)
                holders = [self.node(k).name for k in self.scope
                           if any(x.key == f.key for x in self.facts[k])]
                keys = self.g.path_to(key)
                policy = f" ({f.use_policy_url})" if f.use_policy_url else ""
                self.add("restriction-passthrough", "info", keys, _license_evidence(node),
                         f"{f.name}{policy} restrictions apply to {', '.join(holders)} and must "
                         f"pass to every user: {'; '.join(f.use_restrictions)}",
                         f"Ship the license text{' and use policy' if policy else ''} and bind "
                         "your users to the restrictions in your own terms.")

    # -- policy --------------------------------------------------------------------------------
    def check_policy(self, policy: Policy) -> None:
        for key in self.scope:
            node = self.node(key)
            if node.unresolved:
                continue
            facts = self.facts[key]
            info = node.license
            keys = self.g.path_to(key)
            evidence = self.edge_evidence(keys) + _license_evidence(node)
            shown = _names(facts) or license_display(info) or "no license"
            where = f"{policy.path}:{{}}"
            deny = _first_match(policy.deny, facts, info)
            review = _first_match(policy.review, facts, info)
            if deny is not None:
                self.add("policy-denied", "error", keys, evidence + [where.format(deny.line)],
                         f"{node.name} is under {shown}, which the policy denies ({deny.text})",
                         "Replace this component or add a policy exception with a reason and "
                         "an expiry date.")
            elif review is not None:
                self.add("policy-review", "warning", keys, evidence + [where.format(review.line)],
                         f"{node.name} is under {shown}, which the policy lists for review "
                         f"({review.text})",
                         "Have the license reviewed, then record the decision as a policy "
                         "exception.")
            elif policy.allow and _first_match(policy.allow, facts, info) is None:
                line = policy.allow[0].line
                if facts:
                    self.add("policy-denied", "error", keys, evidence + [where.format(line)],
                             f"{node.name} is under {shown}, which is not on the policy's "
                             "allow list", "Replace this component, or extend the allow list "
                             "after a review.")
                else:
                    self.add("policy-review", "warning", keys, evidence + [where.format(line)],
                             f"{node.name} has {shown}; it cannot be checked against the "
                             "allow list", "Find the actual license and record a decision "
                             "in the policy.")
            if policy.commercial:
                c = _commercial(facts)
                if c is False or _noncommercial(facts) is not None:
                    self.add("policy-denied", "error", keys, evidence,
                             f"{node.name} is under {shown}, which does not allow commercial "
                             "use (policy rule commercial: true)",
                             "Replace this component or obtain a commercial license.")
                elif c is None:
                    self.add("policy-review", "warning", keys, evidence,
                             f"commercial use of {node.name} ({shown}) cannot be confirmed "
                             "(policy rule commercial: true)",
                             "Check the license text for commercial terms.")
        if policy.require_signature:
            self.check_required_signature()

    def check_required_signature(self) -> None:
        """Policy rule ``require-signature``: the target must be ``verified``."""
        sig = self.target.signature
        status = sig.status if sig else "unsigned"
        if status == "verified":
            return
        keys = [self.target.key]
        ev = [f"{self.target.name}: signature={status}"]
        if status == "unverified-signer":
            self.add("policy-review", "warning", keys, ev,
                     f"{self.target.name} is signed, but the signer was not checked "
                     "(policy rule require-signature: true)",
                     "Re-run with --cert-identity/--cert-oidc-issuer or --public-key.")
            return
        why = f"{status}: {sig.reason}" if sig is not None and sig.reason else status
        self.add("policy-denied", "error", keys, ev,
                 f"{self.target.name} has no verified signature ({why}; policy "
                 "rule require-signature: true)",
                 "Sign the model with OpenSSF model-signing and verify it.")

    def apply_exceptions(self, policy: Policy) -> None:
        out = []
        for f in self.findings:
            for exc in policy.exceptions:
                if f.kind not in exc.kinds or exc.expired(self.today):
                    continue
                if exc.covers(f.path[-1]) or exc.covers(f.path[0]):
                    until = f", expires {exc.expires.isoformat()}" if exc.expires else ""
                    f = replace(f, waived=f"{exc.reason} (policy exception{until})")
                    break
            out.append(f)
        self.findings = out
        for i, exc in enumerate(policy.exceptions):
            if exc.expired(self.today):
                assert exc.expires is not None
                self.add("policy-review", "warning", [self.target.key],
                         [f"{policy.path}:{exc.line}: exceptions[{i}].model={exc.model}"],
                         f"policy exception for {exc.model} expired on "
                         f"{exc.expires.isoformat()} and no longer applies",
                         "Review the exception again and renew or remove it.")

    # -- obligations -----------------------------------------------------------------------------
    def obligations(self) -> list[Obligation]:
        holders: dict[str, list[str]] = {}
        by_key: dict[str, LicenseFacts] = {}
        data_nc: dict[str, list[str]] = {}
        for key in self.scope:
            node = self.node(key)
            for f in self.facts[key]:
                if isinstance(node, DatasetNode):
                    if _noncommercial([f]) is not None:
                        data_nc.setdefault(f.key, []).append(node.name)
                        by_key[f.key] = f
                    continue
                holders.setdefault(f.key, []).append(node.name)
                by_key[f.key] = f
        out: list[Obligation] = []
        for lic, names in holders.items():
            f = by_key[lic]
            who = tuple(names)
            if f.commercial is False or (f.commercial is None and f.family == "research-only"):
                out.append(Obligation("noncommercial", f.display,
                                      f"No commercial use: {f.name} does not allow it.", who,
                                      f.url))
            if f.derivatives is False:
                out.append(Obligation("no-derivatives", f.display,
                                      f"{f.name} does not allow sharing derived works.", who,
                                      f.url))
            if f.use_restrictions:
                out.append(Obligation("use-policy", f.display, "; ".join(f.use_restrictions),
                                      who, f.use_policy_url or f.url))
            if f.naming and (self.lineage_parents(self.target.key)
                             or self.target.name not in who):
                out.append(Obligation("naming", f.display, f.naming.rule, who, f.url))
            if f.copyleft and f.family in ("copyleft", "weak-copyleft"):
                out.append(Obligation("copyleft", f.display,
                                      f"Covered parts stay under {f.name}, with source.", who,
                                      f.url))
            if f.share_alike:
                out.append(Obligation("share-alike", f.display,
                                      f"Adaptations must carry {f.name} or a compatible "
                                      "license.", who, f.url))
            if f.notice:
                out.append(Obligation("notice", f.display, f.notice, who, f.url))
            elif f.attribution:
                out.append(Obligation("attribution", f.display,
                                      f"Credit the licensors and keep {f.name}'s notices.", who,
                                      f.url))
        for lic, names in data_nc.items():
            f = by_key[lic]
            out.append(Obligation("noncommercial", f.display,
                                  f"Trained on data under {f.name}, which forbids commercial "
                                  "use; commercial use of the model needs legal review.",
                                  tuple(names), f.url))
        out.sort(key=lambda o: (_OBLIGATION_ORDER.index(o.kind), o.license))
        return out

    def node_licenses(self) -> list[NodeLicense]:
        order = [k for k in self.g.topological() if k in set(self.scope)]
        out = []
        for key in order:
            node = self.node(key)
            info = node.license
            facts = self.facts[key]
            out.append(NodeLicense(
                key=key, name=node.name, kind=node.kind,
                license=license_display(info) if info else None,
                family=(info.family if info else None) or (facts[0].family if facts else None),
                source="unresolved" if node.unresolved else (info.source if info else "none"),
                declared=info.declared if info else None,
                url=(info.url if info else None) or (facts[0].url if len(facts) == 1 else None),
                unresolved=node.unresolved,
                problems=tuple(info.problems) if info else (),
            ))
        return out


def _begins_with(name: str, prefix: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(re.split(r"[\s_.\-]+", s.lower())).strip()

    return norm(name).startswith(norm(prefix))


def _drift_reasons(child: list[LicenseFacts], base: list[LicenseFacts]) -> tuple[list[str], str]:
    """Why licenses ``child`` drop obligations of ``base`` and how bad that is."""
    reasons: list[str] = []
    severity = "info"

    def bump(sev: str) -> None:
        nonlocal severity
        if SEVERITIES.index(sev) < SEVERITIES.index(severity):
            severity = sev

    child_keys = {f.key for f in child}
    child_commercial = _commercial(child)
    for b in base:
        if b.key in child_keys:
            continue
        if b.family in _OWN_TERMS:
            if any(c.family == b.family for c in child):
                reasons.append(f"declares a different {b.family} license than the base's "
                               f"{b.display}; the base's terms still apply")
                bump("warning")
            else:
                reasons.append(f"drops the {b.name} ({b.display}) that the base is under")
                bump("error")
            continue
        if b.use_restrictions and not any(c.use_restrictions for c in child):
            reasons.append(f"drops the use restrictions of {b.display}")
            bump("error")
        if b.derivatives is False:
            reasons.append(f"{b.display} does not allow sharing derived works")
            bump("error")
        if b.commercial is False and child_commercial is True:
            reasons.append(f"allows commercial use that {b.display} forbids")
            bump("error")
        if b.share_alike and not any(c.share_alike for c in child):
            reasons.append(f"drops the share-alike condition of {b.display}")
            bump("error")
        if b.copyleft and not any(c.copyleft for c in child):
            strong = b.family == "copyleft"
            reasons.append(f"drops the {'copyleft' if strong else 'weak copyleft'} terms of "
                           f"{b.display}")
            bump("error" if strong else "warning")
    return reasons, severity


def _merge_conflict(a: LicenseFacts, b: LicenseFacts) -> tuple[str | None, str]:
    if a.key == b.key:
        return None, "info"
    for x in (a, b):
        if x.derivatives is False:
            return f"{x.display} does not allow derived works", "error"
    a_sa = bool(a.copyleft and a.family == "copyleft") or bool(a.share_alike)
    b_sa = bool(b.copyleft and b.family == "copyleft") or bool(b.share_alike)
    if a_sa and b_sa:
        return "each requires derived works under its own license", "error"
    for x, y, x_sa in ((a, b, a_sa), (b, a, b_sa)):
        extra = bool(y.use_restrictions) or y.commercial is False or y.family in _OWN_TERMS
        if x_sa and extra:
            return (f"{x.display} forbids adding the restrictions of {y.display}", "error")
    if a.family in _OWN_TERMS and b.family in _OWN_TERMS:
        return "both licensors' terms apply at once; check they can be met together", "warning"
    return None, "info"


def _first_match(entries: Iterable[PolicyEntry], facts: list[LicenseFacts],
                 info: LicenseInfo | None) -> PolicyEntry | None:
    spdx_ids: set[str] = set()
    if info is not None and info.spdx:
        spdx_ids = {t.lower() for t in re.findall(r"[A-Za-z0-9.+\-]+", info.spdx)
                    if t not in ("AND", "OR", "WITH")}
    name = (info.name or "").lower() if info is not None else ""
    for e in entries:
        if e.kind == "family" and (any(f.family == e.value for f in facts)
                                   or (e.value == "unknown" and not facts)):
            return e
        if e.kind == "license" and any(f.key == e.value for f in facts):
            return e
        if e.kind == "spdx" and e.value in spdx_ids:
            return e
        if e.kind == "ref" and (e.value in spdx_ids
                                or (name and name in (e.value, e.value[len("licenseref-"):]))):
            return e
    return None


def review_graph(
    graph: LineageGraph, policy: Policy | None = None, *, today: dt.date | None = None
) -> Review:
    """Review the target of ``graph`` and everything it depends on.

    ``today`` decides which policy exceptions have expired (default: the local date).
    """
    reviewer = _Reviewer(graph, policy, today or dt.date.today())
    reviewer.run()
    if policy is not None:
        reviewer.apply_exceptions(policy)
        reviewer.findings = [replace(f, severity=policy.severity.get(f.kind, f.severity))
                             for f in reviewer.findings]  # the policy's ``severity:``
    unique: dict[tuple[str, tuple[str, ...], str], ReviewFinding] = {}
    for f in reviewer.findings:
        unique.setdefault((f.kind, f.path, f.message), f)
    findings = sorted(merge_same_cause(list(unique.values())), key=lambda f: (
        SEVERITIES.index(f.severity), FINDING_KINDS.index(f.kind), f.path, f.message))
    counts = {s: sum(1 for f in findings if f.severity == s and f.waived is None)
              for s in SEVERITIES}
    counts["waived"] = sum(1 for f in findings if f.waived is not None)
    return Review(
        target=graph.target.name, target_key=graph.target.key, findings=tuple(findings),
        obligations=tuple(reviewer.obligations()), licenses=tuple(reviewer.node_licenses()),
        policy=policy.path if policy else None, counts=counts,
    )


#: (primary, secondary): a secondary finding on the same path as a primary one has the same
#: cause, so it becomes a rule the primary names (``also``) instead of a second finding.
SAME_CAUSE = (("license-drift", "noncommercial-ancestor"),)


def merge_same_cause(findings: list[_F], pairs: Iterable[tuple[str, str]] = SAME_CAUSE
                     ) -> list[_F]:
    """One cause is one finding: fold each secondary into the primary on the same path (the
    worse severity, every piece of evidence, waived only when both were)."""
    out: list[Any] = list(findings)
    for primary, secondary in pairs:
        head_at = {(f.path, f.node): i for i, f in enumerate(out) if f.kind == primary}
        drop: set[int] = set()
        for j, f in enumerate(out):
            i = head_at.get((f.path, f.node)) if f.kind == secondary else None
            if i is None:
                continue
            head = out[i]
            out[i] = replace(head, severity=min(head.severity, f.severity, key=SEVERITIES.index),
                             also=(*head.also, secondary),
                             evidence=tuple(dict.fromkeys(head.evidence + f.evidence)),
                             message=f"{head.message} (also {secondary}: {f.message})",
                             waived=head.waived if f.waived else None)
            drop.add(j)
        out = [f for j, f in enumerate(out) if j not in drop]
    return out


def review_exit_code(review: Review, fail_on: str = "error") -> int:
    """1 when an unwaived finding reaches ``fail_on`` (error, warning, never), else 0."""
    if fail_on not in FAIL_ON:
        raise InputError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if fail_on == "never":
        return 0
    levels = ("error",) if fail_on == "error" else ("error", "warning")
    return 1 if any(f.waived is None and f.severity in levels for f in review.findings) else 0


__all__ = [
    "FAIL_ON", "KIND_DESCRIPTIONS", "RULE_IDS", "SEVERITIES", "NodeLicense", "Obligation",
    "Review", "ReviewFinding", "license_display", "review_exit_code", "review_graph",
]
