"""Terminal tables read whole at 80 and 120 columns: no line wider than the terminal, and no
repo id cut mid-word (an id may only wrap after "/" or, when a name is still too long,
after "-" or "_")."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from test_spdx_fixtures import TARGETS, fixture_graph

from sbom.inventory.affected import AffectedHit, AffectedPath, PathStep
from sbom.inventory.hub_descendants import HubDescendant
from sbom.inventory.render import render_affected, render_descendants, render_products
from sbom.inventory.store import BomRecord, ProductRecord
from sbom.review import review_graph
from sbom.review_formats import render_review
from sbom.views.terminal import wrap_lines
from sbom.views.tree import render_tree

WIDTHS = (80, 120)
NC = "contoso/Hybrid-NC-Merge-7B"


def cut_ids(text: str, ids: set[str]) -> list[str]:
    """Pieces of an id cut anywhere but after / - _ : a word that ends a line or a cell (two
    spaces or a line end follow) and is a proper start of an id, or one that begins a line or
    a cell and is a proper end of an id."""
    bad = []
    for m in re.finditer(r"[^\s│]+", text):
        word, before, after = m.group(), text[:m.start()], text[m.end():]
        ends_cell = after.startswith(("  ", "\n")) or not after
        starts_cell = before.endswith(("  ", "\n", "│ ")) or not before
        for rid in ids:
            if word == rid or len(word) < 2:
                continue
            if ends_cell and rid.startswith(word) and word[-1] not in "/-_":
                bad.append(f"{word!r} starts {rid!r}")
            if starts_cell and rid.endswith(word) and rid[-len(word) - 1] not in "/-_":
                bad.append(f"{word!r} ends {rid!r}")
    return bad


def assert_reads_whole(text: str, width: int, ids: set[str]) -> None:
    wide = [ln for ln in text.splitlines() if cell_len(ln.rstrip()) > width]
    assert wide == [], f"lines wider than {width}: {wide[:3]}"
    assert cut_ids(text, ids) == []
    assert any(rid in text for rid in ids)


def test_cut_ids_sees_an_id_broken_mid_word() -> None:
    ids = {"contoso/Mistral-7B-Research-NC"}
    assert cut_ids("contoso/Mistra\nl-7B-Research-NC", ids) != []
    assert cut_ids("contoso/\nMistral-7B-Research-NC", ids) == []
    assert cut_ids("contoso/Mistral-7B-\nResearch-NC", ids) == []


def test_wrap_lines_prefers_slash_then_hyphen_and_keeps_every_character() -> None:
    text = "contoso/Hybrid-NC-Merge-7B: README.md:base_model=contoso/Mistral-7B-Research-NC"
    for width in range(8, 90):
        lines = wrap_lines(text, width)
        assert "".join(lines) == text
        assert all(len(ln.rstrip()) <= width for ln in lines)
    assert wrap_lines("contoso/Mistral-7B-Research-NC", 24) == ["contoso/",
                                                                "Mistral-7B-Research-NC"]
    assert wrap_lines("Mistral-7B-Research-NC", 15) == ["Mistral-7B-", "Research-NC"]


@pytest.mark.skipif(NC not in TARGETS, reason="fixtures/hub is absent")
@pytest.mark.parametrize("width", WIDTHS)
def test_license_review_table(width: int) -> None:
    graph = fixture_graph(NC)
    text = render_review(review_graph(graph, None), "table", width=width)
    ids = {n.name for n in graph.nodes()}
    assert_reads_whole(text, width, ids)
    assert "contoso/Mistral-7B-Research-NC" in text  # whole on one line at least once


@pytest.mark.skipif(not TARGETS, reason="fixtures/hub is absent")
@pytest.mark.parametrize("width", WIDTHS)
def test_tree_of_every_fixture(width: int) -> None:
    for target in TARGETS:
        graph = fixture_graph(target)
        text = render_tree(graph, color=False, width=width)
        assert_reads_whole(text, width, {n.name for n in graph.nodes()})


def _step(name: str, relation: str | None) -> PathStep:
    return PathStep(ref=f"model:{name.lower()}", name=name, relation=relation)


@pytest.mark.parametrize("width", WIDTHS)
def test_affected_inventory_and_descendants_tables(
        width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    chain = ["acme/Customer-Support-Assistant-8B-Instruct", "contoso/Mistral-7B-Research-NC",
             "mistralai/Mistral-7B-Instruct-v0.3", "mistralai/Mistral-7B-v0.3"]
    steps = tuple(_step(n, "finetune" if i < len(chain) - 1 else None)
                  for i, n in enumerate(chain))
    hit = AffectedHit("support-bot-enterprise-edition", "2024.11.3-rc1", ("a" * 40,),
                      (AffectedPath(steps, "a" * 40, "boms/support-bot.cdx.json"),), 2)
    text = render_affected([hit])
    assert_reads_whole(text, width, set(chain))

    bom = BomRecord("boms/support-bot-enterprise-edition.cdx.json", "urn:uuid:1", chain[0],
                    chain[0], "b" * 40, 12)
    text = render_products([ProductRecord("support-bot-enterprise-edition", "2024.11.3-rc1",
                                          "2026-12-01T21:00:00+00:00", (bom,))])
    assert_reads_whole(text, width, {chain[0]})

    desc = [HubDescendant(chain[0], chain[1], "finetune", 2, "c" * 40, 1234),
            HubDescendant(chain[1], chain[3], "merge", 1, None, None)]
    text = render_descendants(chain[3], desc)
    assert_reads_whole(text, width, set(chain))
