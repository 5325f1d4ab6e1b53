"""mergekit recipes pasted into a model card's body, and which of them made this model.

Real cards paste recipes in ``` or ```yaml fences (sometimes indented inside a list, sometimes
two YAML documents in one fence, sometimes two recipes run together), and often more than
one: "step 1 merged A and B into X; step 2 merged X and C". Only the recipe whose output is
this model gives its parents. Another recipe is an *intermediate* when a source of a later
recipe names its output: by mergekit-multi's ``name:``, by a comment on its first line, or by
the text just above its fence ("The Orca2flat model uses ..." names ``output/Orca2flat``).
That source becomes an unresolved local-path parent carrying the intermediate recipe's sources
as its own parents, never flattened into this model's parents.

The recipe nobody consumes is this model's; when several remain, the one whose label names
this model, else the last one. Every other recipe is reported on a problem line and adds no
parent. A recipe under an "Original model card" heading describes the original, not this repo,
and is not read.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from lineage.errors import ParseError
from lineage.parsers.card import ParentDecl
from lineage.parsers.mergekit import (
    MergeRecipe,
    decode_source,
    is_mergekit_recipe,
    recipe_from_mapping,
)
from lineage.parsers.safe import load_yaml
from lineage.refs import clip

MAX_BLOCKS = 40  # fenced blocks looked at per card
MAX_RECIPES = 20
MAX_BODY_AS_RECIPE = 64 * 1024  # an unfenced body is tried as one recipe up to this size
LABEL_LINES = 3  # non-empty lines above a fence that may name the recipe's output
LABEL_CHARS = 600
MAX_LINKED_SOURCES = 200  # sources per recipe looked up among the other recipes' outputs

_OPEN = re.compile(r"^(?P<indent>[ \t]{0,8})(?P<mark>```|~~~)[^`]*$")
_ORIGINAL_CARD = re.compile(r"^#{1,6}[ \t]*(?:[^\n]*\W)?original model card\b", re.I | re.M)
_LOOSE_METHOD = re.compile(r"^[ \t]*merge_method[ \t]*:[ \t]*[A-Za-z_]")
_LOOSE_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?[A-Za-z_][\w.-]*[ \t]*:")
_LOOSE_REF = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(model|base_model|source_model)[ \t]*:[ \t]*[\"']?([^\s\"'#]+)")
MAX_LOOSE_LINES = 2000
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:")
_DOC_SEPARATOR = re.compile(r"^---[ \t]*$", re.M)


@dataclass
class _Found:
    recipe: MergeRecipe
    label: str  # text that may name this recipe's output
    number: int  # 1-based, in card order


@dataclass
class CardRecipes:
    parents: list[ParentDecl] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    recipes_found: int = 0


def card_recipes(body: str, *, file: str = "README.md", own_name: str | None = None,
                 source: str = "card-mergekit") -> CardRecipes:
    """The parents this model's own recipe in ``body`` gives, with intermediates nested.
    ``source`` names the evidence (``mergekit`` for a recipe file of several documents)."""
    out = CardRecipes()
    found = _find_recipes(_before_original_card(body), file, out.problems)
    out.recipes_found = len(found)
    if not found:
        return out
    links = _link_intermediates(found)
    consumed = {i for targets in links.values() for i in targets.values()}
    final = _choose_final(found, consumed, own_name)
    out.parents = _parents_of(final, found, links, file, source, set())
    out.problems.extend(found[final].recipe.problems)
    for i, other in enumerate(found):
        if i != final and i not in consumed:
            out.problems.append(_not_read_line(other, len(found), file))
    return out


def _before_original_card(body: str) -> str:
    """The body up to an "Original model card" heading (a quantizer's copy of the original)."""
    match = _ORIGINAL_CARD.search(body)
    return body[:match.start()] if match else body


def _find_recipes(body: str, file: str, problems: list[str]) -> list[_Found]:
    found: list[_Found] = []
    fences = _fences(body)
    previous_end = 0
    for start, end, text in fences:
        label_above = _label_above(body[previous_end:start])
        previous_end = end
        for k, doc in enumerate(_documents(text)[:MAX_RECIPES + 1]):
            recipe = _recipe(doc, file)
            if recipe is None:
                continue
            label = " ".join(filter(None, [recipe.name or "", _first_comment(doc),
                                           label_above if k == 0 else ""]))
            found.append(_Found(recipe, label, len(found) + 1))
        if len(found) > MAX_RECIPES:
            break
    if not fences and len(body) <= MAX_BODY_AS_RECIPE:  # a body that is itself a recipe
        for doc in _documents(body)[:MAX_RECIPES + 1]:  # or several (mergekit-multi)
            recipe = _recipe(doc, file)
            if recipe is not None:
                label = " ".join(filter(None, [recipe.name or "", _first_comment(doc)]))
                found.append(_Found(recipe, label, len(found) + 1))
    if not found:
        loose = _loose_recipe(_outside(body, fences), file)
        if loose is not None:
            found.append(_Found(loose, "", 1))
    if len(found) > MAX_RECIPES:
        problems.append(f"{file}: more than {MAX_RECIPES} mergekit recipes; kept the first "
                        f"{MAX_RECIPES}")
    return found[:MAX_RECIPES]


def _fences(body: str) -> list[tuple[int, int, str]]:
    """``(start, end, dedented text)`` of each fenced block, in one pass over the lines (a
    regex would rescan the rest of the card for every unclosed fence)."""
    out: list[tuple[int, int, str]] = []
    offset = 0
    opened: tuple[int, str, str, list[str]] | None = None  # start, mark, indent, lines
    for line in body.split("\n"):
        stripped = line.strip()
        if opened is None:
            m = _OPEN.match(line)
            if m:
                opened = (offset, m.group("mark"), m.group("indent"), [])
        elif stripped == opened[1] and len(line) - len(line.lstrip()) <= 8:
            start, _, indent, lines = opened
            out.append((start, offset + len(line), _dedent("\n".join(lines), indent)))
            opened = None
            if len(out) >= MAX_BLOCKS:
                break
        else:
            opened[3].append(line)
        offset += len(line) + 1
    return out


def _outside(body: str, fences: list[tuple[int, int, str]]) -> str:
    """``body`` with every fenced block blanked (line numbers kept)."""
    parts, last = [], 0
    for start, end, _ in fences:
        parts.append(body[last:start])
        parts.append("\n" * body.count("\n", start, end))
        last = end
    parts.append(body[last:])
    return "".join(parts)


def _loose_recipe(text: str, file: str) -> MergeRecipe | None:
    """A recipe typed into the card as text, outside any code block: a ``merge_method:``
    line and, in the run of ``key: value`` lines around it, the ``model:``, ``base_model:``
    and ``source_model:`` values. Read line by line (such text is rarely valid YAML), and only
    when the card has no recipe in a code block; a problem line says so."""
    lines = text.split("\n")
    anchors = [i for i, line in enumerate(lines) if _LOOSE_METHOD.match(line)][:MAX_RECIPES]
    if not anchors:
        return None
    region: set[int] = set()
    for anchor in anchors:
        for step in (-1, 1):
            i = anchor
            while 0 <= i < len(lines) and (not lines[i].strip() or _LOOSE_LINE.match(lines[i])):
                region.add(i)
                i += step
    recipe = MergeRecipe(merge_method=clip(lines[anchors[0]].partition(":")[2].strip(), 60))
    for i in sorted(region)[:MAX_LOOSE_LINES]:
        ref = _LOOSE_REF.match(lines[i])
        if ref is None:
            continue
        key, value = ref.group(1), ref.group(2)
        if key == "base_model" and recipe.base_model is None:
            recipe.base_model = value
        else:
            recipe.sources.append((value, f"line {i + 1} {key}"))
    if not recipe.sources and recipe.base_model is None:
        return None
    recipe.problems.append(f"{file}: a mergekit recipe typed outside any code block (line "
                           f"{anchors[0] + 1}) was read line by line")
    return recipe


def _dedent(text: str, indent: str) -> str:
    if not indent:
        return text
    return "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip()
                     for line in text.split("\n"))


