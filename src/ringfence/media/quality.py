"""How good a call sounded, from the numbers its streams report: jitter, loss, round trip.

A call has two legs worth measuring: the browser's WebRTC stream (its ``getStats()``) and the
RTP stream to the carrier (RFC 3550 §6.4.1 interarrival jitter and cumulative loss; the round
trip from RTCP receiver reports when the far end sends them). The call is as good as its worst
leg's worst number. The bounds are the usual rules of thumb for G.711 with packet-loss
concealment: ITU-T G.114 finds one-way delay under 150 ms transparent and past 400 ms
unacceptable (so a round trip under 300 ms is good, past 800 ms poor); loss under 1 % is barely
heard and past 3 % plainly heard (ITU-T G.113 Appendix I); jitter past 30 ms outgrows the usual
jitter buffer, past 60 ms the largest.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class Rating(enum.Enum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


# (good below or at, fair below or at); past the second, poor.
JITTER_MS = (30.0, 60.0)
LOSS_PCT = (1.0, 3.0)
RTT_MS = (300.0, 800.0)
MAX_MS = 60_000.0  # a figure past a minute is a broken report, not a measurement


@dataclass(frozen=True)
class LinkQuality:
    """One leg's figures; None where the leg did not measure it (no RTCP, no packets)."""

    jitter_ms: float | None = None
    loss_pct: float | None = None
    rtt_ms: float | None = None

    @classmethod
    def checked(
        cls, jitter_ms: float | None, loss_pct: float | None, rtt_ms: float | None
    ) -> LinkQuality:
        """The figures as reported, each dropped if it cannot be one (negative, not finite,
        beyond a minute or 100 %): a browser's numbers are its own to send."""

        def fit(value: float | None, top: float) -> float | None:
            if value is None or not math.isfinite(value) or not 0 <= value <= top:
                return None
            return round(float(value), 2)

        return cls(fit(jitter_ms, MAX_MS), fit(loss_pct, 100.0), fit(rtt_ms, MAX_MS))

    @property
    def measured(self) -> bool:
        return any(v is not None for v in (self.jitter_ms, self.loss_pct, self.rtt_ms))

    def rating(self) -> Rating | None:
        """The worst of this leg's figures; None when it measured nothing."""
        grades = [
            _grade(value, bounds)
            for value, bounds in (
                (self.jitter_ms, JITTER_MS),
                (self.loss_pct, LOSS_PCT),
                (self.rtt_ms, RTT_MS),
            )
            if value is not None
        ]
        return max(grades, key=_ORDER.index) if grades else None


_ORDER = [Rating.GOOD, Rating.FAIR, Rating.POOR]


def _grade(value: float, bounds: tuple[float, float]) -> Rating:
    if value <= bounds[0]:
        return Rating.GOOD
    return Rating.FAIR if value <= bounds[1] else Rating.POOR


def overall(*legs: LinkQuality) -> Rating | None:
    """The call's rating: its worst leg's; None when no leg measured anything."""
    ratings = [r for r in (leg.rating() for leg in legs) if r is not None]
    return max(ratings, key=_ORDER.index) if ratings else None
