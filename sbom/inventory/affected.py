"""Which stored product versions inherit a compromised model, dataset or code repo.

``query_affected`` answers from the closure the store keeps per BOM (``closure.py``): the
product versions that hold the item are one index range scan of ``items``, counted in full;
the paths of the page shown are decoded from the stored paths (edge indices) and graphs, at
any depth.

Semantics callers may rely on:

- Models, datasets and code repos are looked up by the same id. ``kind=None`` answers for
  every kind the id has in the store (one ``KindAnswer`` each, so an id that is both a model
  and a dataset is listed under both); ``kind="model"`` matches model nodes and remote-code
  nodes (code repos are model repos on the Hub); ``"dataset"`` datasets; ``"code"`` only code.
- An id that no stored BOM holds (as the kind asked) is an ``ItemNotFound`` input error
  with close names from the store: never an empty answer that reads as "safe".
- ``ORG/NAME@REV`` with a full sha or a prefix of at least 7 hex characters counts as
  affected only products pinned to a matching commit. Products whose BOM does not record the
  item's commit are ``unknown`` (listed apart); products pinning other commits are present
  but not affected. Without a revision any commit counts, and each hit says which it pins.
- Diamonds: a product version is reported once, with every distinct path from its model down
  to the item, shortest first, at most ``max_paths`` of them (``more_paths`` counts the rest).
- Paging: ``limit``/``offset`` over product versions sorted by product and version; the
  totals always count every product version.

``find_affected`` is the plain list of every affected product version of one kind.
"""

from __future__ import annotations

import difflib
import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from lineage.errors import InputError
from lineage.refs import ModelRef
from sbom.inventory.store import Store

DEFAULT_MAX_PATHS = 8
KINDS = ("model", "dataset", "code")
_REVISION = re.compile(r"^[0-9a-fA-F]{7,40}$")
_NO_LIMIT = 2**62
_MATCHED = {"model": ("model", "code"), "dataset": ("dataset",), "code": ("code",)}
# (Hub namespace, node kind or None for any) that each kind asked for matches
_SELECT = {"model": ("model", None), "dataset": ("dataset", None), "code": ("model", "code")}


@dataclass(frozen=True)
class PathStep:
    ref: str  # bom-ref in the product's BOM
    name: str  # repo id as the BOM spells it
    relation: str | None  # relation of the edge from this node to the next one (None: last)


@dataclass(frozen=True)
class AffectedPath:
    """One path from the product's model (first step) down to the item (last step)."""

    steps: tuple[PathStep, ...]
    commit: str | None  # the commit of the item this BOM pins, None when not recorded
    bom_file: str

    @property
    def model(self) -> str:
        return self.steps[0].name


@dataclass(frozen=True)
class AffectedHit:
    product: str
    version: str
    commits: tuple[str | None, ...]  # distinct commits of the item in this product version
    paths: tuple[AffectedPath, ...]  # shortest first, at most max_paths
    more_paths: int = 0  # paths found but not listed


@dataclass(frozen=True)
class AffectedQuery:
    repo_id: str
    kind: str | None  # model, dataset or code; None: every kind the id has
    revision: str | None  # lower-case sha or sha prefix


@dataclass(frozen=True)
class KindAnswer:
    """The answer for the item as one kind of repo."""

    kind: str
    status: str  # "affected", "not-affected" (present, no product pins the commit), "unknown"
    total: int  # affected product versions, over all pages
    present: int  # product versions whose lineage holds the item at any commit
    unknown_total: int  # revision asked: product versions whose BOM does not say which commit
    hits: tuple[AffectedHit, ...]  # the page of affected product versions
    unknown: tuple[AffectedHit, ...]  # the page of unknown ones
    other_commits: tuple[str, ...]  # revision asked: commits the stored products pin (<= 10)


@dataclass(frozen=True)
class AffectedAnswer:
    query: AffectedQuery
    store: str  # the store's URL, without password
    answers: tuple[KindAnswer, ...]
    offset: int = 0
    limit: int | None = None
    incomplete: int = 0  # stored product versions whose lineage is not fully resolved
    incomplete_examples: tuple[str, ...] = ()  # the first three of them, "product version"

    @property
    def status(self) -> str:
        statuses = {a.status for a in self.answers}
        return next(s for s in ("affected", "unknown", "not-affected") if s in statuses)

    @property
    def total(self) -> int:
        return sum(a.total for a in self.answers)


