"""One repo's lineage facts, from every source of evidence it offers.

Sources, strongest first (the first one that states a relation for a parent decides it):

1. the card's front matter (``base_model``, ``base_model_relation``);
2. ``adapter_config.json`` (adapter);
3. mergekit recipes: ``mergekit_config.yml`` and the recipe in the card body that made this
   model (merge; see ``lineage.parsers.card_recipes``: other recipes in the card describe
   ancestors, and an intermediate's sources become the parents of that local-path parent),
   and ``base_model`` in a second front-matter block the Hub does not read;
4. GGUF header metadata (quantized);
5. the Hub's own records: ``baseModels`` and ``base_model:<relation>:<id>`` tags;
6. ``config.json``: ``quantization_config`` (quantized) and ``_name_or_path`` (a weak hint,
   used only when nothing else names a parent, relation unknown).

The union of parents is kept (real merge cards often list one of three sources) and each
parent's evidence accumulates. When no source states a relation it is inferred: adapter when
an adapter config ships, quantized when GGUF files, a ``quantization_config`` or
``quantized_by`` say so, merge for two or more parents, otherwise finetune.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage.errors import UNREAD_FILE, HubError, MlbomError, ParseError
from lineage.graph import Activity, Evidence, Relation, RemoteCodeInfo
from lineage.hub_lineage import base_model_parents, tag_parents
from lineage.parsers.adapter import parse_adapter_config
from lineage.parsers.card import (
    ParentDecl,
    card_lineage,
    extra_front_matter,
    parse_card,
)
from lineage.parsers.card_recipes import card_recipes
from lineage.parsers.config import ModelConfig, config_from_mapping, parse_config
from lineage.parsers.gguf_header import gguf_parents, gguf_summary, parse_gguf_header
from lineage.parsers.mergekit import parse_mergekit
from lineage.parsers.safe import decode_text
from lineage.refs import ModelRef, ParentValue, clip, decode_parent_value, is_safe_repo_file
from lineage.sources.interface import GGUF_HEADER_BYTES, RepoSnapshot

MERGEKIT_FILES = ("mergekit_config.yml", "mergekit_config.yaml")
# Read by branch name in the same round trip as a repo's metadata, before the sha is known
# (``Source.read_file_early``). ``config.json`` is the read that ends every chain: a foundation
# model names no parent, so its ``_name_or_path`` hint is looked for right after its metadata.
# ``README.md`` is read for mergekit recipes in the card body: read after the metadata it cost
# one more round trip per lineage level (d2w8m at 50 ms: 2.2x D x RTT, 1.5x read early).
READ_EARLY = ("config.json", "README.md")
_REPO_LEVEL_REASONS = frozenset({"gated", "unavailable-for-legal-reasons"})
WEIGHT_SUFFIX_GGUF = ".gguf"

ReadFile = Callable[[str], bytes]
ReadHead = Callable[[str, int], bytes]


@dataclass
class Parent:
    value: ParentValue
    relation: Relation
    evidence: list[Evidence]
    inferred: bool = False  # no source stated the relation
    # a local path's own parents, from the card recipe that made it (an intermediate merge)
    parents: list[Parent] = field(default_factory=list)


@dataclass
class RepoFacts:
    parents: list[Parent] = field(default_factory=list)
    datasets: list[tuple[ParentValue, Evidence]] = field(default_factory=list)
    eval_datasets: list[str] = field(default_factory=list)
    code_repos: list[tuple[ParentValue, Evidence]] = field(default_factory=list)
    remote_code: RemoteCodeInfo = field(default_factory=RemoteCodeInfo)
    relation_declared: str | None = None
    task: str | None = None
    architecture: str | None = None
    library_name: str | None = None
    quantization: str | None = None
    gguf: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None
    activity: Activity = field(default_factory=Activity)
    problems: list[str] = field(default_factory=list)


def _hub_parents(snapshot: RepoSnapshot) -> list[ParentDecl]:
    out: list[ParentDecl] = []
    for found in tag_parents(snapshot.tags) + base_model_parents(snapshot.base_models):
        ev = Evidence(found.source, None, found.field, clip(found.value, 300))
        out.append(ParentDecl(decode_parent_value(found.parent), found.relation, ev))
    return out


def extract_repo_facts(
    snapshot: RepoSnapshot, read_file: ReadFile, read_head: ReadHead
) -> RepoFacts:
    """Gather lineage facts for one repo. File reads go through the callables, so the same
    code serves the Hub, a mirror and a local folder. Unreadable or malformed files become
    problems; they never abort the repo."""
    facts = RepoFacts()
    facts.problems.extend(snapshot.problems)
    names = _readable_names(snapshot, facts.problems)
    read_file, read_head = _file_errors_as_problems(read_file), _head_errors_as_problems(read_head)
    decls: list[tuple[int, ParentDecl]] = []  # (strength, declaration)

    card = card_lineage(snapshot.card_data)
    facts.problems.extend(card.problems)
    facts.relation_declared = card.relation_declared
    decls.extend((1, d) for d in card.parents)
    facts.datasets = card.datasets
    facts.eval_datasets = card.eval_datasets

    has_adapter = "adapter_config.json" in names
    if has_adapter:
        decls.extend((2, d) for d in _adapter_parents(read_file, facts.problems))
    for fname in MERGEKIT_FILES:
        if fname in names:
            decls.extend((3, d) for d in _recipe_file_parents(read_file, fname, snapshot.repo_id,
                                                             facts.problems))
    ggufs = sorted(n for n in names if n.lower().endswith(WEIGHT_SUFFIX_GGUF))
    if "README.md" in names and _card_body_worth_reading(snapshot, has_adapter, ggufs):
        decls.extend((3, d) for d in _card_body_parents(
            read_file, snapshot.repo_id, declared=card.parents, problems=facts.problems))
    if ggufs:
        decls.extend((4, d) for d in _gguf_parents(facts, read_head, ggufs[0]))
    decls.extend((5, d) for d in _hub_parents(snapshot))

    config = _read_config(snapshot, names, read_file, facts.problems, need_hint=not decls)
    name_hint = _apply_config(facts, config, snapshot, names, has_parents=bool(decls))
    if name_hint is not None:
        decls.append((6, name_hint))

    quantized = bool(ggufs or facts.quantization or snapshot.card_data.get("quantized_by"))
    facts.parents = _combine(decls, has_adapter=has_adapter, quantized=quantized,
                             own_id=snapshot.repo_id)
    _describe(facts, snapshot)
    return facts


def _readable_names(snapshot: RepoSnapshot, problems: list[str]) -> set[str]:
    """The repo's file names that stay inside it; the others are one problem, never read."""
    unsafe = sorted(s.name for s in snapshot.siblings if not is_safe_repo_file(s.name))
    if unsafe:
        problems.append(f"{len(unsafe)} file name(s) leave the repo and were not read, "
                        f"e.g. {clip(repr(unsafe[0]), 120)}")
    return {s.name for s in snapshot.siblings if is_safe_repo_file(s.name)}


