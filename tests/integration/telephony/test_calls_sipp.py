"""Calls through our SIP stack against SIPp playing the carrier and the phone, on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import os
import re
import struct
import sys
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.errors import InvalidInput
from ringfence.media.files import load_audio
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.settings import CarrierSettings, Settings
from ringfence.store import Database
from ringfence.telephony import Call, CallFailed, TelephonyEngine
from ringfence.telephony._sip import Media, OutboundLeg
from ringfence.telephony.models import CallRecord
from tests.conftest import SettingsFactory
from tests.support.certs import make_certs
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, start_sipp

pytestmark = pytest.mark.integration


def _settings(make_settings: SettingsFactory, database_url: str, **carrier: object) -> Settings:
    low, high = free_rtp_range()
    telephony: dict[str, object] = {
        "enabled": True,
        "sip_host": "127.0.0.1",
        "sip_port": free_port(),
        "rtp_port_min": low,
        "rtp_port_max": high,
        "ring_timeout": 3,
    }
    # Always a trunk on loopback: inbound SIP is taken only from a trunk's addresses (issue 17),
    # and SIPp calls in from 127.0.0.1. Outbound tests without one of their own dial ``via``.
    telephony["carriers"] = [{"name": "sipp", "host": "127.0.0.1", **carrier}]
    return make_settings(database_url=database_url, telephony=telephony)


@pytest.fixture
async def engine(
    make_settings: SettingsFactory, database_url: str
) -> AsyncIterator[TelephonyEngine]:
    db = Database(database_url)
    settings = _settings(make_settings, database_url)
    engine = TelephonyEngine(settings, privacy=Privacy(settings, db))
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()
        await db.dispose()


def tone(freq: float = 1000.0, seconds: float = 1.0) -> bytes:
    n = int(8000 * seconds)
    return struct.pack(
        f"<{n}h", *(int(8000 * math.sin(2 * math.pi * freq * i / 8000)) for i in range(n))
    )


def energy(frame: bytes) -> float:
    samples = struct.unpack(f"<{len(frame) // 2}h", frame)
    return sum(s * s for s in samples) / max(len(samples), 1)


async def loud_frames(call: Call, n: int) -> list[bytes]:
    """The first ``n`` received frames that carry sound (silence and comfort noise skipped)."""
    frames: list[bytes] = []
    async for frame in call.audio():
        if energy(frame) > 1e6:
            frames.append(frame)
            if len(frames) >= n:
                break
    assert len(frames) == n, "the call ended before the audio came back"
    return frames


def zero_crossings_hz(pcm: bytes) -> float:
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / 8000)


async def _events(call: Call) -> list[str]:
    return [e.kind async for e in call.events()]


async def _records(engine: TelephonyEngine) -> list[CallRecord]:
    assert engine.db is not None
    async with engine.db.session() as session:
        return list((await session.scalars(select(CallRecord))).all())


async def test_outbound_call_answered_with_audio_both_ways(engine: TelephonyEngine) -> None:
    sipp = await start_sipp("uas", extra=["-rtp_echo"])
    try:
        call = await engine._place_call("+14155550123", via=f"sip:127.0.0.1:{sipp.port}")
        events = asyncio.create_task(_events(call))
        assert await call.wait_answered()
        call.play(tone(1000.0, 1.0))
        received = await loud_frames(call, 25)
        await call.played()
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    echoed = b"".join(received)
    assert 900 < zero_crossings_hz(echoed) < 1100  # our tone came back through SIPp's echo
    assert await events == ["dialling", "ringing", "answered", "ended"]
    assert call.end_reason is not None and call.end_reason.value == "completed"
    assert call.ended_by == "local" and call.media is not None and call.media.codec == "PCMU"
    await engine.idle()
    (record,) = await _records(engine)
    assert record.remote_masked.endswith("23") and "4155550123" not in record.remote_masked
    assert record.subject_ref.startswith("phone:") and record.status == 200


async def test_a_callee_who_answers_and_hangs_up_at_once_was_answered(
    engine: TelephonyEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The BYE comes while our media is still opening (a loaded machine: the 2xx's handling
    waits for the loop): the call was answered, then ended by the callee, in that order, and
    the media opened for it is closed. Before, it ended unanswered (a campaign rang the person
    again) and its RTP socket was left open."""
    opening = OutboundLeg.open_media
    bye_came = asyncio.Event()

    class HungUp(set[str]):  # the engine's note of a BYE during the answer, observed
        def add(self, call_id: str) -> None:
            super().add(call_id)
            bye_came.set()

    async def slow_to_open(leg: OutboundLeg, *, early: bool = False) -> Media:
        await asyncio.wait_for(bye_came.wait(), 60)  # the media opens after the callee's BYE
        return await opening(leg, early=early)

    monkeypatch.setattr(engine, "_hung_up_answering", HungUp())
    monkeypatch.setattr(OutboundLeg, "open_media", slow_to_open)
    sipp = await start_sipp("uas_echo_hangup", fill={"talk_ms": "0"})
    try:
        call = await engine._place_call("+14155550166", via=f"sip:127.0.0.1:{sipp.port}")
        events = await _events(call)
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    assert events == ["dialling", "ringing", "answered", "ended"]
    assert call.answered_at is not None and call.ended_by == "remote"
    assert call.end_reason is not None and call.end_reason.value == "completed"
    await engine.idle()
    (record,) = await _records(engine)
    assert record.status == 200 and record.answered_at is not None


