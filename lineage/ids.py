"""One place for ids: node keys (which double as bom-refs), Hub URLs, purls and SPDXID seeds.

Every writer (CycloneDX, SPDX 2.3, SPDX 3, views) and every reader of node keys (the BOM
reader, the inventory, the Hub index) builds or parses ids here, so two copies of a rule can
never drift apart. Ids are built from a validated ``ModelRef`` (``lineage.refs``): a repo id
that is not a valid Hub id never becomes a purl or a URL.

Two documents ask two different questions of a node, and both rules live here, side by side:

- *which Hub repo does this node name?* (CycloneDX, ``exact=False``): every node with a Hub repo
  id gets a purl and a page URL, also a gated or missing parent, because the id still
  identifies the package a product depends on. The version is the sha when one is known.
- *what exactly was read?* (SPDX, ``exact=True``): only a resolved node gets a purl and a
  download location, and both are pinned to the commit that was read.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from lineage.errors import InvalidIdError
from lineage.refs import ModelRef, is_commit_sha, is_valid_repo_id

if TYPE_CHECKING:
    from lineage.graph import Node

HUB_URL = "https://huggingface.co"
NODE_KINDS = ("model", "dataset", "code")
PURL_TYPE = "huggingface"
_HF_PURL = re.compile(rf"^pkg:{PURL_TYPE}/(?P<path>[^@?#]+)(?:@(?P<version>[^?#]+))?", re.I)
_NOT_A_HUB_REPO = ("local-path", "invalid-id")


# -- node keys (bom-refs) ---------------------------------------------------------------------
def node_key(kind: str, repo_id: str) -> str:
    """``model:<id>``, ``dataset:<id>``, ``code:<id>``: the id lower-cased, as the Hub compares."""
    return f"{kind}:{repo_id.lower()}"


def local_key(raw: str) -> str:
    """A local folder, or a parent declared as a local path: ``local:<as written>``."""
    return f"local:{raw}"


def invalid_key(raw: str) -> str:
    return f"invalid:{raw}"


def cycle_key(repo_id: str) -> str:
    """The stub a declared parent that would close a cycle points at."""
    return f"cycle:{repo_id.lower()}"


def split_node_key(key: str) -> tuple[str, str] | None:
    """``model:org/name`` → ``("model", "org/name")``; ``None`` for other keys (``local:`` ...)."""
    kind, sep, rest = key.partition(":")
    if sep and rest and kind in NODE_KINDS:
        return kind, rest
    return None


def strip_model_key(text: str) -> str:
    """``model:org/name`` → ``org/name``; any other text is returned unchanged."""
    return text[len("model:"):] if text.startswith("model:") else text


def file_ref(key: str, filename: str) -> str:
    """The bom-ref (and SPDXID seed) of a weight file inside the node ``key``."""
    return f"{key}#file:{filename}"


def ancestor_ref(key: str, parent_key: str) -> str:
    return f"{key}#ancestor:{parent_key}"


def model_card_ref(key: str) -> str:
    return f"{key}#model-card"


# -- Hub URLs and purls from a ModelRef -------------------------------------------------------
def hub_url(ref: ModelRef, kind: str = "model", *, pinned: bool = False) -> str:
    """The Hub page of ``ref``; with ``pinned``, at its revision when that is a commit sha."""
    base = f"{HUB_URL}/datasets/{ref.repo_id}" if kind == "dataset" else f"{HUB_URL}/{ref.repo_id}"
    return f"{base}/tree/{ref.revision}" if pinned and ref.pinned else base


def hub_file_url(ref: ModelRef, path: str, *, view: str = "resolve") -> str:
    """A file in the repo at ``ref``'s revision (``main`` when none): ``resolve`` or ``blob``."""
    return f"{HUB_URL}/{ref.repo_id}/{view}/{ref.revision or 'main'}/{path}"