def _adapter_parents(read_file: ReadFile, problems: list[str]) -> list[ParentDecl]:
    try:
        adapter = parse_adapter_config(read_file("adapter_config.json"))
        problems.extend(adapter.problems)
        decl = adapter.parent()
    except ParseError as exc:
        problems.append(str(exc))
        return []
    return [decl] if decl else []


def _gguf_parents(facts: RepoFacts, read_head: ReadHead, name: str) -> list[ParentDecl]:
    """The GGUF header's parents; its summary goes on ``facts``."""
    try:
        header = parse_gguf_header(read_head(name, GGUF_HEADER_BYTES), file=name)
        facts.gguf = gguf_summary(header.kv)
        found = gguf_parents(header.kv, file=name)
    except ParseError as exc:
        facts.problems.append(str(exc))
        return []
    if header.truncated:
        facts.problems.append(f"{name}: GGUF header longer than the bytes read")
    return list(found)


def _apply_config(facts: RepoFacts, config: ModelConfig | None, snapshot: RepoSnapshot,
                  names: set[str], *, has_parents: bool) -> ParentDecl | None:
    """Put config.json's facts (quantization, remote code, architecture) on ``facts``; return
    its ``_name_or_path`` as the weakest parent hint when nothing else named a parent."""
    code_files = sorted(n for n in names if n.endswith(".py"))[:200]
    if config is None:
        if "custom_code" in snapshot.tags:
            facts.remote_code = RemoteCodeInfo(needed=True, code_files=code_files)
        return None
    facts.quantization = config.quantization
    facts.problems.extend(config.problems)
    facts.remote_code = RemoteCodeInfo(
        needed=config.needs_remote_code or "custom_code" in snapshot.tags,
        local_modules=list(config.local_modules),
        code_files=code_files,
        cross_repo=[f"{repo}--{target}" for repo, target in config.cross_repo],
    )
    for repo, target in config.cross_repo:
        ev = Evidence("config", "config.json", "auto_map", clip(f"{repo}--{target}", 300))
        facts.code_repos.append((decode_parent_value(repo), ev))
    facts.architecture = config.model_type or next(iter(config.architectures), None)
    if has_parents or not config.name_or_path or \
            config.name_or_path.lower() == snapshot.repo_id.lower():
        return None
    ev = Evidence("config", "config.json", "_name_or_path", config.name_or_path)
    return ParentDecl(decode_parent_value(config.name_or_path), Relation.UNKNOWN, ev)