def _label_above(text: str) -> str:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return clip(" ".join(lines[-LABEL_LINES:]), LABEL_CHARS)


def _documents(text: str) -> list[str]:
    """YAML documents in a block: split at ``---`` lines, and where a recipe was pasted after
    another with no separator (a blank line, then a top-level key the chunk already has)."""
    docs: list[str] = []
    for part in _DOC_SEPARATOR.split(text):
        chunk: list[str] = []
        keys: set[str] = set()
        for line in part.split("\n"):
            key = _TOP_KEY.match(line)
            if key and key.group(1) in keys and chunk and not chunk[-1].strip():
                docs.append("\n".join(chunk))
                chunk, keys = [], set()
            if key:
                keys.add(key.group(1))
            chunk.append(line)
        docs.append("\n".join(chunk))
    return [d for d in docs if d.strip()]


def _recipe(doc: str, file: str) -> MergeRecipe | None:
    try:
        value, _ = load_yaml(doc, file=file)
    except ParseError:
        return None  # a code block that is not YAML is not a problem
    if not is_mergekit_recipe(value):
        return None
    assert isinstance(value, dict)
    return recipe_from_mapping(value, file=file)


def _first_comment(doc: str) -> str:
    """Comments on the document's first lines: ``# step1`` or ``models: # step1``."""
    out = []
    for line in doc.split("\n")[:3]:
        _, hash_, comment = line.partition("#")
        if hash_ and comment.strip():
            out.append(comment.strip())
    return " ".join(out)