@pytest.mark.parametrize(
    ("status", "reason", "q850"),
    [(486, "busy", 17), (404, "rejected", 1), (503, "rejected", 41), (603, "rejected", 21)],
)
async def test_failures_surface_status_and_cause(
    engine: TelephonyEngine, status: int, reason: str, q850: int
) -> None:
    sipp = await start_sipp("uas_reject", fill={"status": str(status)})
    try:
        call = await engine._place_call("+442079460123", via=f"sip:127.0.0.1:{sipp.port}")
        events = [e async for e in call.events()]
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    ended = events[-1]
    assert (ended.kind, ended.status, ended.reason, ended.q850, ended.by) == (
        "ended",
        status,
        reason,
        q850,
        "remote",
    )
    assert not await call.wait_answered()


async def test_no_answer_is_cancelled_after_the_ring_timeout(engine: TelephonyEngine) -> None:
    sipp = await start_sipp("uas_ring_forever")
    try:
        call = await engine._place_call(
            "+4930231250123", via=f"sip:127.0.0.1:{sipp.port}", ring_timeout=1.0
        )
        kinds = [e.kind async for e in call.events()]
        rc, out = await sipp.finish()
        assert rc == 0, out  # SIPp saw our CANCEL and its 487 was acknowledged
    finally:
        await sipp.kill()
    assert kinds == ["dialling", "ringing", "ended"]
    assert call.end_reason is not None and call.end_reason.value == "no_answer"
    assert call.status == 487 and call.ended_by == "local"


@pytest.mark.parametrize("challenge", ["401", "407"])
async def test_digest_authentication_with_a_challenging_trunk(
    make_settings: SettingsFactory, database_url: str, challenge: str
) -> None:
    header = "WWW-Authenticate" if challenge == "401" else "Proxy-Authenticate"
    check = (
        '<verifyauth assign_to="authvalid" username="trunkuser" password="trunkpass"/>'
        if challenge == "401"
        else '<ereg regexp="username=.trunkuser." search_in="hdr" header="Proxy-Authorization:" '
        'assign_to="authvalid"/>'
    )
    sipp = await start_sipp(
        "uas_auth", fill={"challenge": challenge, "authheader": header, "check": check}
    )
    settings = _settings(
        make_settings,
        database_url,
        port=sipp.port,
        username="trunkuser",
        password="trunkpass",
        prefixes=["44"],
    )
    engine = TelephonyEngine(settings)
    await engine.start()
    try:
        call = await engine._place_call("+447700900123")
        assert await call.wait_answered()
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
        await engine.stop()
    assert call.carrier == "sipp"
    # Recompute the RFC 2617 digest from what went over the wire.
    credentials = next(
        line for line in sipp.messages.read_text().splitlines() if "response=" in line
    )
    fields = dict(re.findall(r'(\w+)="([^"]*)"', credentials))
    ha1 = hashlib.md5(f"trunkuser:{fields['realm']}:trunkpass".encode()).hexdigest()
    ha2 = hashlib.md5(f"INVITE:{fields['uri']}".encode()).hexdigest()
    expected = hashlib.md5(f"{ha1}:{fields['nonce']}:{ha2}".encode()).hexdigest()
    assert fields["response"] == expected
    assert credentials.startswith("Authorization" if challenge == "401" else "Proxy-Authorization")


