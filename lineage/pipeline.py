"""TARGET → source → resolver → annotators: the one function the commands call.

``build_graph`` picks the source (the Hub, an offline mirror, or none when ``--offline``),
resolves the lineage and runs every annotator once, in order: weights before signatures (the
signature check reuses local file hashes), licenses last. Outputs read the result and never
go back to the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lineage.annotate.licenses import annotate_licenses
from lineage.annotate.scan_coverage import annotate_scan_coverage
from lineage.annotate.signatures import SignatureOptions, annotate_signatures
from lineage.annotate.weights import annotate_weights
from lineage.graph import LineageGraph
from lineage.refs import ModelRef
from lineage.resolver import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_DEPTH,
    Progress,
    ResolveOptions,
    resolve_lineage,
)
from lineage.sources.interface import Source
from lineage.text_safety import redact_url
from lineage.verify.annotate import annotate_verification, fill_headers
from lineage.verify.index_suspects import annotate_index_suspects


@dataclass(frozen=True)
class RunOptions:
    endpoint: str | None = None
    token: str | None = None
    offline: bool = False
    hub_mirror: Path | None = None
    max_depth: int = DEFAULT_MAX_DEPTH
    concurrency: int = DEFAULT_CONCURRENCY
    use_cache: bool = True
    cache_dir: Path | None = None  # default: the user cache dir (platformdirs)
    retry_budget: float = 60.0
    deadline: float | None = None  # seconds for the whole run's Hub requests (--deadline)
    signatures: SignatureOptions = field(default_factory=SignatureOptions)
    verify: bool = True  # check declared lineage against config and tensor headers
    hub_index: str | None = None  # a Hub-wide index (--hub-index) for suspected parents


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlbom"))


def open_source(opts: RunOptions) -> Source | None:
    """The mirror when given, else the Hub; ``None`` for ``--offline`` without a mirror."""
    if opts.hub_mirror is not None:
        from lineage.sources.mirror import MirrorSource

        return MirrorSource(opts.hub_mirror)
    if opts.offline:
        return None
    import time

    from lineage.sources.hub import HubSource

    run_deadline = None if opts.deadline is None else time.monotonic() + opts.deadline
    return HubSource(opts.endpoint, opts.token, cache_dir=opts.cache_dir or default_cache_dir(),
                     use_cache=opts.use_cache, retry_budget=opts.retry_budget,
                     run_deadline=run_deadline)


SignerFor = Callable[[str | None, SignatureOptions], SignatureOptions | None]


def _annotate_signatures(graph: LineageGraph, src: Source | None, opts: RunOptions,
                         signers: SignerFor | None) -> None:
    """The signer given (identity, key, chain) is what the *target* must be signed by.

    Ancestors are published by others, so their signatures are checked for validity and
    digests only, with their signer recorded: ``unverified-signer`` rather than a false
    ``invalid`` because Meta did not sign with the release engineer's key. ``signers`` (a
    policy's ``signers`` entries) may name the signer a given ancestor must have.
    """
    offline = opts.offline or opts.signatures.offline
    options = SignatureOptions(**{**opts.signatures.__dict__, "offline": offline})
    annotate_signatures(graph, src, options, signer_for_target_only=True, signers=signers)


def build_graph(target: str | Path | ModelRef, opts: RunOptions | None = None, *,
                source: Source | None = None, progress: Progress | None = None,
                signers: SignerFor | None = None) -> LineageGraph:
    """Resolve and annotate ``target``. Raises ``InputError`` for a bad target and
    ``HubError`` when the target itself cannot be read. ``signers`` gives, per repo id, the
    signer a model must have (see ``annotate_signatures``)."""
    opts = opts or RunOptions()
    if opts.verify and opts.hub_index is not None:
        from lineage.hubindex import describe_index

        describe_index(opts.hub_index)  # a missing or old-schema index fails before any work
    src = source if source is not None else open_source(opts)
    try:
        graph = resolve_lineage(
            target, src,
            ResolveOptions(max_depth=opts.max_depth, concurrency=opts.concurrency,
                           offline=opts.offline and opts.hub_mirror is None,
                           verify=opts.verify),
            progress=progress,
        )
        if src is not None and getattr(src, "endpoint", None):
            graph.meta["endpoint"] = redact_url(src.endpoint)  # type: ignore[attr-defined]
        if progress:
            progress("annotating weights, signatures and licenses")
        annotate_weights(graph)
        annotate_scan_coverage(graph)
        _annotate_signatures(graph, src, opts, signers)
        annotate_licenses(graph)
        if opts.verify:
            fill_headers(graph, src, every_parentless=opts.hub_index is not None)
            annotate_verification(graph)
            if opts.hub_index is not None:
                annotate_index_suspects(graph, opts.hub_index)
        trust = {n.signature.trust_root for n in graph.models()
                 if n.signature is not None and n.signature.trust_root}
        if trust:
            graph.meta["trust_root"] = ", ".join(sorted(trust))
        if src is not None and hasattr(src, "counts"):
            graph.meta["requests"] = dict(src.counts)
        return graph
    finally:
        if src is not None and source is None:
            src.close()
