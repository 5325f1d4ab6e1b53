"""``mlbom check``: the security and license gate (options only; the logic is ``sbom.check``).

Exit codes: 0 no finding reaches ``--fail-on``; 1 one does; 2 a usage or input error (bad
target, policy, advisory file); 3 an operational failure (Hub unreachable).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lineage.errors import InputError
from sbom.cli_options import (
    DeadlineOpt,
    DepthOpt,
    EndpointOpt,
    FailOn,
    HubIndexOpt,
    MirrorOpt,
    NoCacheOpt,
    OfflineOpt,
    OutOpt,
    ReviewFormat,
    TokenOpt,
    emit,
    refuse_hub_index_for_bom,
    run_options,
)

if TYPE_CHECKING:
    from lineage.annotate.signatures import SignatureOptions
    from lineage.graph import LineageGraph
    from sbom.advisories import Advisory
    from sbom.policy import Policy

CertIdentityOpt = Annotated[str | None, typer.Option(
    "--cert-identity", help="Expected signer identity of the target (keyless).")]
CertIssuerOpt = Annotated[str | None, typer.Option(
    "--cert-oidc-issuer", help="Expected OIDC issuer of the target's signer (keyless).")]
PublicKeyOpt = Annotated[Path | None, typer.Option(
    "--public-key", help="PEM public key the target's signature must verify with.")]
ChainOpt = Annotated[list[Path] | None, typer.Option(
    "--certificate-chain", help="PEM certificate chain (repeatable).")]
TrustConfigOpt = Annotated[Path | None, typer.Option(
    "--trust-config", help="Sigstore trust root/config JSON instead of the bundled one.")]
AdvisoriesOpt = Annotated[list[Path] | None, typer.Option(
    "--advisories", help="OSV advisory file, JSON Lines file or folder (repeatable).")]


def load_advisory_paths(paths: list[Path] | None) -> list[Advisory] | None:
    """The advisories of ``--advisories`` (``None`` when none was given)."""
    if not paths:
        return None
    from sbom.advisories import load_advisories

    return load_advisories(paths)


def attach_advisories(graph: object, advisories: list[Advisory] | None) -> None:
    """Record the matches on the graph, for the CycloneDX writer's ``vulnerabilities``."""
    if advisories is None:
        return
    from lineage.graph import LineageGraph
    from sbom.advisories import match_advisories

    assert isinstance(graph, LineageGraph)
    graph.meta["advisory_matches"] = match_advisories(graph, advisories)


def signature_options(identity: str | None, issuer: str | None, public_key: Path | None,
                      chain: list[Path] | None, trust_config: Path | None,
                      offline: bool) -> SignatureOptions:
    """The signer the target must have, checked for shape (files exist, identity and issuer
    together); whether a key file holds a key is a finding, not an error (see
    ``material_problems``)."""
    from lineage.annotate.signatures import SignatureOptions

    for p in [public_key, trust_config, *(chain or [])]:
        if p is not None and not p.is_file():
            raise InputError(f"{p} is not a file")
    if (identity is None) != (issuer is None):
        raise InputError("--cert-identity and --cert-oidc-issuer go together")
    return SignatureOptions(identity=identity, oidc_issuer=issuer, public_key=public_key,
                            certificate_chain=tuple(chain or ()), trust_config=trust_config,
                            offline=offline)


def material_problems(sig: SignatureOptions) -> list[str]:
    """One line per key / certificate given that cannot be used as one."""
    from lineage.annotate.signatures import load_public_key_file

    out = []
    if sig.public_key is not None:
        problem = load_public_key_file(sig.public_key)[1]
        if problem:
            out.append(f"--public-key {sig.public_key}: {problem}")
    return out


def _load_target(target: str, opts: object, policy: Policy | None) -> LineageGraph:
    from sbom.progress import build_graph_with_progress

    path = Path(target)
    if path.is_file() and path.suffix.lower() == ".json":
        refuse_hub_index_for_bom(opts)
        return read_bom_or_product(path)
    signers = policy_signers(policy) if policy is not None else None
    return build_graph_with_progress(target, opts, signers=signers)  # type: ignore[no-any-return]