def _describe(facts: RepoFacts, snapshot: RepoSnapshot) -> None:
    """Architecture, task, library and activity, from the metadata and then the card."""
    facts.architecture = facts.architecture or facts.gguf.get("general.architecture")
    facts.task = snapshot.pipeline_tag or _str(snapshot.card_data.get("pipeline_tag"))
    facts.library_name = snapshot.library_name or _str(snapshot.card_data.get("library_name"))
    facts.activity = Activity(
        downloads=snapshot.downloads, likes=snapshot.likes, created_at=snapshot.created_at,
        last_modified=snapshot.last_modified, gated=snapshot.gated, author=snapshot.author,
        private=snapshot.private,
    )


def _file_errors_as_problems(read_file: ReadFile) -> ReadFile:
    """A file the repo lists but the source cannot give (missing from a mirror, 404, retries
    exhausted) is a problem on the node; the repo's metadata was read, so it stays resolved.
    Gated and legal-block answers describe the repo itself and still propagate."""
    def read(name: str) -> bytes:
        try:
            return read_file(name)
        except HubError as exc:
            if exc.reason in _REPO_LEVEL_REASONS:
                raise
            raise ParseError(f"{UNREAD_FILE}: {exc.message}", file=name) from exc
    return read


def _head_errors_as_problems(read_head: ReadHead) -> ReadHead:
    def read(name: str, n_bytes: int) -> bytes:
        try:
            return read_head(name, n_bytes)
        except HubError as exc:
            if exc.reason in _REPO_LEVEL_REASONS:
                raise
            raise ParseError(f"{UNREAD_FILE}: {exc.message}", file=name) from exc
    return read


def planned_reads(snapshot: RepoSnapshot) -> tuple[list[str], list[tuple[str, int]]]:
    """The small files and (file, bytes) heads ``extract_repo_facts`` is expected to read for
    ``snapshot``, judged from the snapshot alone, so a caller can fetch them in parallel
    before extracting. ``config.json`` is listed when the API answer lacks a config or when
    nothing else names a parent (the weak ``_name_or_path`` hint). A guess, never a
    promise: extraction reads whatever it needs either way."""
    names = {s.name for s in snapshot.siblings}
    files: list[str] = []
    heads: list[tuple[str, int]] = []
    if "adapter_config.json" in names:
        files.append("adapter_config.json")
    files.extend(f for f in MERGEKIT_FILES if f in names)
    n_card_parents = len(card_lineage(snapshot.card_data).parents)
    ggufs = sorted(n for n in names if n.lower().endswith(WEIGHT_SUFFIX_GGUF))
    if "README.md" in names and _card_body_worth_reading(
            snapshot, "adapter_config.json" in names, ggufs):
        files.append("README.md")
    if ggufs:
        heads.append((ggufs[0], GGUF_HEADER_BYTES))
    # the card body only may name a parent: the config hint is read alongside it, not after
    sure = [f for f in files if f != "README.md"]
    if "config.json" in names and (snapshot.config is None or not (
            sure or heads or n_card_parents or _hub_parents(snapshot))):
        files.append("config.json")
    return files, heads


