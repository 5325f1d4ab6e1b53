"""Walk a target's lineage down to its foundation models: ``resolve_lineage``.

The graph is built level by level, in a fixed order: the repos one level names (parent models,
training datasets, remote-code repos) are linked once the whole level has been read, so the
graph never depends on timing. The requests do not wait for levels: a ``_Fetcher`` starts a
repo as soon as any repo read names it (in its metadata, before its own files are read), and
the level loop then collects what was started. A lineage whose longest chain holds D models
costs about D round trips. Each repo is pinned to its commit sha and its files are read at
that sha. Which requests are sent never depends on timing either: the same Hub answers give the
same requests, whatever the load (a guessed read is decided when its repo starts, see
``_Fetcher``).

A parent that cannot be fetched (gated, missing, offline, a local path, an invalid id, beyond
``max_depth``, or closing a cycle) becomes a node with its reason; the rest of the graph is
still built. Only a target that cannot be read raises.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lineage.errors import HubError, InputError, MlbomError, ParseError
from lineage.extract import (
    READ_EARLY,
    Parent,
    RepoFacts,
    extract_repo_facts,
    facts_from_json,
    facts_to_json,
    facts_version,
    metadata_links,
    planned_reads,
)
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
from lineage.ids import HUB_URL, cycle_key, invalid_key, local_key
from lineage.refs import ModelRef, ParentValue, decode_parent_value, looks_like_local_path
from lineage.sources.interface import (
    MAX_SMALL_FILE_BYTES,
    RepoSnapshot,
    Source,
    renamed_problem,
)
from lineage.sources.local import LocalFolder
from lineage.verify.evidence import (
    ModelEvidence,
    collect_evidence,
    evidence_reads,
    evidence_record_name,
)
from lineage.verify.evidence import from_json as evidence_from_json
from lineage.verify.evidence import to_json as evidence_to_json

DEFAULT_MAX_DEPTH = 50
DEFAULT_CONCURRENCY = 32  # repos read at once: a level of 32 models' metadata in one round
# file requests in flight per repo slot: a level's early guesses (two a model) sent with its
# metadata, and the file reads of the level above, which overlap with it
FILE_SLOTS_PER_REPO = 3

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ResolveOptions:
    max_depth: int = DEFAULT_MAX_DEPTH
    # the most repos read at once: metadata requests in flight; file requests have
    # FILE_SLOTS_PER_REPO times as many slots of their own
    concurrency: int = DEFAULT_CONCURRENCY
    offline: bool = False  # no source: parents are recorded, marked "offline"
    # files read by branch name alongside each model's metadata, in file slots taken together
    # with the metadata's; () never guesses, nor does a concurrency of 1 (one repo at a time)
    read_early: tuple[str, ...] = READ_EARLY
    # gather each model's shape evidence (config, tensor headers) for lineage verification
    verify: bool = True


@dataclass
class _Job:
    key: str
    kind: str  # model, dataset, code
    ref: ModelRef
    depth: int = 0


@dataclass
class _Result:
    snapshot: RepoSnapshot | None = None
    facts: RepoFacts | None = None
    error: MlbomError | None = None
    evidence: ModelEvidence | None = None


def parse_target(target: str) -> Path | ModelRef:
    """A local folder, or a Hub ref (an id, or a Hub URL decoded like a card value:
    ``<Hub URL>/org/name[/tree/<rev>]``). ``InputError`` when it is neither,
    and for an empty target (an unset variable must not mean the current folder)."""
    if not target.strip():
        raise InputError("the target is empty (an unset variable?); give a Hub repo id, "
                         "a Hub URL or a folder")
    if "://" in target:
        decoded = decode_parent_value(target)
        if decoded.ref is None:
            raise InputError(f"{target} is not a Hub model URL "
                             f"({HUB_URL}/org/name[/tree/<revision>])")
        return decoded.ref
    path = Path(target).expanduser()
    if path.is_dir():
        return path
    if looks_like_local_path(target) or path.exists():
        raise InputError(f"{target} is not a model folder (no such directory)")
    return ModelRef.parse(target)


class _Slots:
    """The request limits: at most ``repos`` metadata requests and ``repos`` x
    ``FILE_SLOTS_PER_REPO`` file requests in flight. A semaphore wakes only as many waiters as
    it frees (a condition notified for all woke every waiting thread on each release)."""

    def __init__(self, repos: int) -> None:
        self.repos = threading.BoundedSemaphore(repos)
        self.files = threading.BoundedSemaphore(repos * FILE_SLOTS_PER_REPO)

    @contextmanager
    def file(self) -> Iterator[None]:
        with self.files:
            yield


class _Fetcher:
    """Reads repos for the level loop, each started as soon as a repo read names it.

    Results are memoised by (kind, repo id, revision) as written, so a repo started early is
    read once and the level loop gets exactly what a request made at that point would have
    given. Started early: the parents, datasets and code repos a model's metadata names (while
    the model's own files are read) and those its files add (while the rest of its level is
    read); ``read_early`` files alongside each model's metadata. Model parents are not started
    beyond ``max_depth``.

    A guessed (``read_early``) read is sent with every model read from the network, in file
    slots taken with the metadata's, and its answer is always awaited, never dropped: whether a
    guess is made, and whether it is used, then depends on the Hub's answers only (the commit
    the branch pointed at), never on which thread ran first. With one repo at a time
    (``concurrency`` 1), nothing is guessed.

    A repo the source can answer from its cache is read at once in the calling thread, with
    its facts from the cache too when this code already extracted them at that commit: a
    second run does no parsing and hands no work to threads.
    """

    def __init__(self, source: Source, opts: ResolveOptions) -> None:
        workers = max(1, opts.concurrency)
        self._source = source
        self._max_depth = opts.max_depth
        self._follow = not opts.offline  # offline: only what the level loop asks for
        self._read_early = opts.read_early if workers > 1 else ()
        self._verify = opts.verify
        self._slots = _Slots(workers)
        file_slots = workers * FILE_SLOTS_PER_REPO
        # repo tasks wait on their file reads, so more than ``workers`` keep every slot busy
        self._repos = ThreadPoolExecutor(max_workers=2 * workers,
                                         thread_name_prefix="mlbom-fetch")
        self._files = ThreadPoolExecutor(max_workers=file_slots, thread_name_prefix="mlbom-file")
        # guesses hold their slot from the start, so at most ``file_slots`` exist: never queued
        self._guesses = ThreadPoolExecutor(max_workers=file_slots,
                                           thread_name_prefix="mlbom-guess")
        self._started: dict[tuple[str, str, str | None], Future[_Result]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._facts_version = facts_version()

    def start(self, kind: str, ref: ModelRef, depth: int) -> Future[_Result] | None:
        """The read of ``ref``, started now unless it already was (``None`` once closed)."""
        key = (kind, ref.repo_id, ref.revision)
        with self._lock:
            fut = self._started.get(key)
            if fut is not None or self._closed:
                return fut
        cached = self._source.info_if_cached("dataset" if kind == "dataset" else "model", ref)
        with self._lock:
            fut = self._started.get(key)
            if fut is not None or self._closed:
                return fut
            fut = Future()
            if cached is None:
                fut = self._repos.submit(self._fetch, kind, ref, depth)
            self._started[key] = fut
        if cached is not None:
            try:
                fut.set_result(self._complete(kind, cached, {}, None))
            except BaseException as exc:  # whoever waits on it must not wait forever
                fut.set_exception(exc)
                raise
        return fut

    def result(self, job: _Job) -> _Result:
        fut = self.start(job.kind, job.ref, job.depth)
        assert fut is not None, "the fetcher is used after close"
        return fut.result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._repos.shutdown(wait=True, cancel_futures=True)
        self._files.shutdown(wait=True, cancel_futures=True)
        self._guesses.shutdown(wait=True)

    def _start_links(self, links: list[tuple[str, ModelRef]], depth: int) -> None:
        if not self._follow:
            return
        for kind, ref in links:
            if kind != "model" or depth + 1 <= self._max_depth:
                self.start(kind, ref, depth + 1)

    def _fetch(self, kind: str, ref: ModelRef, depth: int) -> _Result:
        guesses = self._read_early if kind == "model" else ()
        with self._slots.repos:
            for _ in guesses:  # file slot holders never wait for a repo slot: no deadlock
                self._slots.files.acquire()
            early = {name: self._guesses.submit(self._read_ahead, ref, name) for name in guesses}
            try:
                snap = (self._source.dataset_info(ref) if kind == "dataset"
                        else self._source.model_info(ref))
            except (HubError, ParseError) as exc:
                return _Result(error=exc)
        return self._complete(kind, snap, early, depth)

    def _complete(self, kind: str, snap: RepoSnapshot,
                  early: dict[str, Future[tuple[bytes, str] | None]],
                  depth: int | None) -> _Result:
        """The result for a repo whose metadata is ``snap``: a model's facts, from the cache
        or extracted. With a ``depth`` (the repo was fetched, so the network is in play) the
        repos it names are started as soon as they are known."""
        if kind != "model":
            return _Result(snapshot=snap)
        try:
            facts = self._cached_facts(snap)
            evidence = self._cached_evidence(snap) if self._verify else None
            want_evidence = self._verify and evidence is None
            if facts is None or want_evidence:
                links = metadata_links(snap)
                if facts is None and depth is not None:  # the critical path: parents first
                    self._start_links(links, depth)
                reads = _RepoReads(self, snap, early, facts=facts is None,
                                   evidence=want_evidence,
                                   named=any(kind == "model" for kind, _ in links))
                if facts is None:
                    facts = self._extract(snap, reads)
                if depth is not None:  # parents first: evidence reads never delay them
                    self._start_links(_fact_links(facts), depth)
                    depth = None
                if want_evidence:
                    evidence = self._gather_evidence(snap, reads, bool(facts.parents))
            if depth is not None:
                self._start_links(_fact_links(facts), depth)
            return _Result(snapshot=snap, facts=facts, evidence=evidence)
        except (HubError, ParseError) as exc:
            return _Result(error=exc)

    def _extract(self, snap: RepoSnapshot, reads: _RepoReads) -> RepoFacts:
        """The repo's facts, cached at its sha unless a read failed (it may not fail again)."""
        facts = extract_repo_facts(snap, reads.read_file, reads.read_head)
        if snap.sha is not None and not reads.failed:
            self._source.store_derived(snap.repo_id, snap.sha, self._facts_name(snap),
                                       facts_to_json(facts))
        return facts

    def _gather_evidence(self, snap: RepoSnapshot, reads: _RepoReads,
                         declares_parent: bool) -> ModelEvidence:
        """The repo's shape evidence, cached at its sha unless a read failed for a reason other
        than a missing file (a file absent at a sha stays so)."""
        n_failed = len(reads.failed)
        evidence = collect_evidence(snap, reads.read_file, reads.read_range,
                                    declares_parent=declares_parent)
        transient = [e for e in reads.failed[n_failed:] + reads.evidence_failed
                     if e.reason != "not-found"]
        if snap.sha is not None and not transient:
            self._source.store_derived(snap.repo_id, snap.sha, self._evidence_name(),
                                       evidence_to_json(evidence))
        return evidence

    def _evidence_name(self) -> str:
        return evidence_record_name()

    def _cached_evidence(self, snap: RepoSnapshot) -> ModelEvidence | None:
        if snap.sha is None:
            return None
        data = self._source.load_derived(snap.repo_id, snap.sha, self._evidence_name())
        return evidence_from_json(data) if data is not None else None

    def _facts_name(self, snap: RepoSnapshot) -> str:
        # facts depend on the id as spelt (a repo's own id is never its parent)
        spelling = hashlib.sha256(snap.repo_id.encode()).hexdigest()[:8]
        return f"facts-{self._facts_version}-{spelling}.json"

    def _cached_facts(self, snap: RepoSnapshot) -> RepoFacts | None:
        if snap.sha is None:
            return None
        data = self._source.load_derived(snap.repo_id, snap.sha, self._facts_name(snap))
        return facts_from_json(data) if data is not None else None

    def _read_ahead(self, ref: ModelRef, name: str) -> tuple[bytes, str] | None:
        """A guessed read, in the file slot ``_fetch`` took for it."""
        try:
            return self._source.read_file_early(ref.repo_id, ref.revision, name)
        finally:
            self._slots.files.release()

    def queue_read(self, call: Callable[[], bytes]) -> Future[bytes]:
        """``call`` (one file request) run in a file slot of its own, started now."""
        def run() -> bytes:
            with self._slots.files:
                return call()
        return self._files.submit(run)