def _basename(raw: str) -> str:
    name = raw.strip().strip("\"'").rstrip("/\\")
    name = re.split(r"[/\\]", name)[-1]
    return name.partition("@")[0].partition("+")[0]


def _names(label: str, name: str) -> bool:
    if len(name) < 3:
        return False
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", label, re.I) is not None


def _link_intermediates(found: list[_Found]) -> dict[int, dict[str, int]]:
    """For each recipe, which of its local sources name another recipe's output."""
    links: dict[int, dict[str, int]] = {}
    for j, user in enumerate(found):
        named = user.recipe.sources[:MAX_LINKED_SOURCES] + (
            [(user.recipe.base_model, "")] if user.recipe.base_model else [])
        for raw, _ in named:
            if decode_source(raw).ref is not None:
                continue  # a Hub id: the Hub tells its lineage
            name = _basename(raw)
            makers = [i for i, f in enumerate(found) if i != j and _names(f.label, name)]
            if makers:  # the nearest recipe above, else the first below
                above = [i for i in makers if i < j]
                links.setdefault(j, {})[raw] = above[-1] if above else makers[0]
    return links


def _choose_final(found: list[_Found], consumed: set[int], own_name: str | None) -> int:
    candidates = [i for i in range(len(found)) if i not in consumed] or [len(found) - 1]
    if own_name:
        named = [i for i in candidates if _names(found[i].label, own_name)]
        if len(named) == 1:
            return named[0]
    return candidates[-1]


def _parents_of(index: int, found: list[_Found], links: dict[int, dict[str, int]], file: str,
                source: str, visiting: set[int]) -> list[ParentDecl]:
    visiting = visiting | {index}
    decls = found[index].recipe.parents(source=source, file=file)
    own_links = links.get(index, {})
    out = []
    for decl in decls:
        maker = own_links.get(decl.value.raw)
        if decl.value.ref is None and maker is not None and maker not in visiting:
            nested = _parents_of(maker, found, links, file, source, visiting)
            decl = dataclasses.replace(decl, parents=tuple(nested))
        out.append(decl)
    return out


def _not_read_line(other: _Found, total: int, file: str) -> str:
    names = [raw for raw, _ in other.recipe.sources] + (
        [other.recipe.base_model] if other.recipe.base_model else [])
    unique = list(dict.fromkeys(names))
    shown = ", ".join(clip(n, 80) for n in unique[:4]) + (", …" if len(unique) > 4 else "")
    return (f"{file}: mergekit recipe {other.number} of {total} (merging {shown}) is not this "
            f"model's own and no source of it names its output; its models were not taken "
            f"as parents")
