"""Suspected parents from the local Hub-wide index: a model of the run that declares no parent
but shares its index fingerprint with a foundation the index lists.

The index fingerprint (``lineage.hubindex._fingerprint``) is weaker than the in-run one: it
is the architecture and the exact parameter count per dtype, because that is all the Hub's
listing carries without one request per model. Config dimensions one by one and the
tokenizer's identity are not in it, and every reason written here says so. A foundation is a
listed model that declares no parent in the index; only those older than the model (when both
dates are known) are suspected, never the model itself. Reads only the evidence the run
gathered and the index: no Hub request.
"""

from __future__ import annotations

from lineage.graph import Finding, LineageGraph, ModelNode, SuspectedParent
from lineage.ids import node_key
from lineage.verify.evidence import ModelEvidence

MAX_SUSPECTS_FROM_INDEX = 3
SINGLE_FILE = "model.safetensors"


def run_fingerprint(ev: ModelEvidence) -> str | None:
    """The index fingerprint of a model of the run: its config's model type and architecture
    with the Hub's parameter counts, or the counts of its single-file safetensors header (one
    shard's header does not count the whole model)."""
    from lineage.hubindex import meta_fingerprint

    params = ev.hub_params
    if not params and ev.tensors is not None and ev.tensors.file == SINGLE_FILE:
        params = ev.tensors.params
    return meta_fingerprint(ev.model_type, ev.architecture, params)


def parentless_models(graph: LineageGraph) -> list[ModelNode]:
    """The resolved models with evidence that declare no lineage parent."""
    return [n for n in graph.models()
            if n.evidence is not None and n.resolved
            and not graph.parents(n.key, lineage_only=True)]


def _older(candidate: str | None, node: ModelNode) -> bool:
    mine = node.activity.created_at if node.activity else None
    return not (candidate and mine) or candidate[:19] < mine[:19]


def annotate_index_suspects(graph: LineageGraph, db_url: str) -> None:
    """Add a suspected parent (and a ``lineage-suspected-parent`` finding) to each parentless
    model whose fingerprint an older indexed foundation shares; at most
    ``MAX_SUSPECTS_FROM_INDEX`` per model, oldest first, the reason saying how many more.
    Records in ``graph.meta["hub_index"]`` which index was read and how many models could be
    looked up. Raises ``StoreError`` for a missing or old-schema index."""
    from lineage.hubindex import describe_index, indexed_foundations

    prints = {n.key: fp for n in parentless_models(graph)
              if (fp := run_fingerprint(n.evidence)) is not None}
    about = describe_index(db_url)
    found = indexed_foundations(db_url, set(prints.values()), limit=50)
    suspected = 0
    for node in graph.models():
        fp = prints.get(node.key)
        if fp is None:
            continue
        matches = found[fp]
        hits = [h for h in matches.hits if h.model_id.lower() != (node.repo_id or "").lower()
                and _older(h.created, node)]
        count = f"at least {len(hits)}" if matches.total > len(matches.hits) else str(len(hits))
        known = {sp.parent for sp in node.suspected_parents}
        for hit in hits[:MAX_SUSPECTS_FROM_INDEX]:
            key = node_key("model", hit.model_id)
            if key in known:
                continue
            dated = bool(hit.created and node.activity and node.activity.created_at)
            reason = _reason(fp, len(hits), count, dated)
            node.suspected_parents.append(SuspectedParent(key, reason))
            node.findings.append(Finding("lineage-suspected-parent", "info",
                                         f"may derive from {hit.model_id}: {reason}"))
            suspected += 1
    unprinted = len(parentless_models(graph)) - len(prints)
    graph.meta["hub_index"] = (f"{about}: {len(prints)} parentless models looked up, "
                               f"{unprinted} without a fingerprint, {suspected} suspected "
                               "parents")


def _reason(fp: str, foundations: int, count: str, dated: bool) -> str:
    """``count`` is how many foundations share ``fp`` as far as the look-up saw (``at least
    N`` when it was cut short); ``dated``: both creation dates were known and compared."""
    from lineage.hubindex._fingerprint import fingerprint_parts

    _mt, arch, counts = fingerprint_parts(fp)
    shown = ", ".join(f"{d} {n:,}" for d, n in counts.items())
    older = "older " if dated else ""
    more = (f"; {count} {older}indexed foundations share it, the "
            f"{'oldest ' if dated else 'first '}{min(foundations, MAX_SUSPECTS_FROM_INDEX)} "
            "named" if foundations > 1 else "")
    dates = "" if dated else "creation dates not compared; "
    return (f"architecture {arch} and parameter counts ({shown}) equal an {older}indexed "
            f"foundation's ({dates}Hub index fingerprint: config dimensions and tokenizer not "
            f"compared){more}; declares no parent")
