"""The Hub's ``/api/models/{id}`` JSON answer → ``RepoSnapshot``, trusting no field's type.

Shared by the Hub client and the offline mirror, whose ``info.json`` files hold that same
answer verbatim. A field of the wrong type is dropped and named in ``problems``.
"""

from __future__ import annotations

from typing import Any

from lineage.graph import FileEntry
from lineage.parsers.safe import check_depth
from lineage.refs import clip, is_commit_sha
from lineage.sources.interface import RepoSnapshot, kept_before_cap

MAX_SIBLINGS = 20_000  # files that are not weights
MAX_WEIGHT_SIBLINGS = 200_000  # weight-like files: all of them, up to this
MAX_TAGS = 2_000


def _opt_str(value: Any, limit: int = 200) -> str | None:
    return clip(value, limit) if isinstance(value, str) else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def snapshot_from_api(data: Any, *, repo_id: str, kind: str = "model",
                      depth_checked: bool = False) -> RepoSnapshot:
    """``depth_checked``: the caller already bounded the nesting (``load_json`` does), so the
    walk over every sibling is not made twice."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return RepoSnapshot(repo_id=repo_id, sha=None, kind=kind,
                            problems=(f"{repo_id}: Hub answer is not a JSON object",))
    if not depth_checked:
        check_depth(data, file=f"{repo_id} metadata")
    sha = _sha(data.get("sha"), repo_id, problems)
    card = _card(data.get("cardData"), repo_id, problems)
    config = data.get("config")
    if config is not None and not isinstance(config, dict):
        problems.append(f"{repo_id}: config is not an object")
        config = None
    tags = _tags(data.get("tags"), repo_id, problems)
    siblings, complete = _siblings(data.get("siblings"), repo_id, problems)
    gated = data.get("gated")
    security = data.get("securityRepoStatus")
    canonical = _opt_str(data.get("id") or data.get("modelId"), 200)
    return RepoSnapshot(
        repo_id=canonical if canonical and canonical.lower() == repo_id.lower() else repo_id,
        sha=sha,
        kind=kind,
        card_data={str(k): v for k, v in card.items()},
        config=config,
        tags=tags,
        siblings=tuple(siblings),
        base_models=_base_models(data.get("baseModels")),
        gated=gated if isinstance(gated, str) else None,
        private=data.get("private") if isinstance(data.get("private"), bool) else None,
        downloads=_opt_int(data.get("downloads")),
        likes=_opt_int(data.get("likes")),
        created_at=_opt_str(data.get("createdAt"), 40),
        last_modified=_opt_str(data.get("lastModified"), 40),
        author=_opt_str(data.get("author"), 100),
        library_name=_opt_str(data.get("library_name"), 80),
        pipeline_tag=_opt_str(data.get("pipeline_tag"), 80),
        security=security if isinstance(security, dict) else None,
        problems=tuple(problems),
        listing_complete=complete,
        raw=data,
    )


def _sha(sha: Any, repo_id: str, problems: list[str]) -> str | None:
    if isinstance(sha, str) and is_commit_sha(sha):
        return sha
    if sha is not None:
        problems.append(f"{repo_id}: commit sha {clip(repr(sha), 60)} is not valid")
    return None


def _card(card: Any, repo_id: str, problems: list[str]) -> dict[str, Any]:
    if card is None:
        return {}
    if not isinstance(card, dict):
        problems.append(f"{repo_id}: card metadata is a {type(card).__name__}, not a mapping")
        return {}
    return card


def _base_models(bm: Any) -> tuple[dict[str, Any] | str, ...]:
    """The Hub's ``baseModels`` field: one record or a list of records or plain ids (the
    shapes ``hub_lineage.base_model_parents`` reads; other items dropped)."""
    if isinstance(bm, dict):
        return (bm,)
    if isinstance(bm, list):
        return tuple(b for b in bm if isinstance(b, (dict, str)))
    return ()


_LINEAGE_TAGS = ("base_model:", "dataset:", "license:")


def _tags(raw: Any, repo_id: str, problems: list[str]) -> tuple[str, ...]:
    """Tags, filtered before they are capped: the lineage tags (``base_model:``,
    ``dataset:``, ``license:``) up to ``MAX_TAGS``, other tags up to ``MAX_TAGS``."""
    if not isinstance(raw, list):
        return ()
    kept: list[str] = []
    counts = {True: 0, False: 0}
    for tag in raw:
        if not isinstance(tag, str):
            continue
        lineage = tag.startswith(_LINEAGE_TAGS)
        counts[lineage] += 1
        if counts[lineage] <= MAX_TAGS:
            kept.append(clip(tag, 300))
    for lineage, n in counts.items():
        if n > MAX_TAGS:
            what = "lineage tags (base_model:, dataset:, license:)" if lineage else "other tags"
            problems.append(f"{repo_id}: {n} {what}; only the first {MAX_TAGS} are kept")
    return tuple(kept)


def _siblings(raw: Any, repo_id: str, problems: list[str]) -> tuple[list[FileEntry], bool]:
    """The file list, filtered by name before it is capped: every weight-like file is kept
    (up to ``MAX_WEIGHT_SIBLINGS``), other files up to ``MAX_SIBLINGS``. Returns the list and
    whether it holds every weight file; each cut is a problem naming the repo."""
    if not isinstance(raw, list):
        return [], True
    out: list[FileEntry] = []
    others = weights = 0
    for s in raw:
        entry = _sibling(s)
        if entry is None:
            continue
        if not kept_before_cap(entry.name):
            others += 1
            if others > MAX_SIBLINGS:
                continue
        else:
            weights += 1
            if weights > MAX_WEIGHT_SIBLINGS:
                continue
        out.append(entry)
    if others > MAX_SIBLINGS:
        problems.append(f"{repo_id}: {others} other files (not weights, metadata or "
                        f"signatures); only the first {MAX_SIBLINGS} are listed (every weight "
                        "and metadata file is)")
    if weights > MAX_WEIGHT_SIBLINGS:
        problems.append(f"{repo_id}: {weights} weight files; only the first "
                        f"{MAX_WEIGHT_SIBLINGS} are listed, so the weights are not fully checked")
    return out, weights <= MAX_WEIGHT_SIBLINGS


def _sibling(s: Any) -> FileEntry | None:
    if not isinstance(s, dict):
        return None
    name = s.get("rfilename")
    if not isinstance(name, str) or not name or len(name) > 1000:
        return None
    lfs = s.get("lfs")
    sha256 = None
    size = _opt_int(s.get("size"))
    if isinstance(lfs, dict):
        digest = lfs.get("sha256")
        if isinstance(digest, str) and len(digest) == 64:
            sha256 = digest.lower()
        size = _opt_int(lfs.get("size")) or size
    return FileEntry(name=name, size=size, sha256=sha256, lfs=isinstance(lfs, dict))