async def test_inbound_call_routed_answered_and_hung_up_by_the_caller(
    engine: TelephonyEngine,
) -> None:
    answered: asyncio.Queue[Call] = asyncio.Queue()

    async def receptionist(call: Call) -> None:
        await call.answer()
        answered.put_nowait(call)
        await call.wait_ended()

    engine.route("+15550100", receptionist, service="test")
    sipp = await start_sipp(
        "uac", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "+15550100", "-d", "500"]
    )
    try:
        call = await asyncio.wait_for(answered.get(), 20)
        rc, out = await sipp.finish()
        assert rc == 0, out
        await call.wait_ended()
    finally:
        await sipp.kill()
    assert call.direction == "inbound" and call.service == "test"
    assert call.ended_by == "remote" and call.end_reason is not None
    assert call.end_reason.value == "completed"


async def _digits_pressed_by(engine: TelephonyEngine, scenario: str) -> list[str]:
    """The DTMF digits an answering IVR receives from a SIPp caller playing ``scenario``."""
    digits: list[str] = []

    async def ivr(call: Call) -> None:
        await call.answer()
        async for event in call.events():
            if event.kind == "dtmf" and event.digit:
                digits.append(event.digit)

    engine.route("ivr", ivr, service="test")
    sipp = await start_sipp(scenario, remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "ivr"])
    try:
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    return digits


async def test_unrouted_number_is_404_and_dtmf_is_received(engine: TelephonyEngine) -> None:
    assert await _digits_pressed_by(engine, "uac_dtmf") == ["1"]  # RFC 4733 from SIPp's pcap

    nobody = await start_sipp("uac", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "999"])
    try:
        rc, _ = await nobody.finish()
    finally:
        await nobody.kill()
    assert rc != 0  # SIPp's caller expected a 200
    assert "SIP/2.0 404 Not Found" in nobody.messages.read_text()
    await engine.idle()
    statuses = sorted(r.status or 0 for r in await _records(engine))
    assert statuses == [200, 404]


async def test_malformed_sip_does_not_harm_a_call_in_progress(
    engine: TelephonyEngine, tmp_path: Path
) -> None:
    sipp = await start_sipp("uas", extra=["-rtp_echo"])
    try:
        call = await engine._place_call("+14155550199", via=f"sip:127.0.0.1:{sipp.port}")
        assert await call.wait_answered()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=("127.0.0.1", engine.local_port)
        )
        for garbage in (
            b"\x00\xff" * 300,
            b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
            b"NOTSIP / HTTP/1.1\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\nshort",
        ):
            transport.sendto(garbage)
        transport.close()
        call.play(tone(500.0, 0.5))
        await loud_frames(call, 10)
        assert not call.ended
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()


async def test_a_lost_invite_is_retransmitted_timer_a(engine: TelephonyEngine) -> None:
    """aiosipua sends an INVITE once; our layer retransmits it (RFC 3261 Timer A)."""
    received: asyncio.Queue[bytes] = asyncio.Queue()

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            received.put_nowait(data)

    loop = asyncio.get_running_loop()
    sink, _ = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    port = sink.get_extra_info("sockname")[1]
    try:
        call = await engine._place_call("+14155550100", via=f"sip:127.0.0.1:{port}", ring_timeout=2)
        first = await asyncio.wait_for(received.get(), 5)
        again = await asyncio.wait_for(received.get(), 5)  # nobody answered the first
        assert first == again and first.startswith(b"INVITE ")
        assert b"\r\nSession-Expires: 1800\r\n" in first  # on the first transmission too
        await call.wait_ended()
    finally:
        sink.close()
    assert call.end_reason is not None and call.end_reason.value == "no_answer"