class _RepoReads:
    """File readers of one repo for ``extract_repo_facts`` and ``collect_evidence``.

    The files ``planned_reads`` (``facts``) and ``evidence_reads`` (``evidence``) predict are
    requested together as soon as this is made, so the repo costs at most one round trip after
    its metadata; a range from byte 0 is a head read. A read early is used when the commit it
    came from is the sha the metadata pinned, and is read again at that sha otherwise. A read
    the extraction then makes gets the bytes, or the very exception, at the point it asks;
    anything not predicted is read on demand. Every ``HubError`` a read raises is recorded in
    ``failed``, or in ``evidence_failed`` for reads only the evidence wants (their failures
    never stop the facts from being cached). ``config.json`` is read once for both."""

    def __init__(self, fetcher: _Fetcher, snap: RepoSnapshot,
                 early: dict[str, Future[tuple[bytes, str] | None]], *, facts: bool,
                 evidence: bool, named: bool) -> None:
        self._source, self._slots, self._snap = fetcher._source, fetcher._slots, snap
        self._early = early
        self.failed: list[HubError] = []
        self.evidence_failed: list[HubError] = []
        self._got: dict[str, bytes] = {}
        self._ahead: dict[tuple[str, int | None], Future[bytes]] = {}
        names, heads, only_evidence = _planned(snap, facts=facts, evidence=evidence,
                                               named=named)
        for name in names:
            if name not in early:
                sink = self.evidence_failed if (name, None) in only_evidence else self.failed
                self._ahead[(name, None)] = fetcher.queue_read(
                    functools.partial(self._file_at_sha, name, sink))
        for name, size in heads:
            sink = self.evidence_failed if (name, size) in only_evidence else self.failed
            self._ahead[(name, size)] = fetcher.queue_read(
                functools.partial(self._head_at_sha, name, size, sink))

    def _file_at_sha(self, name: str, sink: list[HubError] | None = None) -> bytes:
        try:
            return self._source.read_file(self._snap.repo_id, self._snap.sha, name,
                                          max_bytes=MAX_SMALL_FILE_BYTES)
        except HubError as exc:
            (self.failed if sink is None else sink).append(exc)
            raise

    def _head_at_sha(self, name: str, n: int, sink: list[HubError] | None = None) -> bytes:
        try:
            return self._source.read_head(self._snap.repo_id, self._snap.sha, name, n)
        except HubError as exc:
            (self.failed if sink is None else sink).append(exc)
            raise

    def _read_early(self, name: str) -> bytes | None:
        guess = self._early.get(name)
        if guess is None:
            return None
        got = guess.result()  # sent with the metadata: here by now, or nearly
        sha = self._snap.sha
        return got[0] if got is not None and sha is not None and got[1] == sha else None

    def read_file(self, name: str) -> bytes:
        data = self._got.get(name)
        if data is None:
            data = self._read_early(name)
        if data is None:
            planned = self._ahead.get((name, None))
            if planned is not None:
                data = planned.result()
            else:
                with self._slots.file():
                    data = self._file_at_sha(name)
        self._got[name] = data
        return data

    def read_head(self, name: str, n: int) -> bytes:
        planned = self._ahead.get((name, n))
        if planned is not None:
            return planned.result()
        with self._slots.file():
            return self._head_at_sha(name, n)

    def read_range(self, name: str, offset: int, n: int) -> bytes:
        if offset == 0:
            return self.read_head(name, n)
        try:
            with self._slots.file():
                return self._source.read_range(self._snap.repo_id, self._snap.sha, name,
                                               offset, n)
        except HubError as exc:
            self.evidence_failed.append(exc)
            raise


