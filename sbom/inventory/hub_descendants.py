"""Public Hub models that derive from a model: the Hub's model tree, walked level by level.

The Hub records only each model's direct bases, as tags ``base_model:<id>`` and
``base_model:<relation>:<id>``. ``hub_descendants`` asks ``list_models(filter="base_model:X")``
for the models directly on X, then for theirs, breadth first, with a bounded number of
requests in flight. Each model is reported once, at the smallest depth it was reached, with
the parent and relation it was reached through (``unknown`` when the Hub states none).
Results are in walk order: by depth, then by parent, then by id (case-insensitive), so equal
Hubs give equal lists. ``limit`` caps the number of models returned and requested; which
models of the last level make the cut follows the Hub's listing order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lineage.errors import HubError
from lineage.refs import ModelRef

RELATIONS = ("adapter", "finetune", "quantized", "merge")
DEFAULT_MAX_DEPTH = 16
DEFAULT_WORKERS = 4


@dataclass(frozen=True)
class HubDescendant:
    repo_id: str
    parent: str  # the model one level up through which this one was reached
    relation: str  # adapter, finetune, quantized, merge or unknown
    depth: int  # 1 for a model directly on the queried model
    sha: str | None = None
    downloads: int | None = None


def relation_from_tags(tags: Iterable[str], parent: str) -> str:
    """The relation a model's ``base_model:<relation>:<parent>`` tag states, else unknown."""
    wanted = parent.lower()
    for tag in tags:
        parts = tag.split(":", 2)
        if (len(parts) == 3 and parts[0] == "base_model" and parts[2].lower() == wanted
                and parts[1] in RELATIONS):
            return parts[1]
    return "unknown"


def hub_descendants(
    model_id: str,
    endpoint: str | None = None,
    limit: int | None = None,
    progress: bool = False,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    workers: int = DEFAULT_WORKERS,
    token: str | bool | None = None,
) -> list[HubDescendant]:
    """Models deriving from ``model_id`` on the Hub at ``endpoint`` (see the module doc).

    ``progress`` shows a live display on stderr when stderr is a terminal. Raises
    ``InvalidIdError`` for a bad id and ``HubError`` when the Hub cannot answer.
    """
    from huggingface_hub import HfApi

    root = ModelRef.parse(model_id).repo_id
    if limit is not None and limit < 1:
        return []
    api = HfApi(endpoint=endpoint, token=token)
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
                return _list_children(api, parent, remaining)

            next_level: list[str] = []
            for parent, models in zip(level, pool.map(children, level), strict=True):
                for info in sorted(models, key=lambda m: str(m.id).lower()):
                    repo_id = str(info.id)
                    if repo_id.lower() in seen:
                        continue
                    seen.add(repo_id.lower())
                    found.append(HubDescendant(
                        repo_id=repo_id,
                        parent=parent,
                        relation=relation_from_tags(info.tags or (), parent),
                        depth=depth,
                        sha=getattr(info, "sha", None),
                        downloads=getattr(info, "downloads", None),
                    ))
                    next_level.append(repo_id)
                    bar.update(depth, len(found), len(level))
            level = next_level
    return found if limit is None else found[:limit]


def _list_children(api: Any, parent: str, limit: int | None) -> list[Any]:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return list(api.list_models(
            filter=f"base_model:{parent}",
            expand=["baseModels", "tags", "sha", "downloads"],
            limit=limit,
        ))
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        raise HubError(
            f"listing models derived from it failed (HTTP {status})", subject=parent
        ) from exc
    except Exception as exc:
        # Transport failures (refused, reset, timeout) come from the client's HTTP library.
        if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "requests", "urllib3"):
            raise HubError(
                f"the Hub is unreachable: {exc}", subject=parent, reason="offline"
            ) from exc
        raise


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
