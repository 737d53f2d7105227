"""RTP streams of a call, the SDP offer we make, and DTMF carried in SIP INFO bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiortp.clock import current_ntp_time
from aiosipua import (
    Codec,
    build_sdp,
)

from ringfence.media.quality import LinkQuality

SUPPORTED_PAYLOADS = [0, 8]  # PCMU, PCMA
CODEC_NAMES = {0: "PCMU", 8: "PCMA"}
DTMF_PT = 101


class Media:
    """One call's RTP stream: ``send`` a 20 ms PCM frame; frames and digits arrive by callback.

    Closing it closes its sockets; the port stays the call's leg's until the leg releases it."""

    def __init__(
        self,
        session: Any,
        port: int,
        pt: int,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self._session = session
        self._port = port
        self._on_close = on_close
        self.payload_type = pt
        self.codec = CODEC_NAMES.get(pt, str(pt))
        self._closed = False
        self._last_dtmf: int | None = None
        self._rtt: float | None = None  # seconds, from the far end's last RTCP report on us
        session.on_receiver_report = self._on_receiver_report

    def on_audio(self, callback: Callable[[bytes], None]) -> None:
        self._session.on_audio = lambda pcm, _ts: callback(pcm)

    def on_dtmf(self, callback: Callable[[str], None]) -> None:
        self._session.on_dtmf = lambda digit, _duration: callback(digit)

    def send(self, frame: bytes) -> None:
        if not self._closed:
            self._session.send_audio_pcm_auto(frame)

    def send_dtmf(self, digit: str, duration_ms: int = 160) -> None:
        if self._closed:
            return
        # aiortp stamps every event with timestamp 0 unless told otherwise, so a receiver takes a
        # second digit for a repeat of the first (RFC 4733 §2.5.1.1: the timestamp identifies
        # the event). Stamp each event with the stream's current media timestamp.
        # Two digits sent within one 20 ms frame would share it: keep each event's own.
        sender = getattr(self._session, "_sender", None)
        now = sender.current_timestamp if sender is not None else 0
        stamp = now if self._last_dtmf is None else max(now, self._last_dtmf + duration_ms * 8)
        self._last_dtmf = stamp
        self._session.send_dtmf(digit, duration_ms, timestamp=stamp & 0xFFFFFFFF)

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self._session.stats)

    def _on_receiver_report(self, report: Any) -> None:
        """RFC 3550 §6.4.1: the round trip is the report's arrival less the LSR (the middle
        32 bits of the NTP time of our last sender report it saw) and the DLSR (how long the
        far end held it), all in 1/65536 s. A report before any of ours (LSR 0) tells none."""
        if not report.lsr:
            return
        arrival = (current_ntp_time() >> 16) & 0xFFFFFFFF
        self._rtt = ((arrival - report.lsr - report.dlsr) & 0xFFFFFFFF) / 65536

    def quality(self) -> LinkQuality:
        """What we measured of the far end's stream: interarrival jitter (in 8 kHz timestamp
        units, RFC 3550 §6.4.1), the share of its packets lost, and the round trip."""
        stats = self._session.stats
        received, lost = stats.get("packets_received", 0), stats.get("packets_lost", 0)
        expected = received + max(lost, 0)
        return LinkQuality.checked(
            jitter_ms=stats["jitter"] / 8 if "jitter" in stats else None,
            loss_pct=100 * max(lost, 0) / expected if expected else None,
            rtt_ms=self._rtt * 1000 if self._rtt is not None else None,
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._on_close()
        await self._session.close()

    @property
    def port(self) -> int:
        return self._port


PAYLOADS = {name: pt for pt, name in CODEC_NAMES.items()}


def build_offer(
    host: str, port: int, advertised: str | None, codecs: tuple[str, ...] = ("PCMU", "PCMA")
) -> Any:
    """An SDP offer for the G.711 codecs in ``codecs`` order, with telephone-event (aiosipua's
    build_sdp offers a single codec)."""
    first, *others = [PAYLOADS[name] for name in codecs]
    offer = build_sdp(
        local_ip=host,
        rtp_port=port,
        payload_type=first,
        codec_name=CODEC_NAMES[first],
        dtmf_payload_type=DTMF_PT,
        advertised_ip=advertised,
    )
    audio = offer.audio
    assert audio is not None
    for i, pt in enumerate(others, start=1):
        audio.formats.insert(i, str(pt))
        audio.attributes["rtpmap"].insert(i, f"{pt} {CODEC_NAMES[pt]}/8000")
        audio.codecs.insert(
            i, Codec(payload_type=pt, encoding_name=CODEC_NAMES[pt], clock_rate=8000)
        )
    return offer


def info_digit(content_type: str, body: str) -> str | None:
    """The digit of a SIP INFO DTMF body: ``application/dtmf-relay`` (``Signal=5``) or
    ``application/dtmf`` (``5``); None for anything else."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/dtmf-relay":
        for line in body.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                body = value
                break
        else:
            return None
    elif kind != "application/dtmf":
        return None
    digit = body.strip()
    return digit if len(digit) == 1 and digit in "0123456789*#ABCD" else None