def _planned(snap: RepoSnapshot, *, facts: bool, evidence: bool, named: bool
             ) -> tuple[list[str], list[tuple[str, int]], set[tuple[str, int | None]]]:
    """Files and heads to read ahead for the facts and/or the evidence, and which of them
    only the evidence wants: their failures never stop the facts from being cached.
    ``named``: the metadata names a parent model."""
    names, heads = planned_reads(snap) if facts else ([], [])
    if not evidence:
        return names, heads, set()
    more_files, ranges = evidence_reads(snap, named)
    more_files = [n for n in more_files if n not in names]
    more_heads = [(n, size) for n, start, size in ranges
                  if start == 0 and (n, size) not in heads]
    only: set[tuple[str, int | None]] = {(n, None) for n in more_files} | set(more_heads)
    return names + more_files, heads + more_heads, only


def _fact_links(facts: RepoFacts) -> list[tuple[str, ModelRef]]:
    links = [("model", ref) for ref in _parent_refs(facts.parents)]
    links += [("dataset", v.ref) for v, _ in facts.datasets if v.ref is not None]
    links += [("code", v.ref) for v, _ in facts.code_repos if v.ref is not None]
    return links


def _parent_refs(parents: list[Parent]) -> list[ModelRef]:
    """Hub refs among ``parents`` and, under local paths, their own parents."""
    out: list[ModelRef] = []
    for p in parents:
        if p.value.ref is not None:
            out.append(p.value.ref)
        out.extend(_parent_refs(p.parents))
    return out


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
    fetcher = _Fetcher(source, opts) if source is not None else None
    try:
        _resolve(graph, tgt, source, fetcher, opts, say)
    except BaseException:  # Ctrl-C above all: the fetch threads must not be waited for
        if source is not None:
            source.cancel()
        raise
    finally:
        if fetcher is not None:
            fetcher.close()
    return graph