async def test_the_call_command_speaks_and_hangs_up(tmp_path: Path) -> None:
    sipp = await start_sipp("uas")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ringfence",
            "call",
            "+14155550123",
            "--say",
            "This is ringfence.",
            "--via",
            f"sip:127.0.0.1:{sipp.port}",
            env={
                **os.environ,
                "RINGFENCE_DATA_DIR": str(tmp_path),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        rc, screen = await sipp.finish()
        assert rc == 0, screen
    finally:
        await sipp.kill()
    lines = out.decode().splitlines()  # the person's output; the logs (JSON lines) on stderr
    assert [line.split()[1] for line in lines] == ["dialling", "ringing", "answered", "ended"]
    assert "completed by local" in lines[-1]
    assert '"event": "call_ended"' in err.decode()
    assert "4155550123" not in err.decode()


async def test_dtmf_by_sip_info_is_received(engine: TelephonyEngine) -> None:
    """aiosipua refuses INFO with 405; our layer answers it and turns it into a DTMF event."""
    assert await _digits_pressed_by(engine, "uac_info_dtmf") == ["7"]


def test_info_bodies() -> None:
    from ringfence.telephony._sip import info_digit

    assert info_digit("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n") == "5"
    assert info_digit("application/dtmf-relay; charset=x", "signal= #\r\n") == "#"
    assert info_digit("application/dtmf", "9") == "9"
    assert info_digit("application/dtmf-relay", "Signal=55") is None
    assert info_digit("text/plain", "5") is None


async def test_reinvite_hold_and_resume(engine: TelephonyEngine) -> None:
    """aiosipua leaves a re-INVITE unanswered without a handler; ours answers it."""
    kinds: list[str] = []
    sent: dict[str, int] = {}

    async def agent(call: Call) -> None:
        await call.answer()
        async for event in call.events():
            kinds.append(event.kind)
            if event.kind in ("hold", "resumed") and call.media is not None:
                sent[event.kind] = int(call.media.stats["packets_sent"])

    engine.route("agent", agent, service="test")
    sipp = await start_sipp(
        "uac_hold", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "agent"]
    )
    try:
        rc, out = await sipp.finish()
        assert rc == 0, out  # both 200 OKs carried the mirrored direction
    finally:
        await sipp.kill()
    await engine.idle()
    assert kinds == ["dialling", "ringing", "answered", "hold", "resumed", "ended"]
    assert sent["resumed"] - sent["hold"] <= 1  # nothing sent while held (one tick in flight)


async def test_registration_with_a_trunk_and_removal_on_stop(
    make_settings: SettingsFactory, database_url: str
) -> None:
    sipp = await start_sipp("uas_register")
    settings = _settings(
        make_settings,
        database_url,
        port=sipp.port,
        username="trunkuser",
        password="trunkpass",
        registers=True,
    )
    engine = TelephonyEngine(settings)
    await engine.start()
    try:
        assert await asyncio.wait_for(engine.wait_registration("sipp"), 15) == "registered"
        assert engine.status()["registrations"] == {"sipp": "registered"}
    finally:
        await engine.stop()
    rc, out = await sipp.finish()
    await sipp.kill()
    assert rc == 0, out  # the challenge was answered and the binding removed on stop
    assert engine.registrations["sipp"] == "unregistered"


async def test_a_recorded_call_is_stored_encrypted_and_erasable(engine: TelephonyEngine) -> None:
    sipp = await start_sipp("uas", extra=["-rtp_echo"])
    try:
        call = await engine._place_call("+14155550177", via=f"sip:127.0.0.1:{sipp.port}")
        assert await call.wait_answered()
        call.record()
        call.play(tone(700.0, 1.0))
        await call.played()
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    await engine.idle()
    assert call.recording is not None and call.recording.exists()
    blob = call.recording.read_bytes()
    assert b"RIFF" not in blob and b"WAVE" not in blob  # nothing unencrypted on disk

    assert engine.db is not None
    privacy = Privacy(engine.settings, engine.db)
    subject = phone_ref("+14155550177", engine.settings.signing_key())
    async with engine.db.session() as session:
        plain = await privacy.vault.decrypt(session, subject, blob)
    with wave.open(io.BytesIO(plain)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 8000)
        frames = wav.readframes(wav.getnframes())
    right = b"".join(frames[i + 2 : i + 4] for i in range(0, len(frames), 4))
    left = b"".join(frames[i : i + 2] for i in range(0, len(frames), 4))
    assert 600 < zero_crossings_hz(right[: 8000 * 2]) < 800  # what we said
    assert energy(left) > 1e5  # what came back

    async with engine.db.session() as session:
        rights = privacy.rights("v")
        export = await rights.export(session, subject)
        assert export["data"]["call_recording"]["files"][0]["name"].endswith(".wav.enc")
        assert export["data"]["call_record"]["records"][0]["remote_masked"].endswith("77")
        await rights.erase(session, subject)
    assert not call.recording.exists()


