"""Public Hub models that derive from a model: the Hub's model tree, walked level by level.

The Hub records only each model's direct bases, as tags ``base_model:<id>`` and
``base_model:<relation>:<id>``. ``hub_descendants`` asks ``list_models(filter="base_model:X")``
for the models directly on X, then for theirs, breadth first, with a bounded number of
requests in flight. Each model is reported once, at the smallest depth it was reached, with
the parent and relation it was reached through (``unknown`` when the Hub states none).
Results are in walk order: by depth, then by parent, then by id (case-insensitive), so equal
Hubs give equal lists. ``limit`` caps the number of models returned and requested; which
models of the last level make the cut follows the Hub's listing order.

``DescendantsFinder`` is the one interface for "what derives from X on the Hub", with two
answers: ``LiveHubDescendants`` (this walk) and ``IndexDescendants`` (the local index).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lineage.errors import HubError
from lineage.hub_lineage import relation_from_tags
from lineage.refs import ModelRef
from lineage.sources.hub_client import HubClient

DEFAULT_MAX_DEPTH = 16
DEFAULT_WORKERS = 4
_EXPAND = ("baseModels", "tags", "sha", "downloads")


@dataclass(frozen=True)
class HubDescendant:
    repo_id: str
    parent: str  # the model one level up through which this one was reached
    relation: str  # adapter, finetune, quantized, merge or unknown
    depth: int  # 1 for a model directly on the queried model
    sha: str | None = None
    downloads: int | None = None


@dataclass
class DescendantsWalk:
    """What a walk found, and why it stopped short of the whole tree (``None``: it did not).
    A cut list is never presented as complete: it is the list of a model's descendants a
    responder reads to decide whether they are affected."""

    found: list[HubDescendant]
    cut: str | None = None


def hub_descendants(
    model_id: str,
    endpoint: str | None = None,
    limit: int | None = None,
    progress: bool = False,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    workers: int = DEFAULT_WORKERS,
    token: str | None = None,
    client: HubClient | None = None,
) -> list[HubDescendant]:
    """Models deriving from ``model_id`` on the Hub at ``endpoint`` (see the module doc).

    ``progress`` shows a live display on stderr when stderr is a terminal. Listings go
    through mlbom's one Hub client (``client``, else one for ``endpoint``). Raises
    ``InvalidIdError`` for a bad id and ``HubError`` when the Hub cannot answer.
    ``walk_hub_descendants`` also says where the walk was cut.
    """
    return walk_hub_descendants(model_id, endpoint, limit, progress, max_depth=max_depth,
                                workers=workers, token=token, client=client).found


def walk_hub_descendants(
    model_id: str,
    endpoint: str | None = None,
    limit: int | None = None,
    progress: bool = False,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    workers: int = DEFAULT_WORKERS,
    token: str | None = None,
    client: HubClient | None = None,
) -> DescendantsWalk:
    """``hub_descendants`` with the reason the walk stopped early: ``limit`` reached (more
    may exist), ``max_depth`` reached with a level still to list, or the client's run
    deadline passed (the level it was listing is dropped whole)."""
    from lineage.sources.hub import resolve_endpoint

    root = ModelRef.parse(model_id).repo_id
    if limit is not None and limit < 1:
        return DescendantsWalk([])
    client = client or HubClient(resolve_endpoint(endpoint), token)
    found: list[HubDescendant] = []
    seen = {root.lower()}
    level = [root]
    depth = 0
    with _Progress(progress, root) as bar, ThreadPoolExecutor(max_workers=workers) as pool:
        while level and depth < max_depth and (limit is None or len(found) < limit):
            depth += 1
            remaining = None if limit is None else limit - len(found)
            bar.update(depth, len(found), len(level))

            def children(parent: str, remaining: int | None = remaining) -> list[Any]:
                return list(client.list_models(filter=f"base_model:{parent}", expand=_EXPAND,
                                               limit=remaining, subject=parent))

            try:
                listings = list(pool.map(children, level))
            except KeyboardInterrupt:  # Ctrl-C: end the listings in flight, or the pool's
                client.cancel()        # shutdown waits for them (their retries included)
                raise
            except HubError:
                if not client.deadline_passed():
                    raise
                return DescendantsWalk(found, f"the --deadline was reached while listing "
                                              f"depth {depth}: depths {depth} and beyond are "
                                              "not listed")
            next_level: list[str] = []
            for parent, models in zip(level, listings, strict=True):
                for info in sorted(models, key=lambda m: str(m.get("id")).lower()):
                    child = _descendant(info, parent, depth)
                    if child is None or child.repo_id.lower() in seen:
                        continue
                    seen.add(child.repo_id.lower())
                    found.append(child)
                    next_level.append(child.repo_id)
                    bar.update(depth, len(found), len(level))
            level = next_level
    if limit is not None and len(found) >= limit:
        return DescendantsWalk(found[:limit], f"stopped at --limit {limit}: more may exist")
    if level and depth >= max_depth:
        return DescendantsWalk(found, f"stopped at depth {max_depth}: deeper descendants are "
                                      "not listed")
    return DescendantsWalk(found)


def _descendant(info: dict[str, Any], parent: str, depth: int) -> HubDescendant | None:
    repo_id = info.get("id")
    if not isinstance(repo_id, str):
        return None
    tags = info.get("tags")
    sha, downloads = info.get("sha"), info.get("downloads")
    return HubDescendant(
        repo_id=repo_id, parent=parent,
        relation=relation_from_tags(tags if isinstance(tags, list) else (), parent).value,
        depth=depth, sha=sha if isinstance(sha, str) else None,
        downloads=downloads if isinstance(downloads, int) else None)


# -- one interface, two answers ---------------------------------------------------------------
class DescendantsFinder(ABC):
    """"What derives from X on the Hub", answered live or from the local index. The two
    answers keep their own printed forms (the index knows no sha or downloads). After
    ``find``, ``cut`` says why the answer is not the whole tree (``None``: it is)."""

    cut: str | None = None

    @abstractmethod
    def find(self, model_id: str, limit: int) -> Sequence[Any]:
        """The descendants of ``model_id``, nearest first, at most ``limit``."""

    @abstractmethod
    def render(self, model_id: str, found: Sequence[Any], fmt: str) -> str:
        """``found`` as text (``table``/``json``, and ``markdown`` live)."""


class LiveHubDescendants(DescendantsFinder):
    """Walk the Hub's listing level by level (``hub_descendants``)."""

    def __init__(self, client: HubClient, *, progress: bool = False,
                 must_exist: bool = False) -> None:
        self.client = client
        self.progress = progress
        self.must_exist = must_exist

    def find(self, model_id: str, limit: int) -> Sequence[Any]:
        walk = walk_hub_descendants(model_id, self.client.endpoint, limit, self.progress,
                                    client=self.client)
        self.cut = walk.cut
        if not walk.found and walk.cut is None and self.must_exist:
            self._check_exists(ModelRef.parse(model_id).repo_id)
        return walk.found

    def _check_exists(self, repo_id: str) -> None:
        """No descendant is an answer only for a model the Hub has: for a typo the tag filter
        matches nothing too, and "0 models derive from it" would be a false all-clear. A
        model deleted from the Hub keeps the descendants that name it, so this is asked only
        when there are none."""
        from lineage.errors import InputError
        from lineage.sources.interface import MAX_INFO_BYTES

        try:
            self.client.get_json(f"{self.client.endpoint}/api/models/{repo_id}", repo_id,
                                 what=f"{repo_id} metadata", max_bytes=MAX_INFO_BYTES,
                                 params={"expand": "sha"})
        except HubError as exc:
            if exc.reason != "not-found":
                raise
            raise InputError(f"{repo_id} is not a model on the Hub at {self.client.endpoint} "
                             "and no public model names it as a base: check the id (a typo?)"
                             ) from exc

    def render(self, model_id: str, found: Sequence[Any], fmt: str) -> str:
        from sbom.inventory.render import render_descendants

        return render_descendants(model_id, list(found), fmt, cut=self.cut)


