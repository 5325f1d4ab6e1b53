"""``mlbom check``: one security and license gate along a model's whole lineage.

Input is an annotated ``LineageGraph`` (resolved, or read back from a BOM written by mlbom), an
optional ``Policy`` and advisories. Output is a ``CheckReport``: every finding of the license
review (``sbom.review``) plus the security and provenance findings below, each with its kind
(``sbom.finding_kinds``), severity, the node, the path from the target, a one-line message, the
evidence (``name: file:field=value``) and a location (file and line) for SARIF.

What is checked, node by node over the target and all it depends on:

- signatures: ``invalid`` → ``invalid-signature``; ``invalid`` with reason ``signer
  mismatch: ...`` → ``signer-mismatch``; ``not-verified`` → ``signature-unchecked``, or
  ``verification-material-unusable`` when the key / chain / trust config given cannot be used;
  a policy ``signers`` entry that covers the model and a signature missing →
  ``signature-missing``, or made by someone else → ``signer-mismatch``;
- every finding recorded on a node (pickle scans, the Hub's scan, lineage verification, and
  any kind added later), with the node's severity;
- pickle-only weights; remote code (``remote-code``; cross-repo code at a default branch:
  ``remote-code-unpinned``) unless the policy allows the code repo;
- unresolved nodes as ``unknown-provenance`` (``info`` for a cycle stub); a file a resolved
  node lists but that could not be read as ``metadata-unread``;
- advisories matching a node (``advisory``; ``advisory-unknown`` when it cannot be decided);
- policy ``deny-models`` / ``deny-datasets`` as ``denied-component``.

Then the policy's ``severity`` overrides apply, and its exceptions waive findings (a waived
finding is shown but never fails the gate). Pure: no network, ``today`` passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lineage.errors import UNREAD_FILE
from lineage.graph import CodeNode, DatasetNode, LineageGraph, ModelNode, Node
from sbom.advisories import Advisory, match_advisories
from sbom.finding_kinds import ALL_KINDS, SEVERITIES, kind_info
from sbom.policy import Policy, SignerRule
from sbom.review import SAME_CAUSE, ReviewFinding, merge_same_cause, review_graph

FAIL_ON = ("error", "warning", "never")
#: One cause, one finding: an unreadable parent is unknown provenance, and its license could
#: not be checked either (the license review's ``unresolved-ancestor``).
CHECK_SAME_CAUSE = (*SAME_CAUSE, ("unknown-provenance", "unresolved-ancestor"))
_MATERIAL_REASONS = ("cannot load the public key", "cannot load the certificate chain",
                     "trust-config", "not a pem public key")


@dataclass(frozen=True)
class CheckFinding:
    kind: str
    severity: str
    path: tuple[str, ...]  # node names, target first
    keys: tuple[str, ...]  # node keys of the same path
    node: str  # key of the node the finding is about
    message: str
    evidence: tuple[str, ...]
    remediation: str
    file: str | None = None  # the file the finding is about, in the node's repo or folder
    also: tuple[str, ...] = ()  # other rules the same cause breaks
    discriminator: str = ""  # what tells two findings of one kind on one node apart
    waived: str | None = None

    @property
    def rule_id(self) -> str:
        return kind_info(self.kind).rule_id

    @property
    def fingerprint(self) -> str:
        """Stable across runs and commits: kind, node key, path and discriminator (no sha,
        no message text, which may quote a commit)."""
        text = "\x1f".join((self.kind, self.node, *self.keys, self.discriminator))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CheckReport:
    target: str
    target_key: str
    findings: tuple[CheckFinding, ...]
    policy: str | None = None
    advisories: int = 0
    read_from: str | None = None  # the BOM file, when the graph was read from one
    local_dir: Path | None = None  # the folder, for a local folder target
    counts: dict[str, int] = field(default_factory=dict)

    def active(self) -> list[CheckFinding]:
        return [f for f in self.findings if f.waived is None]


class _Checker:
    def __init__(self, graph: LineageGraph, policy: Policy | None) -> None:
        self.g = graph
        self.policy = policy
        self.target = graph.target
        self.scope = [self.target.key] + sorted(graph.ancestors(self.target.key))
        self.findings: list[CheckFinding] = []
        self._paths: dict[str, tuple[str, ...]] = {}

    def path(self, key: str) -> tuple[str, ...]:
        """The path of keys from the target to ``key`` (the graph's, memoised)."""
        found = self._paths.get(key)
        if found is None:
            found = self._paths[key] = tuple(self.g.path_to(key))
        return found

    def add(self, kind: str, severity: str, key: str, message: str, evidence: Iterable[str],
            *, file: str | None = None, discriminator: str = "", remediation: str = "",
            also: tuple[str, ...] = ()) -> None:
        keys = self.path(key)
        self.findings.append(CheckFinding(
            kind, severity, tuple(self.g.node(k).name for k in keys), keys, key,
            " ".join(message.split()), tuple(dict.fromkeys(evidence)),
            remediation or kind_info(kind).remediation, file, also, discriminator))

    def edge_evidence(self, key: str) -> list[str]:
        keys = self.path(key)
        if len(keys) < 2:
            return []
        child, parent = keys[-2], keys[-1]
        name = self.g.node(child).name
        return [f"{name}: {ev}" for ev in self.g.edge(child, parent).evidence]

    def material_problems(self, problems: Iterable[str]) -> None:
        """What the user gave to check signers with and cannot be used (``--public-key`` that
        is not a key): a finding on the target, even when nothing is signed."""
        for problem in problems:
            self.add("verification-material-unusable", "error", self.target.key, problem,
                     [f"{self.target.name}: {problem}"], discriminator="material")

    def run(self) -> None:
        for key in self.scope:
            node = self.g.node(key)
            if node.unresolved:
                self.check_unresolved(node)
                continue
            self.check_denied(node)
            self.check_unread(node)
            self.check_node_findings(node)
            if isinstance(node, ModelNode):
                self.check_signature(node)
                self.check_weights(node)
                self.check_remote_code(node)

    # -- the checks ----------------------------------------------------------------------------
    def check_unresolved(self, node: Node) -> None:
        reason = node.unresolved or "unresolved"
        why = node.problems[0] if node.problems else ""
        detail = f": {why}" if why else ""
        self.add("unknown-provenance", "info" if reason == "cycle" else "warning", node.key,
                 f"{node.kind} {node.name} could not be read ({reason}){detail}; what it "
                 "carries (weights, code, licenses, signatures) is unknown",
                 self.edge_evidence(node.key) + [f"{node.name}: unresolved={reason}"],
                 discriminator=reason)

    def check_unread(self, node: Node) -> None:
        """A file the repo lists that could not be read (a 404, a mirror missing it, a flaky
        Hub): the node is resolved, but what that file declares is unknown."""
        for problem in node.problems:
            file, sep, why = problem.partition(f": {UNREAD_FILE}: ")
            if sep and file and " " not in file:
                self.add("metadata-unread", "warning", node.key,
                         f"{node.name}: {file} {UNREAD_FILE} ({why}); parents, license or "
                         "code it declares may be missing", [f"{node.name}: {problem}"],
                         file=file, discriminator=file)

    def check_denied(self, node: Node) -> None:
        if self.policy is None or not node.repo_id:
            return
        if isinstance(node, DatasetNode):
            patterns, what = self.policy.deny_datasets, "deny-datasets"
        elif isinstance(node, ModelNode):
            patterns, what = self.policy.deny_models, "deny-models"
        else:
            return
        for p in patterns:
            if p.matches(node.repo_id):
                self.add("denied-component", "error", node.key,
                         f"{node.kind} {node.name} is denied by the policy ({what}: {p.text})",
                         self.edge_evidence(node.key) + [f"{self.policy.path}:{p.line}: "
                                                         f"{what}={p.text}"])
                return

    def check_node_findings(self, node: Node) -> None:
        for f in node.findings:
            if f.kind in ("invalid-signature", "signer-mismatch"):
                continue  # said once, from the signature status
            severity = {"note": "info"}.get(f.severity, f.severity)
            severity = severity if severity in SEVERITIES else "warning"
            where = f"{f.file}" if f.file else "finding"
            same = "material" if f.kind == "verification-material-unusable" else \
                f"{f.file}|{f.message}"
            self.add(f.kind, severity, node.key, f"{node.name}: {f.message}",
                     [f"{node.name}: {where}:{f.kind}={f.message}"], file=f.file,
                     discriminator=same)

    def check_signature(self, node: ModelNode) -> None:
        sig = node.signature
        status = sig.status if sig else "unsigned"
        rule = self.policy.signer_for(node.repo_id) if (self.policy and node.repo_id) else None
        file = sig.file if sig else None
        ev = [f"{node.name}: {file or 'signature'}:status={status}"]
        if sig is not None and sig.reason:
            ev.append(f"{node.name}: {file or 'signature'}:reason={sig.reason}")
        if sig is not None and sig.signer:
            ev.append(f"{node.name}: {file or 'signature'}:signer={sig.signer}")
        reason = (sig.reason or "") if sig else ""
        if status == "invalid" and reason.startswith("signer mismatch"):
            self.add("signer-mismatch", "error", node.key, f"{node.name}: {reason}", ev,
                     file=file)
        elif status == "invalid":
            self.add("invalid-signature", "error", node.key,
                     f"{node.name}: signature invalid: {reason or 'does not verify'}", ev,
                     file=file)
        elif status == "not-verified":
            material = any(m in reason.lower() for m in _MATERIAL_REASONS)
            self.add("verification-material-unusable" if material else "signature-unchecked",
                     "error" if material else "warning", node.key,
                     f"{node.name}: signature could not be checked: {reason or 'unknown'}", ev,
                     file=file, discriminator="material" if material else "")
        if rule is not None:
            self.check_required_signer(node, rule, status, ev)

    def check_required_signer(self, node: ModelNode, rule: SignerRule, status: str,
                              ev: list[str]) -> None:
        assert self.policy is not None
        ev = ev + [f"{self.policy.path}:{rule.line}: signers: {rule.describe()}"]
        sig = node.signature
        if status == "unsigned":
            self.add("signature-missing", "error", node.key,
                     f"{node.name} is not signed; the policy requires a signature by "
                     f"{rule.describe()}", ev)
            return
        if status in ("invalid", "not-verified") or sig is None:
            return  # already reported above
        if _recorded_signer_matches(rule, sig.method, sig.signer, sig.issuer):
            return
        self.add("signer-mismatch", "error", node.key,
                 f"{node.name} is signed by {sig.signer or 'an unknown signer'} "
                 f"({sig.method or 'unknown method'}); the policy requires {rule.describe()}",
                 ev, file=sig.file)

    def check_weights(self, node: ModelNode) -> None:
        w = node.weights
        if w is None or not w.unsafe_only:
            return
        names = ", ".join(f.name for f in w.files[:5])
        self.add("pickle-only-weights", "warning", node.key,
                 f"{node.name} ships only pickle-based weights ({names}): loading it unpickles",
                 [f"{node.name}: {f.name}:format={f.format}" for f in w.files[:5]],
                 file=w.files[0].name if w.files else None)

    def check_remote_code(self, node: ModelNode) -> None:
        rc = node.remote_code
        if rc is None or not rc.needed:
            return
        allowed = self.policy.remote_code_allow if self.policy else ()
        for repo, (module, pinned) in sorted(self._code_repos(node).items()):
            if any(p.matches(repo) for p in allowed):
                continue
            ev = [f"{node.name}: config.json:auto_map={module}"]
            if pinned:
                self.add("remote-code", "warning", node.key,
                         f"{node.name} runs code from {repo} (pinned) with trust_remote_code",
                         ev, file="config.json", discriminator=repo)
            else:
                self.add("remote-code-unpinned", "error", node.key,
                         f"{node.name} runs code from {repo} at its default branch (not "
                         "pinned) with trust_remote_code: the code can change without any "
                         "change to the model", ev, file="config.json", discriminator=repo)
        if rc.local_modules and not any(p.matches(node.repo_id or node.name) for p in allowed):
            self.add("remote-code", "warning", node.key,
                     f"{node.name} runs its own code ({', '.join(rc.local_modules[:3])}) with "
                     "trust_remote_code",
                     [f"{node.name}: config.json:auto_map={m}" for m in rc.local_modules[:5]]
                     + [f"{node.name}: {f}" for f in rc.code_files[:5]],
                     file="config.json", discriminator="local")

    def _code_repos(self, node: ModelNode) -> dict[str, tuple[str, bool]]:
        """Cross-repo code a model loads: repo id → (an ``auto_map`` value naming it, pinned).
        Pinned only when every reference names a commit (``org/repo@rev--module.Class``): a
        code repo known only as a graph edge is taken as loaded at its default branch."""
        out: dict[str, tuple[str, bool]] = {}
        rc = node.remote_code
        for module in rc.cross_repo if rc else []:
            ref = module.partition("--")[0]
            repo, _, rev = ref.partition("@")
            old = out.get(repo)
            out[repo] = (module, bool(rev) and (old is None or old[1]))
        for code, _ in self.g.parents(node.key):
            if isinstance(code, CodeNode) and code.repo_id and code.repo_id not in out:
                out[code.repo_id] = (code.repo_id, False)
        return out

    def check_advisories(self, advisories: list[Advisory]) -> None:
        in_scope = set(self.scope)
        for m in match_advisories(self.g, advisories):
            if m.node_key not in in_scope:
                continue
            node = self.g.node(m.node_key)
            adv = m.advisory
            ev = self.edge_evidence(node.key) + [
                f"{adv.source}: {m.entry.json_path}.package={m.entry.repo_id}",
                f"{node.name}: version={node.sha or '(not pinned)'}"]
            if m.status == "affected":
                self.add("advisory", "error", node.key,
                         f"{adv.id}: {adv.title} ({node.name} @ {(node.sha or '?')[:12]})", ev,
                         discriminator=adv.id)
            else:
                why = "no commit is pinned" if node.sha is None else \
                    "the advisory gives ranges mlbom cannot order offline"
                self.add("advisory-unknown", "warning", node.key,
                         f"{adv.id}: {adv.title}: {node.name} may be affected ({why})", ev,
                         discriminator=adv.id)


def _recorded_signer_matches(rule: SignerRule, method: str | None, signer: str | None,
                             issuer: str | None) -> bool:
    """Whether a recorded signer is the rule's: for a BOM, what was recorded is all there is
    (the certificate identity was checked against the Sigstore root; a key fingerprint is the
    key the signature verified with)."""
    if rule.public_key is not None:
        from lineage.annotate.signatures import key_fingerprint_of_file

        return method == "key" and signer is not None and \
            signer == key_fingerprint_of_file(rule.public_key)
    return method == "sigstore" and signer is not None and rule.identity in \
        [s.strip() for s in signer.split(",")] and issuer == rule.issuer


def _from_review(checker: _Checker, f: ReviewFinding) -> CheckFinding:
    keys = checker.path(f.node)
    return CheckFinding(f.kind, f.severity, f.path, keys, f.node, f.message, f.evidence,
                        f.remediation, None, tuple(getattr(f, "also", ())),
                        f"{'|'.join(f.path)}|{f.message}" if f.kind.startswith("policy")
                        else "|".join(f.path), f.waived)


def _license_findings(graph: LineageGraph, checker: _Checker, policy: Policy | None,
                      today: dt.date) -> list[CheckFinding]:
    """The license review's findings. For a product BOM (``graph.meta["product_key"]``: the
    target stands for an application that loads models) each model the product loads is
    reviewed as a target, and its paths start at the product."""
    product = graph.meta.get("product_key")
    if product is None or product != graph.target_key:
        review = review_graph(graph, policy, today=today)
        return [_from_review(checker, f) for f in review.findings]
    name = graph.target.name
    out: list[CheckFinding] = []
    roots = [p.key for p, _ in graph.parents(product) if isinstance(p, ModelNode)]
    try:
        for root in roots:
            graph.target_key = root
            for f in review_graph(graph, policy, today=today).findings:
                keys = (product, *graph.path_to(f.node))
                path = (name, *f.path)
                out.append(replace(_from_review(checker, f), keys=keys, path=path))
    finally:
        graph.target_key = product
    return out


def _apply_policy(findings: list[CheckFinding], policy: Policy | None, today: dt.date
                  ) -> list[CheckFinding]:
    if policy is None:
        return findings
    out = []
    for f in findings:
        if f.kind in policy.severity:
            f = replace(f, severity=policy.severity[f.kind])
        if f.waived is None:
            for exc in policy.exceptions:
                if f.kind in exc.kinds and not exc.expired(today) and (
                        exc.covers(f.path[-1]) or exc.covers(f.path[0])):
                    until = f", expires {exc.expires.isoformat()}" if exc.expires else ""
                    f = replace(f, waived=f"{exc.reason} (policy exception{until})")
                    break
        out.append(f)
    return out


def check_graph(graph: LineageGraph, policy: Policy | None = None,
                advisories: list[Advisory] | None = None, *, today: dt.date | None = None,
                advisory_count: int | None = None, material_problems: Iterable[str] = ()
                ) -> CheckReport:
    """Every license and security finding along ``graph``'s lineage, most severe first."""
    today = today or dt.date.today()
    checker = _Checker(graph, policy)
    checker.material_problems(material_problems)
    checker.run()
    checker.check_advisories(list(advisories or []))
    findings = _license_findings(graph, checker, policy, today) + checker.findings
    findings = merge_same_cause(_apply_policy(findings, policy, today), CHECK_SAME_CAUSE)
    unique: dict[tuple[str, str, tuple[str, ...], str], CheckFinding] = {}
    for f in findings:
        unique.setdefault((f.kind, f.node, f.keys, f.discriminator or f.message), f)
    order = list(ALL_KINDS)
    ordered = sorted(unique.values(), key=lambda f: (
        SEVERITIES.index(f.severity), order.index(f.kind) if f.kind in order else len(order),
        f.kind, f.path, f.message))
    counts = {s: sum(1 for f in ordered if f.severity == s and f.waived is None)
              for s in SEVERITIES}
    counts["waived"] = sum(1 for f in ordered if f.waived is not None)
    local = graph.target.local_dir
    return CheckReport(
        target=graph.target.name, target_key=graph.target.key, findings=tuple(ordered),
        policy=policy.path if policy else None,
        advisories=advisory_count if advisory_count is not None else len(advisories or []),
        read_from=graph.meta.get("read_from"), local_dir=local, counts=counts)


def check_exit_code(report: CheckReport, fail_on: str = "error") -> int:
    """1 when an unwaived finding reaches ``fail_on`` (error, warning, never), else 0."""
    if fail_on == "never":
        return 0
    levels = ("error",) if fail_on == "error" else ("error", "warning")
    return 1 if any(f.severity in levels for f in report.active()) else 0


__all__ = ["FAIL_ON", "CheckFinding", "CheckReport", "check_exit_code", "check_graph"]
