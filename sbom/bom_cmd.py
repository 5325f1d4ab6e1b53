"""``mlbom generate`` and ``mlbom mirror``: resolve a lineage and write a document or a mirror.

Typer functions that parse options and call the library; the format is looked up in the output
registry (``sbom.formats``). Only light modules are imported at module level.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lineage.errors import InputError
from sbom import check_cmd
from sbom.cli_options import (
    BomFormat,
    DeadlineOpt,
    DepthOpt,
    EndpointOpt,
    HubIndexOpt,
    MirrorOpt,
    NoCacheOpt,
    OfflineOpt,
    OutOpt,
    TokenOpt,
    emit,
    run_options,
)


def generate(
    target: Annotated[str | None, typer.Argument(
        help="Hub repo id (org/name[@revision]) or folder.")] = None,
    output: OutOpt = None,
    fmt: Annotated[BomFormat, typer.Option("--format", help="Document format.")] =
    BomFormat.cyclonedx,
    spec_version: Annotated[str, typer.Option("--spec-version",
                                              help="CycloneDX version: 1.6 or 1.7.")] = "1.6",
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    offline: OfflineOpt = False,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
    reproducible: Annotated[bool, typer.Option(
        "--reproducible", help="Fix serial number and timestamp ($SOURCE_DATE_EPOCH).")] = False,
    no_cache: NoCacheOpt = False,
    hub_index: HubIndexOpt = None,
    cert_identity: check_cmd.CertIdentityOpt = None,
    cert_oidc_issuer: check_cmd.CertIssuerOpt = None,
    public_key: check_cmd.PublicKeyOpt = None,
    certificate_chain: check_cmd.ChainOpt = None,
    trust_config: check_cmd.TrustConfigOpt = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No summary and no progress display.")] = False,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, max=64,
        help="Most repos read from the Hub at once (each with 3 file requests in flight).")] = 32,
    advisories: check_cmd.AdvisoriesOpt = None,
    scan: Annotated[Path | None, typer.Option(
        "--scan", help="Scan this source tree and write one BOM of the product.")] = None,
    product: Annotated[str | None, typer.Option(
        "--product", help="With --scan: the product's name.")] = None,
    product_version: Annotated[str | None, typer.Option(
        "--product-version", help="With --scan: the product's version.")] = None,
) -> None:
    """Resolve TARGET's whole lineage (or every model a source tree loads, with --scan) and
    write a validated ML-BOM."""
    if scan is not None or product is not None:
        if target is not None or scan is None or product is None:
            raise InputError("--scan PATH and --product NAME go together, without a TARGET")
        if fmt is not BomFormat.cyclonedx:
            raise InputError("--scan writes CycloneDX only")
        _refuse_unused_with_scan({
            "--advisories": bool(advisories), "--hub-index": hub_index is not None,
            "--cert-identity": cert_identity is not None,
            "--cert-oidc-issuer": cert_oidc_issuer is not None,
            "--public-key": public_key is not None,
            "--certificate-chain": certificate_chain is not None,
            "--trust-config": trust_config is not None})
        from sbom import scan_cmd

        scan_cmd.generate_product(scan, product, product_version, output,
                                  spec_version=spec_version, reproducible=reproducible,
                                  endpoint=endpoint, token=token, offline=offline,
                                  hub_mirror=hub_mirror, max_depth=max_depth, quiet=quiet,
                                  no_cache=no_cache, concurrency=concurrency,
                                  deadline=deadline)
        return
    if target is None or not target.strip():
        raise InputError("give a TARGET (a Hub repo id or a folder), or --scan PATH --product "
                         "NAME")
    if spec_version not in ("1.6", "1.7"):
        raise InputError(f"--spec-version must be 1.6 or 1.7, not {spec_version}")
    from sbom.check_cmd import signature_options  # the one check of the signer options

    sig = signature_options(cert_identity, cert_oidc_issuer, public_key, certificate_chain,
                            trust_config, offline)
    opts = run_options(endpoint, token, offline, hub_mirror, max_depth, no_cache, sig,
                       concurrency, deadline=deadline, hub_index=hub_index)
    if advisories and fmt is not BomFormat.cyclonedx:
        raise InputError("--advisories writes CycloneDX vulnerabilities; SPDX has no place "
                         "for them (use --format cyclonedx)")
    advs = check_cmd.load_advisory_paths(advisories)  # malformed advisories fail before work
    write_bom(target, opts, fmt.value, output, spec_version=spec_version,
              reproducible=reproducible, quiet=quiet, advisories=advs)


def _refuse_unused_with_scan(given: dict[str, bool]) -> None:
    """``generate --scan`` resolves each model with the Hub options only: an option it would
    not apply (an advisory not matched, a signer not checked) is refused, not dropped."""
    unused = [name for name, was_given in given.items() if was_given]
    if unused:
        raise InputError(f"--scan does not apply {', '.join(unused)}: generate each model's "
                         "BOM without --scan for those, or run mlbom check on the product BOM")


def write_bom(target: str, opts: object, fmt: str, output: Path | None, *, spec_version: str,
              reproducible: bool, quiet: bool, advisories: Any = None) -> None:
    """Resolve, render through the registry, write, then summarise on stderr."""
    from sbom.formats import FORMATS, RenderOptions
    from sbom.progress import build_graph_with_progress

    graph = build_graph_with_progress(target, opts, quiet=quiet)
    check_cmd.attach_advisories(graph, advisories)  # CycloneDX `vulnerabilities`
    out_format = FORMATS.get("bom", fmt)
    render = RenderOptions(spec_version=spec_version, reproducible=reproducible)
    emit(out_format.write(graph, render), output)
    if not quiet:
        from sbom.summary import render_summary

        sys.stderr.write(render_summary(graph, written_to=str(output) if output else None,
                                        color=sys.stderr.isatty(), fmt=out_format.title(render)))


def mirror(
    targets: Annotated[list[str], typer.Argument(help="Hub repo ids to snapshot.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Mirror folder to write.")],
    endpoint: EndpointOpt = None,
    token: TokenOpt = None,
    hub_mirror: MirrorOpt = None,
    max_depth: DepthOpt = 50,
    deadline: DeadlineOpt = None,
) -> None:
    """Write an offline snapshot of TARGETS' lineage metadata (no weights)."""
    from sbom.mirror import write_mirror

    opts = run_options(endpoint, token, False, hub_mirror, max_depth, deadline=deadline)
    result = write_mirror(targets, output, opts)
    sys.stderr.write(f"mirror written to {output}: {result.repos} repos, {result.files} files, "
                     f"{result.errors} recorded as unreadable\n")
    if result.missed:  # an offline run would report these parents "not in the mirror"
        from lineage.errors import OperationalError
        from lineage.text_safety import printable

        for line in result.missed[:20]:
            sys.stderr.write(f"  not mirrored: {printable(line)}\n")
        raise OperationalError(f"the mirror is missing {len(result.missed)} repo(s) the Hub "
                               "failed to answer; run `mlbom mirror` again")
