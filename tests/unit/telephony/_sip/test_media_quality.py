"""The RTP leg's figures: jitter from RFC 3550 timestamp units, the share lost, and the round
trip from a receiver report's LSR and DLSR (RFC 3550 §6.4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiortp.clock import current_ntp_time

from ringfence.telephony._sip import Media


@dataclass
class Session:
    stats: dict[str, Any] = field(default_factory=dict)
    on_receiver_report: Any = None


@dataclass
class Report:
    lsr: int
    dlsr: int


def test_jitter_and_loss_from_the_streams_statistics() -> None:
    session = Session({"packets_received": 198, "packets_lost": 2, "jitter": 80})
    quality = Media(session, 20000, 0).quality()
    assert quality.jitter_ms == 10.0  # 80 units of an 8 kHz clock
    assert quality.loss_pct == 1.0 and quality.rtt_ms is None  # no report yet


def test_nothing_received_measures_nothing() -> None:
    assert not Media(Session({"packets_sent": 5}), 20000, 0).quality().measured


def test_the_round_trip_from_a_receiver_report() -> None:
    session = Session({"packets_received": 10, "packets_lost": 0, "jitter": 0})
    media = Media(session, 20000, 0)
    middle = (current_ntp_time() >> 16) & 0xFFFFFFFF  # now, in 1/65536 s
    # Our sender report left 80 ms ago; the far end held it 30 ms: 50 ms on the wire.
    session.on_receiver_report(Report(lsr=middle - int(0.080 * 65536), dlsr=int(0.030 * 65536)))
    rtt = media.quality().rtt_ms
    # 50 ms, and whatever this test took between the two clock readings (on a busy machine).
    assert rtt is not None and 49 <= rtt < 1000
    session.on_receiver_report(Report(lsr=0, dlsr=0))  # before any sender report of ours
    assert media.quality().rtt_ms == rtt
