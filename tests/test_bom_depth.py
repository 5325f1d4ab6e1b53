"""The nesting check that every BOM reader runs before parsing (``bom_reader._check_depth``)
agrees with the real nesting of any JSON, whatever its strings hold (brackets, quotes,
backslashes, escapes)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.errors import InputError
from sbom.bom_reader import MAX_DEPTH, _check_depth

TRICKY = st.text(alphabet='[]{}"\\/nu0aé\n\t', max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@given(value=JSON, extra=st.integers(0, MAX_DEPTH + 2), ascii_only=st.booleans())
def test_the_check_counts_the_real_nesting(value: Any, extra: int, ascii_only: bool) -> None:
    for _ in range(extra):
        value = [value]
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    if _depth(value) > MAX_DEPTH:
        with pytest.raises(InputError, match="deeper than"):
            _check_depth(raw, "BOM")
    else:
        _check_depth(raw, "BOM")