def metadata_links(snapshot: RepoSnapshot) -> list[tuple[str, ModelRef]]:
    """``(kind, ref)`` of the repos ``extract_repo_facts`` will link ``snapshot`` to, as far as
    its metadata alone shows: parents from the card and the Hub's records, training datasets,
    and code repos named by the API's config. A caller can start fetching them while the repo's
    own files are still being read. Files may add parents or pin one at a revision, so this is
    a head start, never the final list."""
    card = card_lineage(snapshot.card_data)
    decls = [(1, d) for d in card.parents] + [(5, d) for d in _hub_parents(snapshot)]
    own = snapshot.repo_id.lower()
    links: list[tuple[str, ModelRef]] = []
    for parent in _combine(decls, has_adapter=False, quantized=False, own_id=snapshot.repo_id):
        ref = parent.value.ref
        if ref is not None and ref.repo_id.lower() != own:
            links.append(("model", ref))
    links.extend(("dataset", value.ref) for value, _ in card.datasets if value.ref is not None)
    if isinstance(snapshot.config, dict):
        for repo, _ in config_from_mapping(snapshot.config).cross_repo:
            code = decode_parent_value(repo).ref
            if code is not None:
                links.append(("code", code))
    return links


# Bump when the encoding below changes; edits to the extracting code change the digest anyway.
FACTS_FORMAT = 2
_FACTS_INPUTS = ("extract.py", "refs.py", "graph.py", "errors.py", "sources/apijson.py",
                 "sources/interface.py", "parsers")


@functools.cache
def facts_version() -> str:
    """A digest of the code that computes ``RepoFacts`` from a snapshot and its files. Facts
    cached under it are reused only by this same code: an upgrade or a local edit to a parser
    never reads facts an older extractor wrote."""
    from lineage import __version__

    digest = hashlib.sha256(f"{FACTS_FORMAT}:{__version__}".encode())
    root = Path(__file__).resolve().parent
    try:
        for rel in _FACTS_INPUTS:
            path = root / rel
            for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
                digest.update(file.relative_to(root).as_posix().encode())
                digest.update(file.read_bytes())
    except OSError:  # no sources to read (a frozen install): the version alone
        return f"v{__version__}"
    return digest.hexdigest()[:16]


def facts_to_json(facts: RepoFacts) -> bytes:
    """``RepoFacts`` as JSON, so facts about a repo at a commit sha (immutable inputs) can be
    kept across runs; ``facts_from_json`` gives back an equal value."""
    def value(v: ParentValue) -> list[Any]:
        return [v.raw, v.ref.repo_id if v.ref else None, v.ref.revision if v.ref else None,
                v.reason]

    def evidence(e: Evidence) -> list[Any]:
        return [e.source, e.file, e.field, e.value]

    def parents(ps: list[Parent]) -> list[Any]:
        return [[value(p.value), p.relation.value, [evidence(e) for e in p.evidence],
                 p.inferred, parents(p.parents)] for p in ps]

    rc, act = facts.remote_code, facts.activity
    return json.dumps({
        "format": FACTS_FORMAT,
        "parents": parents(facts.parents),
        "datasets": [[value(v), evidence(e)] for v, e in facts.datasets],
        "eval_datasets": facts.eval_datasets,
        "code_repos": [[value(v), evidence(e)] for v, e in facts.code_repos],
        "remote_code": [rc.needed, rc.local_modules, rc.code_files, rc.cross_repo],
        "strings": [facts.relation_declared, facts.task, facts.architecture, facts.library_name,
                    facts.quantization],
        "gguf": facts.gguf,
        "config": facts.config,
        "activity": [act.downloads, act.likes, act.created_at, act.last_modified, act.gated,
                     act.author, act.private],
        "problems": facts.problems,
    }).encode()