def _resolve(graph: LineageGraph, tgt: Path | ModelRef, source: Source | None,
             fetcher: _Fetcher | None, opts: ResolveOptions, say: Progress) -> None:
    if isinstance(tgt, Path):
        folder = LocalFolder(tgt)
        snap = folder.model_info()
        facts = extract_repo_facts(snap, *source_readers(folder, snap))
        node = ModelNode(key=folder.node_key, name=snap.repo_id, is_target=True,
                         local_dir=folder.root)
        graph.add_node(node)
        _apply_model(node, snap, facts)
        if opts.verify:  # what is on disk only, offline or not
            read_file, _ = source_readers(folder, snap)
            node.evidence = collect_evidence(
                snap, read_file,
                lambda name, offset, n: folder.read_range(snap.repo_id, snap.sha, name,
                                                          offset, n),
                declares_parent=bool(facts.parents))
    else:
        if source is None or fetcher is None:
            raise HubError("cannot read a Hub model offline; pass --hub-mirror DIR",
                           subject=str(tgt), reason="offline")
        say(f"fetching {tgt}")
        result = fetcher.result(_Job(model_key(tgt.repo_id), "model", tgt))
        if result.error is not None:
            raise result.error
        assert result.snapshot is not None and result.facts is not None
        node = ModelNode(key=model_key(tgt.repo_id), name=tgt.repo_id, repo_id=tgt.repo_id,
                         revision=tgt.revision, is_target=True)
        graph.add_node(node)
        _apply_model(node, result.snapshot, result.facts)
        node.evidence = result.evidence
        facts = result.facts

    _resolve_levels(graph, {node.key: facts}, source, fetcher, opts, say)