async def test_an_audio_file_is_played_into_the_call(
    engine: TelephonyEngine, tmp_path: Path
) -> None:
    """A 44.1 kHz stereo WAV made by sox arrives at 8 kHz mono with its pitch intact."""
    source = tmp_path / "tone.wav"
    made = await asyncio.create_subprocess_exec(
        "sox", "-n", "-r", "44100", "-c", "2", str(source), "synth", "1", "sine", "600"
    )
    assert await made.wait() == 0
    pcm = await load_audio(source)
    assert 15000 < len(pcm) < 17000  # one second at 8 kHz, 16-bit
    sipp = await start_sipp("uas", extra=["-rtp_echo"])
    try:
        call = await engine._place_call("+14155550188", via=f"sip:127.0.0.1:{sipp.port}")
        assert await call.wait_answered()
        call.play(pcm)
        echoed = await loud_frames(call, 25)
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    assert 500 < zero_crossings_hz(b"".join(echoed)) < 700
    with pytest.raises(InvalidInput, match="no such audio file"):
        await load_audio(tmp_path / "missing.wav")


async def test_inbound_alaw_call_negotiates_pcma_and_decodes_audio(engine: TelephonyEngine) -> None:
    heard: list[bytes] = []
    codecs: list[str] = []

    async def listener(call: Call) -> None:
        await call.answer()
        assert call.media is not None
        codecs.append(call.media.codec)
        async for frame in call.audio():
            if energy(frame) > 1e4:
                heard.append(frame)

    engine.route("alaw", listener, service="test")
    sipp = await start_sipp(
        "uac_pcma", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "alaw"]
    )
    try:
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    await engine.idle()
    assert codecs == ["PCMA"]
    assert len(heard) >= 10  # speech from the A-law capture arrived decoded


async def test_dtmf_sent_by_one_engine_is_received_by_another(
    engine: TelephonyEngine, make_settings: SettingsFactory, database_url: str
) -> None:
    """RFC 4733 out: SIPp cannot decode telephone-events, so a second engine listens."""
    callee = TelephonyEngine(_settings(make_settings, database_url))
    got: asyncio.Queue[str] = asyncio.Queue()

    async def ivr(call: Call) -> None:
        await call.answer()
        async for event in call.events():
            if event.kind == "dtmf" and event.digit:
                got.put_nowait(event.digit)

    callee.route("+15550111", ivr, service="test")
    await callee.start()
    try:
        call = await engine._place_call("+15550111", via=f"sip:127.0.0.1:{callee.local_port}")
        assert await call.wait_answered()
        received = []
        for digit in "4#47":  # a repeated digit must arrive twice
            call.send_dtmf(digit)
            received.append(await asyncio.wait_for(got.get(), 10))
        await call.hangup()
    finally:
        await callee.stop()
    assert received == ["4", "#", "4", "7"]
    kinds = [e.kind async for e in call.events()]
    assert kinds[:4] == ["dialling", "trying", "ringing", "answered"]  # our UAS sends 100
    with pytest.raises(ValueError, match="not a DTMF digit"):
        call.send_dtmf("x")


async def test_a_dead_session_is_detected_and_ended(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """RFC 4028: the caller asked for 2 s sessions and never refreshed; we send BYE."""
    settings = _settings(make_settings, database_url)
    settings.telephony.min_se = 1
    engine = TelephonyEngine(settings)
    ended: asyncio.Queue[Call] = asyncio.Queue()

    async def agent(call: Call) -> None:
        await call.answer()
        await call.wait_ended()
        ended.put_nowait(call)

    engine.route("agent", agent, service="test")
    await engine.start()
    try:
        sipp = await start_sipp(
            "uac_session_timer", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "agent"]
        )
        try:
            rc, out = await sipp.finish()
            assert rc == 0, out  # the 200 carried Session-Expires and our BYE came
        finally:
            await sipp.kill()
        call = await asyncio.wait_for(ended.get(), 10)
    finally:
        await engine.stop()
    assert call.end_reason is not None and call.end_reason.value == "session_expired"
    assert call.ended_by == "local"