def facts_from_json(data: bytes) -> RepoFacts | None:
    """The facts ``facts_to_json`` wrote, or ``None`` when ``data`` is not such a record."""
    def value(v: list[Any]) -> ParentValue:
        raw, repo_id, revision, reason = v
        return ParentValue(raw, ModelRef(repo_id, revision) if repo_id is not None else None,
                           reason)

    def evidence(e: list[Any]) -> Evidence:
        return Evidence(*e)

    def parents(ps: list[Any]) -> list[Parent]:
        return [Parent(value(v), Relation(rel), [evidence(e) for e in evs], inferred,
                       parents(nested)) for v, rel, evs, inferred, nested in ps]

    try:
        d = json.loads(data)
        if not isinstance(d, dict) or d.get("format") != FACTS_FORMAT:
            return None
        relation_declared, task, architecture, library_name, quantization = d["strings"]
        needed, local_modules, code_files, cross_repo = d["remote_code"]
        return RepoFacts(
            parents=parents(d["parents"]),
            datasets=[(value(v), evidence(e)) for v, e in d["datasets"]],
            eval_datasets=list(d["eval_datasets"]),
            code_repos=[(value(v), evidence(e)) for v, e in d["code_repos"]],
            remote_code=RemoteCodeInfo(needed, local_modules, code_files, cross_repo),
            relation_declared=relation_declared, task=task, architecture=architecture,
            library_name=library_name, quantization=quantization,
            gguf=dict(d["gguf"]), config=d["config"], activity=Activity(*d["activity"]),
            problems=list(d["problems"]),
        )
    except (ValueError, TypeError, KeyError, RecursionError, MlbomError):
        return None


def _str(value: Any) -> str | None:
    return clip(value, 120) if isinstance(value, str) else None


_NOT_MERGE_RELATIONS = frozenset({"adapter", "quantized"})


def _card_body_worth_reading(snapshot: RepoSnapshot, has_adapter: bool, ggufs: list[str]
                             ) -> bool:
    """Whether the card body may hold this model's own recipe (or a second front-matter
    block), whatever the tags say. Not for an adapter, a GGUF or a quantization, whose card's
    recipe (if any) is the original model's: their parent comes from their own files."""
    tags = {t.lower() for t in snapshot.tags}
    if tags & {"merge", "mergekit", "moe"}:
        return True
    card = snapshot.card_data
    relation = card.get("base_model_relation")
    if has_adapter or ggufs or card.get("quantized_by") or (
            isinstance(relation, str) and relation.strip().lower() in _NOT_MERGE_RELATIONS):
        return False
    config = snapshot.config if isinstance(snapshot.config, dict) else {}
    return not config.get("quantization_config")


def _card_body_parents(read_file: ReadFile, repo_id: str, *, declared: list[ParentDecl],
                       problems: list[str]) -> list[ParentDecl]:
    """Parents the card body gives: this model's own mergekit recipe (intermediates nested),
    and, when the front matter names none, ``base_model`` in a further front-matter block."""
    try:
        body = parse_card(read_file("README.md")).body
    except ParseError as exc:
        problems.append(str(exc))
        return []
    found = card_recipes(body, own_name=repo_id.rsplit("/", 1)[-1])
    problems.extend(found.problems)
    out = list(found.parents)
    if out and not _recipe_agrees_with_front_matter(out, declared):
        shown = ", ".join(d.value.display for d in declared[:3])
        problems.append(f"README.md: the card's mergekit recipe names none of the base models "
                        f"its front matter declares ({clip(shown, 200)}); read as another "
                        f"model's recipe, its models were not taken as parents")
        out = []
    if not declared:
        for block in extra_front_matter(body):
            extra = card_lineage(block)
            for decl in extra.parents:
                ev = Evidence("card-extra-front-matter", "README.md", decl.evidence.field,
                              decl.evidence.value)
                out.append(ParentDecl(decl.value, decl.relation, ev))
            if extra.parents:
                problems.append("README.md: base_model is in a second front-matter block, "
                                "which the Hub does not read; kept as a declared parent")
                break
    return out


def _recipe_file_parents(read_file: ReadFile, fname: str, repo_id: str,
                         problems: list[str]) -> list[ParentDecl]:
    """``mergekit_config.yml``: one recipe; or, written by hand as a mergekit-multi file,
    several YAML documents, read like several recipes in a card (the last step is this
    model's, earlier named steps are its intermediates)."""
    try:
        data = read_file(fname)
        recipe = parse_mergekit(data, file=fname)
    except ParseError as exc:
        if "another document" not in str(exc):
            problems.append(str(exc))
            return []
        text, _ = decode_text(data, file=fname)
        found = card_recipes(text, file=fname, own_name=repo_id.rsplit("/", 1)[-1],
                             source="mergekit")
        problems.extend(found.problems)
        return found.parents
    problems.extend(recipe.problems)
    return recipe.parents(file=fname)