def _resolve_levels(graph: LineageGraph, pending: dict[str, RepoFacts], source: Source | None,
                    fetcher: _Fetcher | None, opts: ResolveOptions, say: Progress) -> None:
    """Link the repos ``pending`` names, level by level in sorted order, and read the next
    level through ``fetcher`` (which may have started them already)."""
    level = 0
    while pending:
        jobs: list[_Job] = []
        for key in sorted(pending):
            jobs.extend(_link(graph, graph.node(key), pending[key], source, opts))
        pending = {}
        if not jobs or fetcher is None:
            break
        level += 1
        say(f"level {level}: fetching {len(jobs)} repos")
        for job in jobs:  # started together, collected in order
            fetcher.start(job.kind, job.ref, job.depth)
        for job in jobs:
            res = fetcher.result(job)
            n = graph.node(job.key)
            if res.error is not None:
                n.unresolved = getattr(res.error, "reason", "hub-error")
                n.problems.append(str(res.error))
                continue
            assert res.snapshot is not None
            if isinstance(n, ModelNode) and res.facts is not None:
                _apply_model(n, res.snapshot, res.facts)
                n.evidence = res.evidence
                pending[n.key] = res.facts
            else:
                _apply_plain(n, res.snapshot)


def source_readers(source: Source, snap: RepoSnapshot
                   ) -> tuple[Callable[[str], bytes], Callable[[str, int], bytes]]:
    """``extract_repo_facts``' file readers for ``snap``, read from ``source`` at its sha."""
    def read_file(name: str) -> bytes:
        return source.read_file(snap.repo_id, snap.sha, name, max_bytes=MAX_SMALL_FILE_BYTES)

    def read_head(name: str, n: int) -> bytes:
        return source.read_head(snap.repo_id, snap.sha, name, n)

    return read_file, read_head