def purl(ref: ModelRef, *, named_revision: str | None = None) -> str:
    """``pkg:huggingface/<namespace>/<name>[@<revision>]``: the one purl rule.

    The purl type takes only a commit hash as version. A revision known only by a branch or
    tag name (``named_revision``: a parent pinned to ``revision: dpo-v0`` and not read) goes
    in the standard ``vcs_url`` qualifier instead, so that two revisions of one repo never
    share a purl."""
    from packageurl import PackageURL

    namespace, _, name = ref.repo_id.rpartition("/")
    qualifiers = {"vcs_url": f"git+{HUB_URL}/{ref.repo_id}@{named_revision}"} \
        if named_revision and not ref.revision else None
    return str(PackageURL(type=PURL_TYPE, namespace=namespace or None, name=name,
                          version=ref.revision or None, qualifiers=qualifiers))


def parse_purl(text: str) -> tuple[str, str | None] | None:
    """``pkg:huggingface/ns/name@ver`` → (``ns/name``, ``ver``); ``None`` for other purls."""
    from urllib.parse import unquote

    m = _HF_PURL.match(text)
    if not m:
        return None
    repo_id = "/".join(unquote(p) for p in m.group("path").strip("/").split("/") if p)
    version = unquote(m.group("version")) if m.group("version") else None
    return (repo_id, version) if repo_id else None


# -- the same, for a graph node ---------------------------------------------------------------
def node_ref(node: Node, *, exact: bool = False) -> ModelRef | None:
    """The Hub repo ``node`` names, with its sha as revision (see the module doc for ``exact``).

    ``None`` for a dataset-less local folder, a local-path or invalid parent, and (``exact``) a
    node that was not resolved. With ``exact`` the revision is kept only when it is a commit.
    """
    if not node.repo_id or not is_valid_repo_id(node.repo_id):
        return None
    if node.unresolved in _NOT_A_HUB_REPO or (exact and not node.resolved):
        return None
    sha = node.sha if node.sha and (not exact or is_commit_sha(node.sha)) else None
    if sha is None and not exact and node.revision and is_commit_sha(node.revision.lower()):
        sha = node.revision.lower()  # pinned to a commit that was not read (offline, gated)
    try:
        return ModelRef(node.repo_id, sha)
    except InvalidIdError:  # a sha read back from a foreign BOM that is no revision
        return ModelRef(node.repo_id)


def node_purl(node: Node, *, exact: bool = False) -> str | None:
    """The purl of a model or code repo on the Hub; datasets have none (no purl type yet)."""
    if node.kind == "dataset":
        return None
    ref = node_ref(node, exact=exact)
    if ref is None:
        return None
    named = node.revision if not exact and node.revision and not ref.revision else None
    return purl(ref, named_revision=named)


def node_hub_url(node: Node, *, exact: bool = False) -> str | None:
    """The node's Hub page: unpinned, or (``exact``) pinned to the commit that was read."""
    ref = node_ref(node, exact=exact)
    return hub_url(ref, node.kind, pinned=exact) if ref is not None else None


# -- SPDX ids ---------------------------------------------------------------------------------
def sanitize_id(text: str, allowed: str = r"A-Za-z0-9.-") -> str:
    """``text`` with every character outside ``allowed`` replaced by ``-`` (runs collapsed)."""
    out = re.sub(rf"[^{allowed}]+", "-", text).strip("-")
    return out or "x"


def spdx_id_seed(key: str, allowed: str = r"A-Za-z0-9.-") -> str:
    """The readable part of an SPDX id for a node key: ``model:org/name`` → ``model-org-name``."""
    return sanitize_id(key[:150], allowed)


class UniqueIds:
    """Deterministic, collision-free ids: the readable base, else the base plus a digest.

    Equal inputs in equal order give equal ids, so equal graphs give equal documents.
    """

    def __init__(self) -> None:
        self.used: dict[str, str] = {}
        self.taken: set[str] = set()  # the ids handed out (a set: 13,000 lookups per export)

    def __call__(self, key: str, base: str, digest_of: str | None = None) -> str:
        if key in self.used:
            return self.used[key]
        ident = base
        if ident in self.taken:
            digest = hashlib.sha256((digest_of or key).encode()).hexdigest()[:10]
            ident = f"{base}-{digest}"
        self.used[key] = ident
        self.taken.add(ident)
        return ident
