"""Every finding kind ``mlbom licenses`` and ``mlbom check`` report, in one table.

Each kind has a stable rule id (SARIF ``ruleId``; never renumber), a documented default
severity, a one-sentence description (SARIF rule text, docs) and what to do (SARIF help). A
policy may change the severity of any kind (``severity:``) and waive any kind for a model
(``exceptions:``). Kinds another annotator writes on a node (``mlbom:finding <kind> ...``) and
that this table does not know are still reported, with the node's own severity and the rule id
``MLBOM-NODE-<KIND>``: a new kind is never dropped.

This module is light (no imports beyond the standard library): the policy loader and the CLI
import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    rule_id: str
    severity: str  # the default: error, warning, info ("varies" kinds take the node's own)
    family: str  # license, signature, weights, code, provenance, advisory, policy
    description: str
    remediation: str


#: License kinds, in the order the license review sorts them (``mlbom licenses``).
LICENSE_KINDS: dict[str, Kind] = {
    "license-drift": Kind(
        "MLBOM-LIC-DRIFT", "error", "license",
        "A model declares a license that drops obligations of an ancestor's license.",
        "Declare the base's license (or one that keeps its terms) on the derived model."),
    "noncommercial-ancestor": Kind(
        "MLBOM-LIC-NC-ANCESTOR", "error", "license",
        "A model in the lineage forbids commercial use.",
        "Do not use the model commercially, replace the ancestor, or get a commercial "
        "license."),
    "noncommercial-dataset": Kind(
        "MLBOM-LIC-NC-DATASET", "error", "license",
        "A training dataset in the lineage forbids commercial use.",
        "Do not use the model commercially, replace the dataset, or get a commercial license."),
    "naming-obligation": Kind(
        "MLBOM-LIC-NAMING", "warning", "license",
        "An ancestor's license requires derived model names to begin with a given word.",
        "Rename the model as the license requires."),
    "restriction-passthrough": Kind(
        "MLBOM-LIC-RESTRICTION", "info", "license",
        "An ancestor's use policy (RAIL, Llama, Gemma ...) must travel with the model.",
        "Ship the license and use policy and bind your users to them."),
    "missing-license": Kind(
        "MLBOM-LIC-MISSING", "warning", "license",
        "A model, dataset or code repo declares no license.",
        "Declare the license in the card's `license:` field."),
    "unknown-license": Kind(
        "MLBOM-LIC-UNKNOWN", "warning", "license",
        "A declared license is not one mlbom can identify.",
        "Read the license text and record a decision in the policy."),
    "conflicting-merge": Kind(
        "MLBOM-LIC-MERGE-CONFLICT", "error", "license",
        "The parents of a merge carry licenses that cannot be combined.",
        "Replace one of the merged parents, or get permission from its licensor."),
    "unresolved-ancestor": Kind(
        "MLBOM-LIC-UNRESOLVED", "warning", "license",
        "A license could not be checked because a node could not be read.",
        "Check this node's license by hand."),
    "policy-denied": Kind(
        "MLBOM-POLICY-DENIED", "error", "policy",
        "A license or rule of the policy is violated.",
        "Replace this component or add a policy exception with a reason and an expiry date."),
    "policy-review": Kind(
        "MLBOM-POLICY-REVIEW", "warning", "policy",
        "The policy asks for a human review.",
        "Have it reviewed, then record the decision as a policy exception."),
}

#: Security and provenance kinds (``mlbom check``), documented defaults.
SECURITY_KINDS: dict[str, Kind] = {
    "invalid-signature": Kind(
        "MLBOM-SIG-INVALID", "error", "signature",
        "The model's signature does not verify, or a signed digest does not match the files.",
        "Do not use this revision: re-download from the publisher, or ask them to re-sign."),
    "signer-mismatch": Kind(
        "MLBOM-SIG-SIGNER-MISMATCH", "error", "signature",
        "The model is signed, but by another signer, key or method than the one required.",
        "Check who published this revision; pass the right --cert-identity/--public-key or "
        "fix the policy's signers entry."),
    "signature-missing": Kind(
        "MLBOM-SIG-MISSING", "error", "signature",
        "The policy requires a signature on this model and it has none.",
        "Sign the model with OpenSSF model-signing, or remove it from the policy's signers."),
    "signature-unchecked": Kind(
        "MLBOM-SIG-UNCHECKED", "warning", "signature",
        "A signature is present but could not be checked (unreadable bundle, legacy format, "
        "no key or trust root).",
        "Pass the signer's --public-key or a --trust-config, or re-sign in a supported format."),
    "verification-material-unusable": Kind(
        "MLBOM-SIG-BAD-MATERIAL", "error", "signature",
        "A public key, certificate chain or trust config given to check signatures cannot be "
        "used (not a key, unreadable).",
        "Pass a PEM public key / PEM certificates / a Sigstore trust config JSON."),
    "dangerous-pickle-import": Kind(
        "MLBOM-PICKLE-DANGEROUS", "error", "weights",
        "A pickle-based weight file imports a dangerous global (code runs when it is loaded).",
        "Never load this file; use a safetensors copy or report the repo."),
    "suspicious-pickle-import": Kind(
        "MLBOM-PICKLE-SUSPICIOUS", "warning", "weights",
        "A pickle-based weight file imports globals outside the allow list.",
        "Review the imports before loading, or use safetensors weights."),
    "pickle-scan-error": Kind(
        "MLBOM-PICKLE-SCAN-ERROR", "warning", "weights",
        "A pickle-based weight file could not be scanned completely.",
        "Treat the file as unscanned: do not load it until it is checked."),
    "pickle-unscanned": Kind(
        "MLBOM-PICKLE-UNSCANNED", "warning", "weights",
        "A pickle-based weight file was scanned by nobody (the Hub gave no scan result and "
        "mlbom does not download weights).",
        "Wait for the Hub's scan, or download the file into a folder and run mlbom check on "
        "it (mlbom scans local pickles statically)."),
    "hub-security-scan": Kind(
        "MLBOM-HUB-SCAN", "varies", "weights",
        "The Hub's own security scan flags a file (unsafe: error; suspicious, caution: "
        "warning).",
        "Read the Hub's scan report for the file before loading it."),
    "pickle-only-weights": Kind(
        "MLBOM-WEIGHTS-PICKLE-ONLY", "warning", "weights",
        "The model ships only pickle-based weights: loading it means unpickling.",
        "Prefer a safetensors release of the model, or convert it in a sandbox."),
    "remote-code": Kind(
        "MLBOM-CODE-REMOTE", "warning", "code",
        "Loading the model needs trust_remote_code (code from its repo or a pinned code repo).",
        "Review the code, pin it, and allow the repo in the policy's remote-code list."),
    "remote-code-unpinned": Kind(
        "MLBOM-CODE-REMOTE-UNPINNED", "error", "code",
        "The model loads code from another repo at that repo's default branch: the code can "
        "change without any change to the model.",
        "Pin the code repo to a commit (repo@sha--module.Class, or code_revision=)."),
    "unknown-provenance": Kind(
        "MLBOM-PROVENANCE-UNKNOWN", "warning", "provenance",
        "A parent could not be read (gated, not found, a local path, beyond the depth limit): "
        "what it carries is unknown.",
        "Resolve the parent (token, fixed id, larger --max-depth) or record a policy "
        "exception."),
    "metadata-unread": Kind(
        "MLBOM-PROVENANCE-METADATA-UNREAD", "warning", "provenance",
        "A lineage file the repo lists (card, config, adapter or merge config, GGUF header) "
        "could not be read: parents, license or code it declares may be missing.",
        "Run again when the Hub answers (or with --token, or a complete mirror), or record a "
        "policy exception."),
    "lineage-inconsistent": Kind(
        "MLBOM-LINEAGE-INCONSISTENT", "varies", "provenance",
        "The declared lineage disagrees with what the files show.",
        "Check the declared parents against the weights and config."),
    "suspected-parent": Kind(
        "MLBOM-LINEAGE-SUSPECTED-PARENT", "varies", "provenance",
        "The files suggest a parent the metadata does not declare.",
        "Check where the model really comes from and declare its base."),
    "unpinned-reference": Kind(
        "MLBOM-REF-UNPINNED", "warning", "provenance",
        "A product loads a model without pinning a revision: it can change under the product.",
        "Pass revision=<sha> where the model is loaded."),
    "unresolved-reference": Kind(
        "MLBOM-REF-UNRESOLVED", "info", "provenance",
        "A value reaches a model loader but cannot be decided without running the code.",
        "Make the model id a literal or a module constant so it can be reviewed and pinned."),
    "advisory": Kind(
        "MLBOM-ADVISORY", "error", "advisory",
        "A component in the lineage is named by a security advisory at an affected commit.",
        "Read the advisory; move to an unaffected revision or replace the component."),
    "advisory-unknown": Kind(
        "MLBOM-ADVISORY-UNKNOWN", "warning", "advisory",
        "An advisory names a component in the lineage, but whether this commit is affected "
        "could not be decided (ranges, or the commit is not pinned).",
        "Pin the component and read the advisory's affected ranges."),
    "denied-component": Kind(
        "MLBOM-POLICY-DENIED-COMPONENT", "error", "policy",
        "The policy denies this model or dataset by name.",
        "Replace the component or add a policy exception with a reason and an expiry date."),
}

ALL_KINDS: dict[str, Kind] = {**LICENSE_KINDS, **SECURITY_KINDS}
SEVERITIES = ("error", "warning", "info")


def kind_info(kind: str) -> Kind:
    """The table entry of ``kind``; a kind nobody registered gets a generic entry."""
    known = ALL_KINDS.get(kind)
    if known is not None:
        return known
    return Kind("MLBOM-NODE-" + kind.upper(), "varies", "node",
                f"A finding of kind {kind} recorded on a node.",
                "Read the finding's message and evidence.")


def rule_name(kind: str) -> str:
    return "".join(p.capitalize() for p in kind.split("-"))


def counts_line(counts: Mapping[str, int]) -> str:
    """``"2 error(s), 1 warning(s), 0 info"`` (and ``", 3 waived"`` when any are), the summary
    every gate and review prints."""
    parts = [f"{counts.get('error', 0)} error(s)", f"{counts.get('warning', 0)} warning(s)",
             f"{counts.get('info', 0)} info"]
    if counts.get("waived"):
        parts.append(f"{counts['waived']} waived")
    return ", ".join(parts)
