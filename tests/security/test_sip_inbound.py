"""Inbound SIP as an attacker sends it: SIPp from an address no trunk trusts (127.0.0.2), with
wrong and right digest credentials, in a flood, and with offers and answers whose SDP names a
host; and a peer whose RTP comes from another port than its SDP says (issue 17, items 2 and 3).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from ringfence.privacy.core import Privacy
from ringfence.store import Database
from ringfence.telephony import Call, TelephonyEngine
from ringfence.telephony.models import CallRecord
from tests.conftest import SettingsFactory
from tests.support.server import free_port, running_server
from tests.support.sipp import SippRun, free_rtp_range, sipp_process, start_sipp

pytestmark = pytest.mark.integration

UNTRUSTED = "127.0.0.2"
EngineFactory = Callable[..., Awaitable[TelephonyEngine]]


@pytest.fixture
async def make_engine(
    make_settings: SettingsFactory, database_url: str
) -> AsyncIterator[EngineFactory]:
    """Engines on loopback whose one trunk trusts 127.0.0.1/32 (``trunk`` adds to it)."""
    made: list[tuple[TelephonyEngine, Database]] = []

    async def make(per_minute: int = 20, **trunk: Any) -> TelephonyEngine:
        low, high = free_rtp_range()
        settings = make_settings(
            database_url=database_url,
            telephony={
                "enabled": True,
                "sip_host": "127.0.0.1",
                "sip_port": free_port(),
                "rtp_port_min": low,
                "rtp_port_max": high,
                "inbound_invites_per_minute": per_minute,
                "carriers": [
                    {
                        "name": "carrier",
                        "host": "127.0.0.1",
                        "inbound_sources": ["127.0.0.1/32"],
                        **trunk,
                    }
                ],
            },
        )
        db = Database(database_url)
        engine = TelephonyEngine(settings, privacy=Privacy(settings, db))
        await engine.start()
        made.append((engine, db))
        return engine

    try:
        yield make
    finally:
        for engine, db in made:
            await engine.stop()
            await db.dispose()


async def _records(engine: TelephonyEngine) -> list[CallRecord]:
    assert engine.db is not None
    async with engine.db.session() as session:
        return list((await session.scalars(select(CallRecord))).all())


async def _finish(run: SippRun) -> tuple[int, str]:
    try:
        return await run.finish()
    finally:
        await run.kill()


class Receptionist:
    """A route's handler that answers and counts the calls it was given."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.answered: asyncio.Queue[Call] = asyncio.Queue()

    async def __call__(self, call: Call) -> None:
        self.calls.append(call)
        await call.answer()
        self.answered.put_nowait(call)
        await call.wait_ended()


def _tracebacks(records: list[logging.LogRecord], events: list[dict[str, Any]]) -> list[str]:
    found = [r.getMessage() for r in records if r.exc_info or r.levelno >= logging.ERROR]
    found += [str(e) for e in events if e.get("exc_info") or e.get("log_level") == "error"]
    return found


async def test_an_invite_from_an_untrusted_address_is_refused_and_reaches_no_handler(
    make_engine: EngineFactory,
) -> None:
    engine = await make_engine()
    desk = Receptionist()
    engine.route("+15550100", desk, service="receptionist")
    with capture_logs() as logs:
        stranger = await start_sipp(
            "uac_refused",
            remote=f"127.0.0.1:{engine.local_port}",
            extra=["-s", "+15550100"],
            source=UNTRUSTED,
        )
        rc, out = await _finish(stranger)
    assert rc == 0, out
    assert "SIP/2.0 403 Forbidden" in stranger.messages.read_text()
    await engine.idle()
    assert desk.calls == [] and await _records(engine) == []
    assert engine.inbound_refusals() == {"untrusted_source": 1}
    refused = [e for e in logs if e["event"] == "sip_inbound_refused"]
    assert refused and refused[0]["network"] == "127.0.0.0"
    assert refused[0]["client"].startswith("ip:") and UNTRUSTED not in str(logs)
    assert "5550100" not in str(logs) and "4155550142" not in str(logs)  # no numbers logged

    # The trunk's own address still reaches the receptionist.
    caller = await start_sipp(
        "uac", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "+15550100", "-d", "300"]
    )
    call = await asyncio.wait_for(desk.answered.get(), 30)
    rc, out = await _finish(caller)
    assert rc == 0, out
    await asyncio.wait_for(call.wait_ended(), 30)
    assert call.service == "receptionist" and len(desk.calls) == 1


