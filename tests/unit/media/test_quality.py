"""A call is rated by its worst leg's worst figure; figures that cannot be are dropped."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.media.quality import LinkQuality, Rating, overall


@pytest.mark.parametrize(
    ("jitter", "loss", "rtt", "rating"),
    [
        (5.0, 0.0, 40.0, Rating.GOOD),
        (30.0, 1.0, 300.0, Rating.GOOD),  # the bounds are still good
        (45.0, 0.0, 40.0, Rating.FAIR),
        (5.0, 2.0, 40.0, Rating.FAIR),
        (5.0, 0.0, 500.0, Rating.FAIR),
        (61.0, 0.0, 40.0, Rating.POOR),
        (5.0, 3.5, 40.0, Rating.POOR),
        (5.0, 0.0, 900.0, Rating.POOR),
        (None, 0.2, None, Rating.GOOD),  # one figure is enough to rate a leg
    ],
)
def test_a_leg_is_as_good_as_its_worst_figure(
    jitter: float | None, loss: float | None, rtt: float | None, rating: Rating
) -> None:
    assert LinkQuality(jitter, loss, rtt).rating() is rating


def test_the_call_is_as_good_as_its_worst_leg() -> None:
    good, poor = LinkQuality(2.0, 0.0, 20.0), LinkQuality(2.0, 5.0, None)
    assert overall(good, poor) is Rating.POOR
    assert overall(good, LinkQuality()) is Rating.GOOD  # a leg that measured nothing
    assert overall(LinkQuality(), LinkQuality()) is None


def test_impossible_figures_are_dropped() -> None:
    checked = LinkQuality.checked(-1.0, 140.0, math.nan)
    assert checked == LinkQuality() and not checked.measured
    assert LinkQuality.checked(math.inf, 0.123456, 61_000.0) == LinkQuality(None, 0.12, None)


@given(
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_any_report_is_either_kept_within_bounds_or_dropped(
    jitter: float | None, loss: float | None, rtt: float | None
) -> None:
    checked = LinkQuality.checked(jitter, loss, rtt)
    for value, top in (
        (checked.jitter_ms, 60_000),
        (checked.loss_pct, 100),
        (checked.rtt_ms, 60_000),
    ):
        assert value is None or 0 <= value <= top
    assert checked.rating() is None or checked.measured
