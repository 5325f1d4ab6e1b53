"""One node's signature status: find the bundle, check the signature, compare the digests."""

from __future__ import annotations

from collections.abc import Callable

from lineage.annotate.signatures._bundle import find_signature_files, read_bundle
from lineage.annotate.signatures._manifest import (
    PayloadError,
    compare_hub,
    compare_local,
    signed_manifest,
)
from lineage.annotate.signatures._methods import check_bundle_signature
from lineage.annotate.signatures._options import SignatureOptions
from lineage.annotate.signatures._trust import TrustCache
from lineage.errors import MlbomError
from lineage.graph import Finding, LineageGraph, ModelNode, SignatureInfo
from lineage.hashing import list_files
from lineage.sources.interface import Source


def annotate_signatures(
    graph: LineageGraph,
    source: Source | None,
    options: SignatureOptions,
    *,
    signer_for_target_only: bool = False,
    signers: Callable[[str | None, SignatureOptions], SignatureOptions | None] | None = None,
) -> None:
    """Fill ``signature`` on every resolved model node, with ONE trust root for the run;
    ``invalid`` also adds a finding (``signer-mismatch`` or ``invalid-signature``).

    ``options`` is what the target must be signed by. With ``signer_for_target_only``
    ancestors are checked for validity and digests only (their signer recorded, not matched:
    they are published by others). ``signers(repo_id, options)`` may give other options for
    a model (a policy's required signer); the target keeps ``options`` when they name a
    signer. Run after ``annotate_weights`` to reuse its local file hashes."""
    trust = TrustCache(options)
    _record_unusable_material(graph, options)
    ancestors = SignatureOptions(trust_config=options.trust_config, offline=options.offline) \
        if signer_for_target_only else options
    for node in graph.models():
        if not node.resolved:
            continue
        opts = options if node.is_target else ancestors
        if signers is not None and not (node.is_target and options.gives_signer()):
            opts = signers(node.repo_id, opts) or opts
        check_node_signature(node, source, opts, trust=trust)


def _record_unusable_material(graph: LineageGraph, options: SignatureOptions) -> None:
    """A ``--public-key`` that holds no key is said on the target, signed or not: never a
    silent ``not-verified``."""
    if options.public_key is None or graph.target_key is None:
        return
    from lineage.annotate.signatures._methods import load_public_key_file

    _, problem = load_public_key_file(options.public_key)
    if problem:
        graph.target.findings.append(Finding(
            kind="verification-material-unusable", severity="error",
            message=f"--public-key {options.public_key}: {problem}"))


def check_node_signature(
    node: ModelNode,
    source: Source | None,
    options: SignatureOptions,
    *,
    trust: TrustCache | None = None,
) -> SignatureInfo:
    """Check one node's signature, store it on the node and return it. Pass the run's
    ``trust`` when checking several nodes (a new one loads the trusted root again)."""
    info = _check(node, source, options, trust or TrustCache(options))
    node.signature = info
    if info.status == "invalid":
        mismatch = (info.reason or "").startswith("signer mismatch")
        node.findings.append(
            Finding(
                kind="signer-mismatch" if mismatch else "invalid-signature",
                severity="error",
                message=info.reason or "signature invalid",
                file=info.file,
            )
        )
    return info


def _names(node: ModelNode) -> list[str]:
    if node.files:
        return [f.name for f in node.files]
    if node.local_dir is not None:
        try:
            return list_files(node.local_dir)
        except OSError:
            return []
    return []


def _check(
    node: ModelNode, source: Source | None, options: SignatureOptions, trust: TrustCache
) -> SignatureInfo:
    names = _names(node)
    sigs = find_signature_files(names)
    if not sigs:
        return SignatureInfo(status="unsigned")
    sig_name = sigs[0]
    info = SignatureInfo(status="not-verified", file=sig_name)
    try:
        raw = read_bundle(node, source, sig_name)
    except (MlbomError, OSError) as exc:
        info.reason = f"could not read the signature: {exc}"
        return info
    checked = check_bundle_signature(raw, options, trust)
    info.method, info.signer, info.issuer = checked.method, checked.signer, checked.issuer
    info.trust_root = checked.trust_root
    if checked.outcome in ("invalid", "unsupported"):
        info.status = "invalid" if checked.outcome == "invalid" else "not-verified"
        info.reason = checked.reason
        return info
    assert checked.payload is not None
    try:
        items, serialization = signed_manifest(checked.payload)
    except PayloadError as exc:
        info.status = exc.status
        info.reason = str(exc)
        return info
    ignored = set(sigs) | {str(p) for p in serialization.get("ignore_paths", []) or []}
    if node.local_dir is not None:
        compared = compare_local(node, items, serialization, ignored)
    else:
        compared = compare_hub(node, source, items, serialization, ignored)
    info.files_checked = compared.checked
    if compared.mismatches:
        info.status = "invalid"
        shown = "; ".join(compared.mismatches[:5])
        more = len(compared.mismatches) - 5
        info.reason = shown + (f"; and {more} more" if more > 0 else "")
        if checked.outcome == "unchecked":
            info.reason += " (the signature itself could not be checked: " + (
                checked.reason or "no key"
            ) + ")"
    elif compared.unable:
        info.status = "not-verified"
        info.reason = compared.unable
    elif checked.outcome == "unchecked":
        info.status = "not-verified"
        info.reason = checked.reason
    elif checked.signer_checked:
        info.status = "verified"
    else:
        info.status = "unverified-signer"
        info.reason = checked.reason
    return info