async def test_options_from_an_untrusted_address_are_refused(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    prober = await start_sipp(
        "uac_options",
        remote=f"127.0.0.1:{engine.local_port}",
        fill={"status": "403"},
        source=UNTRUSTED,
    )
    rc, out = await _finish(prober)
    assert rc == 0, out
    assert engine.inbound_refusals() == {"untrusted_source": 1}
    trunk = await start_sipp(
        "uac_options", remote=f"127.0.0.1:{engine.local_port}", fill={"status": "200"}
    )
    rc, out = await _finish(trunk)
    assert rc == 0, out


@pytest.mark.parametrize("right", [True, False])
async def test_digest_admits_an_unknown_source_with_the_trunks_credentials_only(
    make_engine: EngineFactory, right: bool
) -> None:
    engine = await make_engine(inbound_username="trunk-7", inbound_password="s3cret-pass")
    desk = Receptionist()
    engine.route("+15550100", desk, service="receptionist")
    scenario = "uac_auth" if right else "uac_auth_refused"
    password = "s3cret-pass" if right else "guessed"
    with capture_logs() as logs:
        caller = await start_sipp(
            scenario,
            remote=f"127.0.0.1:{engine.local_port}",
            fill={"user": "trunk-7", "password": password},
            # SIPp's digest uri is sip:HOST:PORT unless told; ours must repeat the Request-URI.
            extra=["-s", "+15550100", "-auth_uri", f"+15550100@127.0.0.1:{engine.local_port}"],
            source=UNTRUSTED,
        )
        rc, out = await _finish(caller)
    assert rc == 0, out
    sent = caller.messages.read_text()
    assert "SIP/2.0 407 Proxy Authentication Required" in sent and 'qop="auth"' in sent
    await engine.idle()
    refusals = engine.inbound_refusals()
    if right:
        assert len(desk.calls) == 1 and desk.calls[0].service == "receptionist"
        assert refusals == {"challenged": 1}
    else:
        assert desk.calls == [] and await _records(engine) == []
        assert refusals == {"challenged": 1, "bad_credentials": 1}
    assert "s3cret-pass" not in str(logs) and "guessed" not in str(logs)


async def test_the_21st_invite_in_a_minute_from_one_source_is_refused_503(
    make_engine: EngineFactory,
) -> None:
    engine = await make_engine(per_minute=20)
    flood = await start_sipp(
        "uac_refused",
        remote=f"127.0.0.1:{engine.local_port}",
        calls=21,
        extra=["-r", "50"],
        source=UNTRUSTED,
    )
    rc, out = await _finish(flood)
    assert rc == 0, out
    refusals = engine.inbound_refusals()
    assert refusals["rate_limited"] >= 1 and refusals["untrusted_source"] >= 20
    sent = flood.messages.read_text()
    assert "SIP/2.0 503 Service Unavailable" in sent and "Retry-After:" in sent


@pytest.mark.parametrize(
    "connection",
    [
        "c=IN IP4 media.example.com",
        "c=IN IP4 2001:db8::1",
        "c=IN IP4 ",
        "c=IN IP4 224.0.0.1",
    ],
)
async def test_an_offer_naming_no_ip_literal_is_488_without_a_traceback(
    make_engine: EngineFactory, caplog: pytest.LogCaptureFixture, connection: str
) -> None:
    engine = await make_engine()
    desk = Receptionist()
    engine.route("+15550100", desk, service="receptionist")
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        caller = await start_sipp(
            "uac_sdp",
            remote=f"127.0.0.1:{engine.local_port}",
            fill={"connection": connection},
            extra=["-s", "+15550100"],
        )
        rc, out = await _finish(caller)
        await engine.idle()
    assert rc == 0, out
    assert "SIP/2.0 488 Not Acceptable Here" in caller.messages.read_text()
    assert desk.calls == []
    assert _tracebacks(caplog.records, logs) == []


async def test_a_reinvite_naming_a_host_is_488_and_the_call_goes_on(
    make_engine: EngineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    engine = await make_engine()
    desk = Receptionist()
    engine.route("+15550100", desk, service="receptionist")
    with capture_logs() as logs:
        caller = await start_sipp(
            "uac_bad_reinvite", remote=f"127.0.0.1:{engine.local_port}", extra=["-s", "+15550100"]
        )
        call = await asyncio.wait_for(desk.answered.get(), 30)
        rc, out = await _finish(caller)
        await asyncio.wait_for(call.wait_ended(), 30)
    assert rc == 0, out
    assert "SIP/2.0 488 Not Acceptable Here" in caller.messages.read_text()
    assert call.ended_by == "remote" and call.end_reason is not None
    assert call.end_reason.value == "completed"  # the caller's BYE, not a failure
    assert _tracebacks(caplog.records, logs) == []


async def test_an_answer_naming_a_host_is_acked_then_hung_up(
    make_engine: EngineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    engine = await make_engine()
    callee = await start_sipp("uas_bad_answer", fill={"connection": "c=IN IP4 rtp.example.net"})
    with capture_logs() as logs:
        call = await engine._place_call("+14155550123", via=f"sip:127.0.0.1:{callee.port}")
        async with asyncio.timeout(30):
            ended = [e async for e in call.events() if e.kind == "ended"]
        rc, out = await _finish(callee)  # it saw our ACK, then our BYE
    assert rc == 0, out
    assert call.end_reason is not None and call.end_reason.value == "media_failed"
    assert "IPv4 address" in ended[0].detail
    assert _tracebacks(caplog.records, logs) == []


class Mouth(asyncio.DatagramProtocol):
    """A socket that sends RTP and hears what comes back to it."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.heard = asyncio.Event()
        self.loud = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) > 12 and data[1] & 0x7F == 0 and any(b not in (0xFF, 0x7F) for b in data[12:]):
            self.loud += 1  # PCMU that is not silence: our tone
            if self.loud >= 5:
                self.heard.set()


class Ear(Mouth):
    def __init__(self) -> None:
        super().__init__()
        self.our_rtp: asyncio.Future[tuple[str, int]] = asyncio.Future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.our_rtp.done():
            self.our_rtp.set_result(addr)
        super().datagram_received(data, addr)


async def test_media_latches_to_where_the_peers_rtp_comes_from(
    make_engine: EngineFactory,
) -> None:
    engine = await make_engine()
    loop = asyncio.get_running_loop()
    ear_transport, ear = await loop.create_datagram_endpoint(Ear, local_addr=("127.0.0.1", 0))
    mouth_transport, mouth = await loop.create_datagram_endpoint(Mouth, local_addr=("127.0.0.1", 0))
    tone = struct.pack(
        "<8000h", *(int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000))
    )
    playing: asyncio.Queue[Call] = asyncio.Queue()

    async def talker(call: Call) -> None:
        await call.answer()
        playing.put_nowait(call)
        while not call.ended:
            call.play(tone)
            await call.played()

    engine.route("talker", talker, service="test")
    ear_port = ear_transport.get_extra_info("sockname")[1]
    caller = await start_sipp(
        "uac_talk",
        remote=f"127.0.0.1:{engine.local_port}",
        fill={"ear_port": str(ear_port), "hold_ms": "20000"},
        extra=["-s", "talker"],
    )
    try:
        call = await asyncio.wait_for(playing.get(), 30)
        our_rtp = await asyncio.wait_for(ear.our_rtp, 30)  # first to the SDP's address
        # The peer's RTP comes from another port than its SDP named (a NAT would do this).
        for seq in range(3):
            header = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0xC0FFEE)
            mouth_transport.sendto(header + bytes([0xFF]) * 160, our_rtp)
        await asyncio.wait_for(mouth.heard.wait(), 30)
        await engine.hangup(call)
        await _finish(caller)
    finally:
        await caller.kill()
        ear_transport.close()
        mouth_transport.close()


def test_a_real_server_refuses_a_stranger_and_counts_it_in_its_metrics(tmp_path: Path) -> None:
    """The refusal is counted, and logged with the stranger's day tag and network only: no log
    file of the server (its output, the access log, anything under the data dir) names the
    stranger's address, after its SIP and its web requests alike."""
    sip_port = free_port()
    output = tmp_path / "serve.log"
    data = tmp_path / "data"
    low, high = free_rtp_range()
    carriers = '[{"name": "carrier", "host": "127.0.0.1", "inbound_sources": ["127.0.0.1/32"]}]'
    with running_server(
        data,
        output=output,
        RINGFENCE_TELEPHONY__ENABLED="true",
        RINGFENCE_TELEPHONY__SIP_PORT=str(sip_port),
        RINGFENCE_TELEPHONY__RTP_PORT_MIN=str(low),
        RINGFENCE_TELEPHONY__RTP_PORT_MAX=str(high),
        RINGFENCE_TELEPHONY__CARRIERS=carriers,
    ) as base:
        with sipp_process("uac_refused", remote=f"127.0.0.1:{sip_port}", source=UNTRUSTED) as (
            stranger,
            _,
            messages,
        ):
            out, _ = stranger.communicate(timeout=90)
            assert stranger.returncode == 0, out.decode(errors="replace")
        assert "SIP/2.0 403 Forbidden" in messages.read_text()
        metrics = httpx.get(base + "/metrics", timeout=10).text
        from_stranger = httpx.HTTPTransport(local_address=UNTRUSTED)
        with httpx.Client(base_url=base, transport=from_stranger, timeout=30) as browser:
            assert browser.get("/privacy", params={"q": "x"}).status_code == 200
            assert browser.get("/no-such-page").status_code == 404
    assert 'ringfence_sip_inbound_refused_total{reason="untrusted_source"} 1.0' in metrics
    logged = [output, *(p for p in data.rglob("*") if p.is_file() and "log" in str(p))]
    assert data / "logs" / "access.log" in logged
    for path in logged:
        assert UNTRUSTED.encode() not in path.read_bytes(), path
    refusals = [
        json.loads(line)
        for line in output.read_text().splitlines()
        if '"sip_inbound_refused"' in line
    ]
    assert [(r["network"], r["client"][:3]) for r in refusals] == [("127.0.0.0", "ip:")]


MALFORMED = {
    "no body": "",
    "garbage": "\x00\x01 not SDP at all \xff",
    "IPv6 in IP4": "v=0\r\ns=-\r\nc=IN IP4 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
    "missing m=": "v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n",
    "huge": "v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    + "a=x-padding:"
    + "y" * 9000
    + "\r\n",
    "unparsable rtpmap": "v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\na=rtpmap:zero PCMU/8000\r\n",
}


class Replies(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.final: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        status = data.split(b"\r\n", 1)[0].decode(errors="replace")
        if not status.startswith("SIP/2.0 1"):
            self.final.put_nowait(status)


async def test_malformed_offers_sent_raw_get_488_and_no_traceback(
    make_engine: EngineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Bodies SIPp cannot send (no body, binary, 9 KB over TCP-sized UDP), straight at the port."""
    engine = await make_engine()
    desk = Receptionist()
    engine.route("+15550100", desk, service="receptionist")
    loop = asyncio.get_running_loop()
    transport, replies = await loop.create_datagram_endpoint(Replies, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    caplog.set_level(logging.DEBUG)
    try:
        with capture_logs() as logs:
            for i, body in enumerate(MALFORMED.values()):
                payload = body.encode("utf-8", errors="surrogateescape")
                invite = (
                    f"INVITE sip:+15550100@127.0.0.1:{engine.local_port} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-sdp-{i}\r\n"
                    f"From: <sip:caller@127.0.0.1:{port}>;tag=t{i}\r\n"
                    f"To: <sip:+15550100@127.0.0.1:{engine.local_port}>\r\n"
                    f"Call-ID: sdp-{i}@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
                    f"Contact: <sip:caller@127.0.0.1:{port}>\r\nMax-Forwards: 70\r\n"
                    f"Content-Type: application/sdp\r\nContent-Length: {len(payload)}\r\n\r\n"
                ).encode() + payload
                transport.sendto(invite, ("127.0.0.1", engine.local_port))
                status = await asyncio.wait_for(replies.final.get(), 30)
                assert status == "SIP/2.0 488 Not Acceptable Here", (list(MALFORMED)[i], status)
            await engine.idle()
    finally:
        transport.close()
    assert desk.calls == []
    assert _tracebacks(caplog.records, logs) == []