async def test_early_media_is_heard_before_a_refusal(engine: TelephonyEngine) -> None:
    """A 183 with SDP opens the stream: announcements reach call.audio() before any answer."""
    sipp = await start_sipp("uas_early_media")
    try:
        call = await engine._place_call("+14155550166", via=f"sip:127.0.0.1:{sipp.port}")
        heard = 0
        async for frame in call.audio():
            if energy(frame) > 1e4:
                heard += 1
        kinds = [e.kind async for e in call.events()]
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    assert kinds == ["dialling", "ringing", "early_media", "ended"]
    assert heard >= 10 and call.media is not None and call.media.codec == "PCMA"
    assert call.end_reason is not None and call.end_reason.value == "busy"


@pytest.fixture
async def tcp_engine(
    make_settings: SettingsFactory, database_url: str
) -> AsyncIterator[TelephonyEngine]:
    settings = _settings(make_settings, database_url)
    settings.telephony.tcp = True
    engine = TelephonyEngine(settings)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()


async def test_outbound_call_over_tcp(tcp_engine: TelephonyEngine) -> None:
    sipp = await start_sipp("uas", extra=["-t", "t1", "-rtp_echo"])
    try:
        await sipp.listening_tcp()
        call = await tcp_engine._place_call(
            "+14155550123", via=f"sip:127.0.0.1:{sipp.port};transport=tcp"
        )
        assert await call.wait_answered()
        call.play(tone(1000.0, 0.5))
        await loud_frames(call, 10)
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
    wire = sipp.messages.read_text()
    assert "Via: SIP/2.0/TCP" in wire and "transport=tcp>" in wire


async def test_inbound_call_over_tcp(tcp_engine: TelephonyEngine) -> None:
    answered: asyncio.Queue[Call] = asyncio.Queue()

    async def desk(call: Call) -> None:
        await call.answer()
        answered.put_nowait(call)
        await call.wait_ended()

    tcp_engine.route("+15550100", desk, service="test")
    sipp = await start_sipp(
        "uac",
        remote=f"127.0.0.1:{tcp_engine.tcp_port}",
        extra=["-t", "t1", "-s", "+15550100", "-d", "300"],
    )
    try:
        call = await asyncio.wait_for(answered.get(), 20)
        rc, out = await sipp.finish()
        assert rc == 0, out
        await call.wait_ended()
    finally:
        await sipp.kill()
    assert call.ended_by == "remote"