class IndexDescendants(DescendantsFinder):
    """Read the local Hub-wide index (``mlbom index build``)."""

    def __init__(self, db: str | None) -> None:
        self.db = db

    def find(self, model_id: str, limit: int) -> Sequence[Any]:
        from lineage.hubindex import descendants, index_gap

        found = descendants(self.db, model_id)
        self.cut = f"stopped at --limit {limit}: {len(found)} in the index" \
            if len(found) > limit else index_gap(self.db)
        return found[:limit]

    def render(self, model_id: str, found: Sequence[Any], fmt: str) -> str:
        from sbom.views.index_hits import render_hits

        return render_hits(list(found), model_id=model_id, direction="descendants",
                           fmt="json" if fmt == "json" else "table", cut=self.cut)


def descendants_finder(*, use_index: bool, db: str | None, endpoint: str | None,
                       token: str | None, run_deadline: float | None = None,
                       must_exist: bool = False) -> DescendantsFinder:
    """``run_deadline`` (a ``time.monotonic()`` value, from ``--deadline``) bounds every
    listing request of the live walk; ``must_exist``: a model with no descendants must be on
    the Hub (``InputError`` otherwise: a typo is not an all-clear)."""
    if use_index:
        return IndexDescendants(db)
    from lineage.sources.hub import resolve_endpoint

    return LiveHubDescendants(HubClient(resolve_endpoint(endpoint), token,
                                        run_deadline=run_deadline),
                              progress=sys.stderr.isatty(), must_exist=must_exist)


class _Progress:
    """A rich status line on stderr; a no-op when disabled or stderr is not a terminal."""

    def __init__(self, enabled: bool, root: str) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.root = root
        self._progress: Any = None
        self._task: Any = None
        self.update: Callable[[int, int, int], None] = self._update

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(f"descendants of {self.root}")
        return self

    def _update(self, depth: int, found: int, parents: int) -> None:
        if self._progress is not None:
            self._progress.update(
                self._task,
                description=f"descendants of {self.root}: depth {depth}, "
                f"{found} found, {parents} parents at this level",
            )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