def read_bom_or_product(path: Path) -> LineageGraph:
    """The graph of a BOM written by mlbom. For a product BOM (``generate --scan``; the one
    BOM reader makes the product the root) ``graph.meta["product_key"]`` marks the root so
    the check reviews each model the product loads. The BOM's ``vulnerabilities`` are kept in
    ``graph.meta["bom_vulnerabilities"]`` (see ``sbom.advisories.recorded_advisories``)."""
    import json

    from lineage.capped_read import CappedReadError, read_capped
    from sbom.bom_reader import MAX_BOM_BYTES, read_bom

    graph = read_bom(path)  # every error message comes from the one BOM reader
    if graph.meta.get("product"):
        graph.meta["product_key"] = graph.target_key
    try:
        doc = json.loads(read_capped(path, MAX_BOM_BYTES))
    except (CappedReadError, ValueError, RecursionError):
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("vulnerabilities"), list):
        graph.meta["bom_vulnerabilities"] = doc["vulnerabilities"]
    return graph


def policy_signers(policy: Policy) -> Callable[[str | None, SignatureOptions],
                                              SignatureOptions | None]:
    """A callable giving, for a model the policy's ``signers`` cover, the options to verify it
    with (so an ancestor is checked against its required signer too)."""
    from lineage.annotate.signatures import SignatureOptions

    def for_node(repo_id: str | None, base: SignatureOptions) -> SignatureOptions | None:
        rule = policy.signer_for(repo_id) if repo_id else None
        if rule is None:
            return None
        return SignatureOptions(identity=rule.identity, oidc_issuer=rule.issuer,
                                public_key=rule.public_key, trust_config=base.trust_config,
                                offline=base.offline)

    return for_node


def check(
    target: Annotated[str, typer.Argument(
        help="Hub repo id (org/name[@revision]), folder, or BOM written by mlbom.")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML.")] = None,
    advisories: AdvisoriesOpt = None,
    fmt: Annotated[ReviewFormat, typer.Option("--format", help="table, json, markdown or "
                                              "sarif.")] = ReviewFormat.table,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Exit 1 when a finding reaches this severity.")] = FailOn.error,
    output: OutOpt = None,
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    offline: OfflineOpt = False,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
    no_cache: NoCacheOpt = False,
    hub_index: HubIndexOpt = None,
    cert_identity: CertIdentityOpt = None,
    cert_oidc_issuer: CertIssuerOpt = None,
    public_key: PublicKeyOpt = None,
    certificate_chain: ChainOpt = None,
    trust_config: TrustConfigOpt = None,
) -> None:
    """Security and license gate along TARGET's whole lineage (exit 1 on findings)."""
    from sbom.advisories import load_advisories, recorded_advisories
    from sbom.check import check_exit_code, check_graph
    from sbom.check_formats import render_check, summary_line
    from sbom.policy import load_policy

    if not target.strip():  # an unset variable must not check the current folder
        raise InputError("empty TARGET: give a Hub repo id, a model folder or a BOM file")
    pol = load_policy(policy) if policy is not None else None
    advs = load_advisories(advisories or [])
    sig = signature_options(cert_identity, cert_oidc_issuer, public_key, certificate_chain,
                            trust_config, offline)
    opts = run_options(endpoint, token, offline, hub_mirror, max_depth, no_cache, sig,
                       deadline=deadline, hub_index=hub_index)
    graph = _load_target(target, opts, pol)
    known = {a.id for a in advs}  # a BOM's recorded advisories count too, files given win
    recorded = [a for a in recorded_advisories(graph) if a.id not in known]
    report = check_graph(graph, pol, advs + recorded, material_problems=material_problems(sig),
                         advisory_count=len(advs) + len(recorded))
    color = fmt is ReviewFormat.table and output is None and sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if output is None else 120
    emit(render_check(report, graph, fmt.value, color=color, width=width), output)
    if output is not None or fmt is not ReviewFormat.table:
        sys.stderr.write(f"check {report.target}: {summary_line(report)}\n")
    raise typer.Exit(check_exit_code(report, fail_on.value))