async def test_a_call_over_tls_between_two_engines(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    """Debian's SIPp has no TLS, so a second engine is the TLS peer; the caller verifies it."""
    ca, cert, key = make_certs(tmp_path)
    callee_settings = _settings(make_settings, database_url)
    callee_settings.telephony.tls_port = 0
    callee_settings.telephony.tls_cert = cert
    callee_settings.telephony.tls_key = key
    callee = TelephonyEngine(callee_settings)
    caller_settings = _settings(make_settings, database_url)
    caller_settings.telephony.tls_port = None
    caller_settings.telephony.tls_ca = ca
    caller_settings.telephony.carriers = [
        CarrierSettings(name="tls-peer", host="127.0.0.1", port=1, transport="tls")
    ]
    caller = TelephonyEngine(caller_settings)
    digits: asyncio.Queue[str] = asyncio.Queue()

    async def desk(call: Call) -> None:
        await call.answer()
        async for event in call.events():
            if event.kind == "dtmf" and event.digit:
                digits.put_nowait(event.digit)

    callee.route("+15550123", desk, service="test")
    await callee.start()
    await caller.start()
    try:
        via = f"sip:127.0.0.1:{callee.tls_port};transport=tls"
        call = await caller._place_call("+15550123", via=via)
        assert await call.wait_answered()
        call.send_dtmf("9")
        assert await asyncio.wait_for(digits.get(), 10) == "9"
        await call.hangup()
        await callee.idle()

        untrusting = TelephonyEngine(_settings(make_settings, database_url))
        untrusting.tel.carriers = [
            CarrierSettings(name="tls-peer", host="127.0.0.1", port=1, transport="tls")
        ]
        await untrusting.start()
        try:
            with pytest.raises(CallFailed, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusting._place_call("+15550123", via=via)
        finally:
            await untrusting.stop()
    finally:
        await caller.stop()
        await callee.stop()
    assert call.end_reason is not None and call.end_reason.value == "completed"


async def test_outbound_proxy_codec_preference_and_trying(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """Requests go to the proxy while naming the trunk; A-law is offered first when preferred;
    the call is cut at its maximum duration."""
    sipp = await start_sipp("uas", extra=["-rtp_echo"])
    settings = _settings(
        make_settings,
        database_url,
        port=5060,
        outbound_proxy=f"127.0.0.1:{sipp.port}",
        codecs=["PCMA", "PCMU"],
    )
    settings.telephony.carriers[0].host = "trunk.example"
    engine = TelephonyEngine(settings)
    await engine.start()
    try:
        call = await engine._place_call("+14155550144", max_duration=1.0)
        kinds = [e.kind async for e in call.events()]
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        await sipp.kill()
        await engine.stop()
    assert kinds == ["dialling", "ringing", "answered", "ended"]  # SIPp's uas sends no 100
    assert call.end_reason is not None and call.end_reason.value == "max_duration"
    # SIPp's uas answers PCMU whatever is offered: the answer, not our preference, decides.
    assert call.media is not None and call.media.codec == "PCMU"
    wire = sipp.messages.read_text()
    assert "INVITE sip:+14155550144@trunk.example SIP/2.0" in wire
    assert "m=audio" in wire and "RTP/AVP 8 0 101" in wire


TORTURE = Path(__file__).resolve().parents[2] / "data" / "sip" / "rfc4475"


async def test_rfc4475_torture_messages_get_an_error_or_are_dropped(
    engine: TelephonyEngine,
) -> None:
    """During a call, RFC 4475's invalid requests are answered 4xx/5xx or dropped, its valid ones
    are answered 200; the call goes on and an OPTIONS sent after them all is answered."""
    sipp = await start_sipp("uas", extra=["-rtp_echo"])
    responses: asyncio.Queue[bytes] = asyncio.Queue()

    class Peer(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            responses.put_nowait(data)

    loop = asyncio.get_running_loop()
    peer, _ = await loop.create_datagram_endpoint(Peer, local_addr=("127.0.0.1", 0))
    port = peer.get_extra_info("sockname")[1]
    try:
        call = await engine._place_call("+14155550155", via=f"sip:127.0.0.1:{sipp.port}")
        assert await call.wait_answered()
        invalid = sorted(TORTURE.glob("invalid/*.sip"))
        valid = sorted(TORTURE.glob("valid/*.sip"))
        assert len(invalid) >= 9 and len(valid) >= 3
        valid_ids = set()
        for path in [*invalid, *valid]:
            message = path.read_bytes().replace(b"{port}", str(port).encode())
            if path in valid:
                valid_ids.add(message.split(b"Call-ID: ", 1)[1].split(b"\r\n", 1)[0])
            peer.sendto(message, ("127.0.0.1", engine.local_port))
        probe = (
            f"OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKprobe\r\n"
            "From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:probe@127.0.0.1>\r\n"
            "Call-ID: probe-after-torture\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        peer.sendto(probe.encode(), ("127.0.0.1", engine.local_port))
        answers = []
        while True:
            data = await asyncio.wait_for(responses.get(), 10)
            answers.append(data)
            if b"probe-after-torture" in data:
                break
        assert answers[-1].startswith(b"SIP/2.0 200")
        for answer in answers[:-1]:
            status = int(answer.split(b" ", 2)[1])
            found = re.search(rb"\r\n(?:Call-ID|i): *([^\r]*)\r\n", answer)
            call_id = found.group(1) if found else b""
            if call_id in valid_ids:
                assert status == 200, answer[:200]
                valid_ids.discard(call_id)
            else:
                assert 400 <= status < 600 or status == 100, answer[:200]
        assert valid_ids == set()  # every valid message was answered
        assert not call.ended
        call.play(tone(800.0, 0.5))
        await loud_frames(call, 5)
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out
    finally:
        peer.close()
        await sipp.kill()
