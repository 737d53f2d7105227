"""The guide table finds the same block as a binary search, boundaries included."""

from __future__ import annotations

import numpy as np
import pytest

from ringfence.services.numbers.tables import BlockGuide, table_for


def _length_tables() -> list[tuple[str, np.ndarray]]:
    out = []
    for region in ("GB", "US", "DE", "FR", "IN", "BR", "JP"):
        for kind in ("mobile", "fixed_line"):
            for table in table_for(region, kind).lengths:
                if table.cumulative_f is not None and len(table.cumulative_f) > 1:
                    out.append((f"{region}-{kind}-{table.length}", table.cumulative_f))
    return out


@pytest.mark.parametrize(("name", "cumulative"), _length_tables())
def test_same_blocks_as_searchsorted(name: str, cumulative: np.ndarray) -> None:
    rng = np.random.default_rng(5)
    inner = cumulative[:-1]
    uniform = np.concatenate(
        [
            rng.random(50_000),
            inner,  # exactly on a boundary: the next block
            np.nextafter(inner, 0.0),  # just below one: this block
            [0.0, np.nextafter(1.0, 0.0)],
        ]
    )
    expected = np.minimum(np.searchsorted(cumulative, uniform, side="right"), len(cumulative) - 1)
    assert (BlockGuide.of(cumulative).blocks(uniform) == expected).all(), name


def test_blocks_of_uneven_weights() -> None:
    # One huge block among tiny ones: many boundaries fall in one slice of the guide.
    weights = np.array([1e-9] * 50 + [1.0] + [1e-9] * 50)
    cumulative = np.cumsum(weights) / weights.sum()
    cumulative[-1] = 1.0
    uniform = np.concatenate([np.random.default_rng(1).random(10_000), cumulative[:-1]])
    expected = np.minimum(np.searchsorted(cumulative, uniform, side="right"), 100)
    assert (BlockGuide.of(cumulative).blocks(uniform) == expected).all()
