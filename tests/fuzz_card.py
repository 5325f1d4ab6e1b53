"""atheris fuzz target for the card parser: ``parse_card`` then ``card_lineage`` and the
embedded-YAML scan must raise nothing but ``MlbomError``, whatever the bytes.

Run standalone (libFuzzer flags pass through)::

    python tests/fuzz_card.py -max_total_time=60 [corpus_dir]

``tests/test_fuzz_card.py`` runs it for a bounded time in CI. Seeds are cards of the shapes the
Hub holds plus the hostile cases of ``tests/hostile.py``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["lineage", "yaml"]):
    from lineage.errors import MlbomError
    from lineage.parsers.card import card_lineage, extra_front_matter, parse_card
    from lineage.parsers.card_recipes import card_recipes

SEEDS = [
    b"---\nbase_model: org/base\nlicense: mit\n---\n# Card\n",
    b"---\nbase_model:\n- org/a\n- org/b\nbase_model_relation: merge\ndatasets: [org/d]\n---\n",
    b"\xef\xbb\xbf---\r\nlicense: apache-2.0\r\n---\r\n```yaml\nmodels:\n- model: org/a\n```\n",
    b"---\na: &a [1, 2]\nb: [*a, *a]\nbase_model: !!python/object/apply:os.system [x]\n---\n",
    b"---\nmodel-index:\n- results:\n  - dataset: {type: org/eval}\n---\n",
]


def test_one_input(data: bytes) -> None:
    try:
        meta = parse_card(data)
    except MlbomError:
        return
    card_lineage(meta.data)
    card_recipes(meta.body)  # recipes in the body: never raises
    for block in extra_front_matter(meta.body):
        card_lineage(block)


def main(argv: list[str]) -> None:
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