def _apply_plain(node: Node, snap: RepoSnapshot) -> None:
    node.sha = snap.sha
    node.name = snap.repo_id
    node.repo_id = snap.repo_id if snap.kind != "local" else None  # a folder is no Hub repo
    node.card = dict(snap.card_data)
    node.files = list(snap.siblings)
    node.files_complete = snap.listing_complete
    node.tags = list(snap.tags)
    node.problems.extend(snap.problems)
    if snap.renamed_from:
        node.renamed_from = snap.renamed_from
        node.problems.append(renamed_problem(snap.renamed_from, snap.repo_id))


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
    return local_key(value.raw) if value.reason == "local-path" else invalid_key(value.raw)


def _link(graph: LineageGraph, child: Node, facts: RepoFacts, source: Source | None,
          opts: ResolveOptions) -> list[_Job]:
    """Add the child's parents, datasets and code repos; return what must be fetched."""
    jobs: list[_Job] = []
    depth = child.depth + 1 if isinstance(child, ModelNode) else 1
    for parent in facts.parents:
        _link_parent(graph, child, parent, depth, source, opts, jobs)

    for value, ev in facts.datasets:
        _link_leaf(graph, child, value, ev, "dataset", source, opts, jobs)
    for value, ev in facts.code_repos:
        _link_leaf(graph, child, value, ev, "code", source, opts, jobs)
    return jobs


def _link_parent(graph: LineageGraph, child: Node, parent: Parent, depth: int,
                 source: Source | None, opts: ResolveOptions, jobs: list[_Job]) -> None:
    """Link one parent model of ``child``. A local path the card shows the recipe of (an
    intermediate merge) gets that recipe's sources as its own parents, one level deeper."""
    ref = parent.value.ref
    if ref is None:
        reason = parent.value.reason or "invalid-id"
        key = _unresolved_key(parent.value)
        if parent.parents:  # an intermediate of this child's card, not a shared folder name
            key = f"{key}@{child.key}"
        pnode: Node = graph.add_node(ModelNode(key=key,
                                               name=parent.value.raw, unresolved=reason,
                                               depth=depth))
        if pnode.key == child.key or graph.would_close_cycle(child.key, pnode.key):
            child.problems.append(f"{parent.value.raw} is declared as an ancestor of itself; "
                                  f"not followed")
            return
        graph.add_edge(child.key, pnode.key, parent.relation, parent.evidence)
        for grandparent in parent.parents:
            _link_parent(graph, pnode, grandparent, depth + 1, source, opts, jobs)
        return
    pkey = _parent_key(graph, child.key, ref)
    if pkey == child.key or graph.would_close_cycle(child.key, pkey):
        stub = graph.add_node(ModelNode(
            key=cycle_key(ref.repo_id), name=ref.repo_id, repo_id=ref.repo_id,
            unresolved="cycle", depth=depth,
            problems=[f"{ref.repo_id} is declared as an ancestor of itself; not followed"]))
        graph.add_edge(child.key, stub.key, parent.relation, parent.evidence)
        return
    if pkey not in graph:
        pnode = ModelNode(key=pkey, name=ref.repo_id, repo_id=ref.repo_id,
                          revision=ref.revision, depth=depth)
        graph.add_node(pnode)
        if depth > opts.max_depth:
            pnode.unresolved = "depth-limit"
        elif source is None or opts.offline:
            pnode.unresolved = "offline"
        else:
            jobs.append(_Job(pkey, "model", ref, depth))
    graph.add_edge(child.key, pkey, parent.relation, parent.evidence)


def _parent_key(graph: LineageGraph, child: str, ref: ModelRef) -> str:
    """One node per repo; a second revision of a repo ``child`` already has as a parent (a
    recipe merging one model at two revisions) is a node of its own."""
    key = model_key(ref.repo_id)
    if key in graph and graph.g.has_edge(child, key) and \
            graph.node(key).revision != ref.revision:
        return f"{key}@{ref.revision}"
    return key


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