class ItemNotFound(InputError):
    """No stored BOM holds the item (as the kind asked)."""

    def __init__(self, message: str, suggestions: Sequence[str]) -> None:
        self.suggestions = tuple(suggestions)
        hint = f" (did you mean {', '.join(f'`{s}`' for s in suggestions)}?)" if suggestions \
            else ""
        super().__init__(message + hint)


def parse_item(item: str, kind: str | None = "model") -> AffectedQuery:
    """Validate ``ORG/NAME[@REV]``; ``InputError`` says what is wrong."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown item kind {kind!r}: use model, dataset or code")
    ref = ModelRef.parse(item)
    if ref.revision is not None and not _REVISION.match(ref.revision):
        raise InputError(
            f"revision {ref.revision[:60]!r} is not a commit sha: give the full sha or a "
            "prefix of at least 7 hex characters",
            subject=ref.repo_id,
        )
    return AffectedQuery(ref.repo_id, kind, ref.revision.lower() if ref.revision else None)


def find_affected(
    store: Store, item: str, kind: str = "model", *, max_paths: int = DEFAULT_MAX_PATHS
) -> list[AffectedHit]:
    """Every product version whose stored lineage contains ``item`` as ``kind`` (pinned to
    the revision, if one is given), sorted by product and version; ``[]`` when none."""
    query = parse_item(item, kind)
    with store.reading():
        repo = _repo_id(store, query.repo_id)
        if repo is None:
            return []
        return _Finder(store, repo, kind, query.revision, max_paths).affected(_NO_LIMIT, 0)[1]


def query_affected(
    store: Store, item: str, kind: str | None = None, *, limit: int | None = None,
    offset: int = 0, max_paths: int = DEFAULT_MAX_PATHS,
) -> AffectedAnswer:
    """The full answer for ``item`` (see the module docstring), read in one snapshot;
    ``ItemNotFound`` when no stored BOM holds it."""
    query = parse_item(item, kind)
    if limit is not None and limit < 1 or offset < 0:
        raise InputError("--limit must be at least 1 and --offset at least 0")
    with store.reading():
        return _answer(store, query, kind, limit, offset, max_paths)


def _answer(store: Store, query: AffectedQuery, kind: str | None, limit: int | None,
            offset: int, max_paths: int) -> AffectedAnswer:
    repo = _repo_id(store, query.repo_id)
    present = _kinds_present(store, repo) if repo is not None else set()
    kinds = _kinds_to_answer(present, kind)
    if repo is None or not kinds:
        raise _not_found(store, query, _kinds_to_answer(present, None))
    answers = tuple(
        _Finder(store, repo, k, query.revision, max_paths).answer(
            k, limit or _NO_LIMIT, offset)
        for k in kinds
    )
    return AffectedAnswer(query, store.url, answers, offset, limit, *_incomplete(store))


def _repo_id(store: Store, repo_id: str) -> int | None:
    if not store.has_schema:
        return None
    rows = store.query("SELECT id FROM repos WHERE key = ?", (repo_id.lower(),))
    return int(rows[0][0]) if rows else None


def _kinds_present(store: Store, repo: int) -> set[str]:
    """The node kinds the repo has in the store: three index probes. The kinds are written
    into the text, not bound, so that both engines match the partial index ``items_code``."""
    rows = store.query(
        "SELECT (SELECT 1 FROM items WHERE repo = ? AND ns = 'dataset' LIMIT 1), "
        "(SELECT 1 FROM items WHERE repo = ? AND ns = 'model' AND kind = 'model' LIMIT 1), "
        "(SELECT 1 FROM items WHERE repo = ? AND kind = 'code' LIMIT 1)", (repo, repo, repo))
    return {k for k, hit in zip(("dataset", "model", "code"), rows[0], strict=True) if hit}


def _kinds_to_answer(present: set[str], kind: str | None) -> list[str]:
    """The kinds to answer for: model nodes and code nodes of one id are one Hub model repo
    (answered as "model", or "code" when no BOM uses it as a model); a dataset is another."""
    if kind is not None:
        return [kind] if present & set(_MATCHED[kind]) else []
    out = []
    if present & {"model", "code"}:
        out.append("model" if "model" in present else "code")
    if "dataset" in present:
        out.append("dataset")
    return out


def _incomplete(store: Store) -> tuple[int, tuple[str, ...]]:
    """How many product versions have unresolved lineage, and the first three by name."""
    rows = store.query("SELECT count(DISTINCT product_id) FROM boms WHERE unresolved > 0", ())
    if not rows[0][0]:
        return 0, ()
    names = store.query(
        "SELECT p.product, p.version FROM products p WHERE p.id IN "
        "(SELECT product_id FROM boms WHERE unresolved > 0) "
        "ORDER BY p.product, p.version LIMIT 3", ())
    return int(rows[0][0]), tuple(f"{p} {v}" for p, v in names)


def _not_found(store: Store, query: AffectedQuery, present: list[str]) -> ItemNotFound:
    boms = store.bom_count()
    where = f"{boms} BOM{'s' if boms != 1 else ''} in the store at {store.url}"
    if present:
        other = " and ".join(f"a {k}" for k in present)
        return ItemNotFound(
            f"{query.repo_id} is not a {query.kind} in any stored BOM ({where}); it is {other}:"
            f" drop --dataset/--kind to look it up as any kind", [])
    if not boms:
        return ItemNotFound(f"{query.repo_id} is not in any stored BOM: the store at "
                            f"{store.url} is empty (0 BOMs)", [])
    return ItemNotFound(f"{query.repo_id} is not in any stored BOM ({where})",
                        suggest_names(store, query.repo_id))


def suggest_names(store: Store, repo_id: str, n: int = 3) -> list[str]:
    """Stored repo ids close to ``repo_id``: from its namespace first, then from the whole
    store when it holds at most 50,000 repos (a typo in the namespace)."""
    key = repo_id.lower()
    namespace = key.split("/", 1)[0] + "/"
    rows = store.query("SELECT key, name FROM repos WHERE key >= ? AND key < ?",
                       (namespace, namespace[:-1] + "0"))
    names = {str(k): str(v) for k, v in rows}
    found = difflib.get_close_matches(key, names, n, 0.75)
    if not found:
        count = store.query("SELECT count(*) FROM repos", ())[0][0]
        if count <= 50_000:
            names = {str(k): str(v) for k, v in store.query("SELECT key, name FROM repos", ())}
            found = difflib.get_close_matches(key, names, n, 0.75)
    return [names[k] for k in found]


class _Finder:
    """The queries for one repo as one kind."""

    def __init__(self, store: Store, repo: int, kind: str, revision: str | None,
                 max_paths: int) -> None:
        self.store, self.max_paths = store, max_paths
        self._steps: dict[tuple[str, str, str | None], PathStep] = {}
        ns, node_kind = _SELECT[kind]
        self.base = "i.repo = ? AND i.ns = ?" + (" AND i.kind = ?" if node_kind else "")
        self.base_params: tuple[Any, ...] = (repo, ns, *([node_kind] if node_kind else []))
        self.revision = revision
        if revision is None:
            self.hit, self.hit_params = self.base, self.base_params
        else:
            self.hit, self.hit_params = self.base + " AND i.sha LIKE ?", (
                *self.base_params, revision + "%")

    def answer(self, kind: str, limit: int, offset: int) -> KindAnswer:
        total, hits = self.affected(limit, offset)
        present = total  # without a revision, every product that holds the item is a hit
        unknown_total, unknown, others = 0, [], []
        if self.revision is not None:
            present = self._count(self.base, self.base_params)
            cond = (f"{self.base} AND i.sha IS NULL AND i.product_id NOT IN "
                    f"(SELECT i.product_id FROM items i WHERE {self.hit})")
            params = (*self.base_params, *self.hit_params)
            unknown_total = self._count(cond, params)
            unknown = self._page(cond, params, limit, offset) if unknown_total else []
            if not total:
                others = [str(r[0]) for r in self.store.query(
                    f"SELECT DISTINCT i.sha FROM items i WHERE {self.base} AND i.sha IS NOT "
                    "NULL ORDER BY i.sha LIMIT 10", self.base_params)]
        status = "affected" if total else "unknown" if unknown_total else "not-affected"
        return KindAnswer(kind, status, total, present, unknown_total, tuple(hits),
                          tuple(unknown), tuple(others))

    def affected(self, limit: int, offset: int) -> tuple[int, list[AffectedHit]]:
        hits = self._page(self.hit, self.hit_params, limit, offset)
        if offset == 0 and len(hits) < limit:
            return len(hits), hits
        return self._count(self.hit, self.hit_params), hits

    def _count(self, cond: str, params: Sequence[Any]) -> int:
        rows = self.store.query(
            f"SELECT count(DISTINCT i.product_id) FROM items i WHERE {cond}", params)
        return int(rows[0][0])

    def _page(self, cond: str, params: Sequence[Any], limit: int,
              offset: int) -> list[AffectedHit]:
        """One page of product versions matching ``cond``, each with its paths."""
        # the primary key is (repo, ns, product, version, ...): the page is read in order
        products = self.store.query(
            "SELECT DISTINCT i.product, i.version, i.product_id FROM items i "
            f"WHERE {cond} ORDER BY i.product, i.version, i.product_id LIMIT ? OFFSET ?",
            (*params, limit, offset))
        if not products:
            return []
        first, last = products[0], products[-1]
        # the bounds on product alone repeat what the row bounds say, for PostgreSQL's
        # planner: it cannot estimate a row comparison, guessed thousands of rows for a page
        # of 50 and planned parallel workers (285 ms instead of 0.3 ms under load)
        rows = self.store.query(
            "SELECT i.product_id, i.bom_id, i.sha, i.paths, b.file, b.graph FROM items i "
            f"JOIN boms b ON b.id = i.bom_id WHERE {cond} "
            "AND i.product >= ? AND i.product <= ? "
            "AND (i.product, i.version) >= (?, ?) AND (i.product, i.version) <= (?, ?)",
            (*params, first[0], last[0], first[0], first[1], last[0], last[1]))
        found: dict[int, list[_Row]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(row)
        with _collector_paused(len(rows) > 1000):
            return [self._hit(str(name), str(ver), found.get(pid, ()))
                    for name, ver, pid in products]

    def _hit(self, product: str, version: str, rows: Sequence[_Row]) -> AffectedHit:
        """The hit of one product version from its item rows: paths decoded, not walked."""
        paths: list[AffectedPath] = []
        graphs: dict[int, Any] = {}
        for _, bom_id, sha, stored, file, text in rows:
            graph = graphs.get(bom_id)
            if graph is None:
                graph = graphs[bom_id] = _loads(text)
            paths.extend(AffectedPath(self._steps_of(graph, edge_path), sha, file)
                         for edge_path in _loads(stored))
        if len(paths) == 1 and self.max_paths:  # most products: no diamond, one BOM
            return AffectedHit(product, version, (paths[0].commit,), tuple(paths))
        if len(graphs) > 1:
            paths = list(set(paths))  # the same BOM file stored twice for one version
        ordered = sorted(paths, key=_path_order)
        commits = tuple(dict.fromkeys(p.commit for p in ordered))
        return AffectedHit(product, version, commits, tuple(ordered[:self.max_paths]),
                           max(len(ordered) - self.max_paths, 0))

    def _steps_of(self, graph: Any, edge_path: Sequence[int]) -> tuple[PathStep, ...]:
        """A stored path (edge indices into ``closure.bom_rows``'s graph ``[nodes, edges]``,
        from node 0) as steps; one shared ``PathStep`` per (ref, name, relation) in the
        whole answer, which the JSON writer then encodes once."""
        nodes, edges = graph
        made = self._steps
        steps = []
        node = 0
        for e in edge_path:
            _, parent, relation = edges[e]
            ref, name = nodes[node]
            step = made.get((ref, name, relation))
            if step is None:
                step = made[(ref, name, relation)] = PathStep(ref, name, relation)
            steps.append(step)
            node = parent
        ref, name = nodes[node]
        step = made.get((ref, name, None))
        if step is None:
            step = made[(ref, name, None)] = PathStep(ref, name, None)
        steps.append(step)
        return tuple(steps)


# product id, bom id, sha, paths JSON, file, graph JSON
_Row = tuple[int, int, "str | None", str, str, str]


def _loads(text: str) -> Any:
    """A stored JSON column (written by ``closure.bom_rows``). orjson reads the short
    ``paths`` 7x and a graph 2.5x faster than the json module."""
    return orjson.loads(text)


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """No cyclic garbage collection while a large answer is built: its 100,000s of objects
    are acyclic, and each full collection would walk all of them again (a tenth of the
    decoding time for the foundation in 20,000 products)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _path_order(path: AffectedPath) -> tuple[int, tuple[str, ...], str, str]:
    return (len(path.steps), tuple(s.ref for s in path.steps), path.commit or "", path.bom_file)
