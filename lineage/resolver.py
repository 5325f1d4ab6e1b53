"""Walk a target's lineage down to its foundation models: ``resolve_lineage``.

Level by level: every repo discovered on one level (parent models, training datasets and
remote-code repos alike) is fetched in parallel with bounded concurrency before the next level
starts, so a lineage whose longest chain holds D models costs about D round trips. Each repo
is pinned to its commit sha and its files are read at that sha.

A parent that cannot be fetched (gated, missing, offline, a local path, an invalid id, beyond
``max_depth``, or closing a cycle) becomes a node with its reason; the rest of the graph is
still built. Only a target that cannot be read raises.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lineage.errors import HubError, InputError, MlbomError, ParseError
from lineage.extract import RepoFacts, extract_repo_facts, planned_reads
from lineage.graph import (
    CodeNode,
    DatasetNode,
    Evidence,
    LineageGraph,
    ModelNode,
    Node,
    Relation,
    code_key,
    dataset_key,
    model_key,
)
from lineage.refs import ModelRef, ParentValue, looks_like_local_path
from lineage.sources.interface import MAX_SMALL_FILE_BYTES, RepoSnapshot, Source
from lineage.sources.local import LocalFolder

DEFAULT_MAX_DEPTH = 50
DEFAULT_CONCURRENCY = 16

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ResolveOptions:
    max_depth: int = DEFAULT_MAX_DEPTH
    concurrency: int = DEFAULT_CONCURRENCY
    offline: bool = False  # no source: parents are recorded, marked "offline"


@dataclass
class _Job:
    key: str
    kind: str  # model, dataset, code
    ref: ModelRef


@dataclass
class _Result:
    snapshot: RepoSnapshot | None = None
    facts: RepoFacts | None = None
    error: MlbomError | None = None


def parse_target(target: str) -> Path | ModelRef:
    """A local folder, or a Hub ref. ``InputError`` when it is neither."""
    path = Path(target).expanduser()
    if path.is_dir():
        return path
    if looks_like_local_path(target) or path.exists():
        raise InputError(f"{target} is not a model folder (no such directory)")
    return ModelRef.parse(target)


def _fetch(source: Source, job: _Job, files: ThreadPoolExecutor | None = None) -> _Result:
    try:
        if job.kind == "dataset":
            return _Result(snapshot=source.dataset_info(job.ref))
        snap = source.model_info(job.ref)
        if job.kind == "code":
            return _Result(snapshot=snap)
        read_file, read_head = _readers(source, snap, files)
        return _Result(snapshot=snap, facts=extract_repo_facts(snap, read_file, read_head))
    except (HubError, ParseError) as exc:
        return _Result(error=exc)


def _readers(source: Source, snap: RepoSnapshot, files: ThreadPoolExecutor | None) -> tuple[
        Callable[[str], bytes], Callable[[str, int], bytes]]:
    """File readers for ``extract_repo_facts``. When the snapshot shows that two or more files
    will be read (a merge repo's recipe and card body, say), they are requested together, so
    the repo costs one round trip after its metadata instead of one per file. A read the
    extraction then makes gets the prefetched bytes, or the very exception, at the point it
    asks; anything not prefetched is read on demand."""

    def read_file(name: str) -> bytes:
        return source.read_file(snap.repo_id, snap.sha, name, max_bytes=MAX_SMALL_FILE_BYTES)

    def read_head(name: str, n: int) -> bytes:
        return source.read_head(snap.repo_id, snap.sha, name, n)

    names, heads = planned_reads(snap)
    if files is None or len(names) + len(heads) < 2:
        return read_file, read_head
    ahead: dict[tuple[str, int | None], Future[bytes]] = {}
    for name in names:
        ahead[(name, None)] = files.submit(read_file, name)
    for name, n in heads:
        ahead[(name, n)] = files.submit(read_head, name, n)

    def prefetched_file(name: str) -> bytes:
        got = ahead.get((name, None))
        return got.result() if got is not None else read_file(name)

    def prefetched_head(name: str, n: int) -> bytes:
        got = ahead.get((name, n))
        return got.result() if got is not None else read_head(name, n)

    return prefetched_file, prefetched_head


def resolve_lineage(
    target: str | Path | ModelRef,
    source: Source | None,
    options: ResolveOptions | None = None,
    *,
    progress: Progress | None = None,
) -> LineageGraph:
    """Resolve ``target`` (a folder or a Hub ref) into a ``LineageGraph`` (not yet annotated).

    Raises ``InputError`` for a bad target and ``HubError`` when the target itself cannot be
    read; everything below the target is recorded, never raised.
    """
    opts = options or ResolveOptions()
    graph = LineageGraph()
    graph.meta.update(source=source.name if source else "offline", max_depth=opts.max_depth,
                      offline=opts.offline or source is None)
    tgt = parse_target(str(target)) if isinstance(target, str) else target
    say = progress or (lambda _msg: None)

    if isinstance(tgt, Path):
        folder = LocalFolder(tgt)
        snap = folder.snapshot()
        facts = extract_repo_facts(snap, folder.read_file, folder.read_head)
        node = ModelNode(key=f"local:{folder.name}", name=folder.name, is_target=True,
                         local_dir=folder.root)
        graph.add_node(node)
        _apply_model(node, snap, facts)
        node.sha = node.repo_id = None
    else:
        if source is None:
            raise HubError("cannot read a Hub model offline; pass --hub-mirror DIR",
                           subject=str(tgt), reason="offline")
        say(f"fetching {tgt}")
        with ThreadPoolExecutor(max_workers=max(1, opts.concurrency),
                                thread_name_prefix="mlbom-file") as first_files:
            result = _fetch(source, _Job(model_key(tgt.repo_id), "model", tgt), first_files)
        if result.error is not None:
            raise result.error
        assert result.snapshot is not None and result.facts is not None
        node = ModelNode(key=model_key(tgt.repo_id), name=tgt.repo_id, repo_id=tgt.repo_id,
                         revision=tgt.revision, is_target=True)
        graph.add_node(node)
        _apply_model(node, result.snapshot, result.facts)
        facts = result.facts

    pending: dict[str, RepoFacts] = {node.key: facts}
    workers = max(1, opts.concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlbom-fetch") as pool, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlbom-file") as files:
        level = 0
        while pending:
            jobs: list[_Job] = []
            for key in sorted(pending):
                jobs.extend(_link(graph, graph.node(key), pending[key], source, opts))
            pending = {}
            if not jobs:
                break
            level += 1
            say(f"level {level}: fetching {len(jobs)} repos")
            results = list(pool.map(lambda j: _fetch(source, j, files), jobs)) if source else []
            for job, res in zip(jobs, results, strict=False):
                n = graph.node(job.key)
                if res.error is not None:
                    n.unresolved = getattr(res.error, "reason", "hub-error")
                    n.problems.append(str(res.error))
                    continue
                assert res.snapshot is not None
                if isinstance(n, ModelNode) and res.facts is not None:
                    _apply_model(n, res.snapshot, res.facts)
                    pending[n.key] = res.facts
                else:
                    _apply_plain(n, res.snapshot)
    return graph


def _apply_plain(node: Node, snap: RepoSnapshot) -> None:
    node.sha = snap.sha
    node.name = snap.repo_id
    node.repo_id = snap.repo_id
    node.card = dict(snap.card_data)
    node.files = list(snap.siblings)
    node.tags = list(snap.tags)
    node.problems.extend(snap.problems)


def _apply_model(node: ModelNode, snap: RepoSnapshot, facts: RepoFacts) -> None:
    _apply_plain(node, snap)
    node.problems[:] = list(dict.fromkeys(node.problems + facts.problems))
    node.config = snap.config
    node.hub_security = snap.security
    node.activity = facts.activity
    node.task = facts.task
    node.architecture = facts.architecture
    node.library_name = facts.library_name
    node.relation_declared = facts.relation_declared
    node.remote_code = facts.remote_code
    node.gguf = facts.gguf
    node.eval_datasets = facts.eval_datasets
    node.quantization = facts.quantization


def _unresolved_key(value: ParentValue) -> str:
    prefix = "local" if value.reason == "local-path" else "invalid"
    return f"{prefix}:{value.raw}"


def _link(graph: LineageGraph, child: Node, facts: RepoFacts, source: Source | None,
          opts: ResolveOptions) -> list[_Job]:
    """Add the child's parents, datasets and code repos; return what must be fetched."""
    jobs: list[_Job] = []
    depth = child.depth + 1 if isinstance(child, ModelNode) else 1
    for parent in facts.parents:
        ref = parent.value.ref
        if ref is None:
            reason = parent.value.reason or "invalid-id"
            pnode: Node = graph.add_node(ModelNode(key=_unresolved_key(parent.value),
                                                   name=parent.value.raw, unresolved=reason,
                                                   depth=depth))
            graph.add_edge(child.key, pnode.key, parent.relation, parent.evidence)
            continue
        pkey = model_key(ref.repo_id)
        if pkey == child.key or graph.would_close_cycle(child.key, pkey):
            stub = graph.add_node(ModelNode(
                key=f"cycle:{ref.repo_id.lower()}", name=ref.repo_id, repo_id=ref.repo_id,
                unresolved="cycle", depth=depth,
                problems=[f"{ref.repo_id} is declared as an ancestor of itself; not followed"]))
            graph.add_edge(child.key, stub.key, parent.relation, parent.evidence)
            continue
        if pkey not in graph:
            pnode = ModelNode(key=pkey, name=ref.repo_id, repo_id=ref.repo_id,
                              revision=ref.revision, depth=depth)
            graph.add_node(pnode)
            if depth > opts.max_depth:
                pnode.unresolved = "depth-limit"
            elif source is None or opts.offline:
                pnode.unresolved = "offline"
            else:
                jobs.append(_Job(pkey, "model", ref))
        graph.add_edge(child.key, pkey, parent.relation, parent.evidence)

    for value, ev in facts.datasets:
        _link_leaf(graph, child, value, ev, "dataset", source, opts, jobs)
    for value, ev in facts.code_repos:
        _link_leaf(graph, child, value, ev, "code", source, opts, jobs)
    return jobs


def _link_leaf(graph: LineageGraph, child: Node, value: ParentValue, ev: Evidence, kind: str,
               source: Source | None, opts: ResolveOptions, jobs: list[_Job]) -> None:
    cls: type[Node] = DatasetNode if kind == "dataset" else CodeNode
    relation = Relation.TRAINED_ON if kind == "dataset" else Relation.REMOTE_CODE
    if value.ref is None:
        key = f"{kind}:{value.raw}"
        graph.add_node(cls(key=key, name=value.raw, unresolved=value.reason or "invalid-id"))
        graph.add_edge(child.key, key, relation, [ev])
        return
    key = dataset_key(value.ref.repo_id) if kind == "dataset" else code_key(value.ref.repo_id)
    if key not in graph:
        node = cls(key=key, name=value.ref.repo_id, repo_id=value.ref.repo_id,
                   revision=value.ref.revision)
        graph.add_node(node)
        if source is None or opts.offline:
            node.unresolved = "offline"
        else:
            jobs.append(_Job(key, kind, value.ref))
    graph.add_edge(child.key, key, relation, [ev])
    if isinstance(graph.node(key), CodeNode):
        code = graph.node(key)
        assert isinstance(code, CodeNode)
        module = ev.value.partition("--")[2]
        if module and module not in code.modules:
            code.modules.append(module)