def _recipe_agrees_with_front_matter(recipe: list[ParentDecl],
                                     declared: list[ParentDecl]) -> bool:
    """False when the front matter declares Hub parents and the recipe names Hub models but
    none of them (nested included): a card describing how its base model was made (a
    finetune of a merge) must not make the base's parents this model's own."""
    want = {d.value.ref.repo_id.lower() for d in declared if d.value.ref is not None}
    named: set[str] = set()

    def walk(decls: tuple[ParentDecl, ...] | list[ParentDecl]) -> None:
        for d in decls:
            if d.value.ref is not None:
                named.add(d.value.ref.repo_id.lower())
            walk(d.parents)

    walk(recipe)
    return not want or not named or bool(want & named)


def _read_config(snapshot: RepoSnapshot, names: set[str], read_file: ReadFile,
                 problems: list[str], *, need_hint: bool) -> ModelConfig | None:
    """The Hub's ``config`` field when it has one; the file itself when there is none, or
    when the weak ``_name_or_path`` hint (absent from the API answer) may be needed."""
    if "config.json" in names and (snapshot.config is None or need_hint):
        try:
            return parse_config(read_file("config.json"))
        except ParseError as exc:
            problems.append(str(exc))
    if isinstance(snapshot.config, dict):
        return config_from_mapping(snapshot.config)
    return None


_RECIPE_SOURCES = frozenset({"mergekit", "card-mergekit"})


def _merged_at_several_revisions(decls: Iterable[ParentDecl]) -> set[str]:
    """Repos a recipe takes at two or more revisions (a passthrough self-merge of one model at
    two revisions): each revision is a parent of its own."""
    revisions: dict[str, set[str | None]] = {}
    for d in decls:
        if d.value.ref is not None and d.evidence.source in _RECIPE_SOURCES:
            revisions.setdefault(d.value.ref.repo_id.lower(), set()).add(d.value.ref.revision)
    return {repo for repo, revs in revisions.items() if len(revs) > 1}


def _nested_parents(decls: tuple[ParentDecl, ...]) -> list[Parent]:
    """An intermediate's own parents, as the recipe that made it states them (merge)."""
    return [Parent(d.value, d.relation or Relation.MERGE, [d.evidence], False,
                   _nested_parents(d.parents)) for d in decls]


def _combine(decls: list[tuple[int, ParentDecl]], *, has_adapter: bool, quantized: bool,
             own_id: str) -> list[Parent]:
    groups: dict[str, list[tuple[int, ParentDecl]]] = {}
    self_merged = _merged_at_several_revisions(d for _, d in decls)
    for strength, decl in decls:
        key = decl.value.ref.repo_id.lower() if decl.value.ref else f"raw:{decl.value.raw}"
        if key in self_merged:
            key = f"{key}@{decl.value.ref.revision if decl.value.ref else None}"
        groups.setdefault(key, []).append((strength, decl))
    out: list[Parent] = []
    for items in groups.values():
        items.sort(key=lambda x: x[0])
        relation = next((d.relation for _, d in items if d.relation is not None), None)
        # the best value: prefer one carrying a revision (adapter revision, cache-path sha)
        value = next((d.value for _, d in items if d.value.ref and d.value.ref.revision),
                     items[0][1].value)
        evidence: list[Evidence] = []
        for _, d in items:
            if d.evidence not in evidence:
                evidence.append(d.evidence)
        nested = next((d.parents for _, d in items if d.parents), ())
        out.append(Parent(value, relation or Relation.UNKNOWN, evidence, relation is None,
                          _nested_parents(nested)))
    n_parents = len(out)
    for p in out:
        if p.inferred:
            if has_adapter:
                p.relation = Relation.ADAPTER
            elif quantized:
                p.relation = Relation.QUANTIZED
            elif n_parents >= 2:
                p.relation = Relation.MERGE
            else:
                p.relation = Relation.FINETUNE
    if any(p.relation is Relation.MERGE for p in out):
        for p in out:  # a merge recipe names every source; unstated ones are merge sources too
            if p.inferred:
                p.relation = Relation.MERGE
    own = own_id.lower()
    return sorted(out, key=lambda p: (p.value.ref is None, p.value.display.lower() == own,
                                      p.value.display.lower()))
