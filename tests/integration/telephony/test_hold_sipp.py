"""Our hold: a call we placed is put on hold and taken off by re-INVITE (RFC 3264 §8.4), with
SIPp as the phone checking each offer's direction; a refused re-INVITE leaves the call up."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from ringfence.errors import Conflict
from ringfence.privacy.core import Privacy
from ringfence.store import Database
from ringfence.telephony import Call, CallFailed, TelephonyEngine
from tests.conftest import SettingsFactory
from tests.support.rtp import ear_port, open_ear
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, start_sipp

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(
    make_settings: SettingsFactory, database_url: str
) -> AsyncIterator[TelephonyEngine]:
    low, high = free_rtp_range()
    settings = make_settings(
        database_url=database_url,
        telephony={
            "enabled": True,
            "sip_host": "127.0.0.1",
            "sip_port": free_port(),
            "rtp_port_min": low,
            "rtp_port_max": high,
            "carriers": [{"name": "sipp", "host": "127.0.0.1"}],
        },
    )
    db = Database(database_url)
    engine = TelephonyEngine(settings, privacy=Privacy(settings, db))
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()
        await db.dispose()


async def _kinds(call: Call) -> list[tuple[str, str | None]]:
    return [(e.kind, e.by) async for e in call.events()]


def _invites(log: str) -> list[str]:
    """The INVITEs SIPp received, in order (each once: retransmissions aside)."""
    seen: dict[str, str] = {}
    for block in re.split(r"\n-{10,}", log):
        cseq = re.search(r"^\s*CSeq:\s*(\d+) INVITE", block, re.M | re.I)
        if re.search(r"^\s*INVITE sip:", block, re.M) and cseq:
            seen.setdefault(cseq.group(1), block)
    return [seen[k] for k in sorted(seen, key=int)]


async def test_a_placed_call_is_held_and_resumed_by_reinvite(engine: TelephonyEngine) -> None:
    ear = await open_ear()
    sipp = await start_sipp("uas_hold_ear", fill={"ear_port": str(ear_port(ear))})
    try:
        call = await engine._place_call("+14155550123", via=f"sip:127.0.0.1:{sipp.port}")
        events = asyncio.create_task(_kinds(call))
        assert await call.wait_answered()
        await call.hold()
        assert call.held and not call.ended
        await call.hold()  # again: nothing to change, no re-INVITE
        await call.hold(False)
        assert not call.held
        await call.hangup()
        rc, out = await sipp.finish()
        assert rc == 0, out  # SIPp found a=sendonly, then a=sendrecv
    finally:
        await sipp.kill()
        assert ear.transport is not None
        ear.transport.close()
    kinds = await events
    assert ("hold", "local") in kinds and ("resumed", "local") in kinds
    assert [k for k, _ in kinds][-3:] == ["hold", "resumed", "ended"]
    log = sipp.messages.read_text(errors="replace")
    first, held, resumed = _invites(log)
    assert "a=sendonly" in held and "a=sendrecv" in resumed
    # RFC 3264 §8: the same session (o= id), its version one higher with each new offer.
    origins = [re.search(r"^\s*o=\S+ (\d+) (\d+) ", b, re.M) for b in (first, held, resumed)]
    assert all(origins) and len({o.group(1) for o in origins if o}) == 1
    assert [int(o.group(2)) for o in origins if o] == [
        int(origins[0].group(2)) + i for i in range(3)
    ]  # type: ignore[union-attr]


async def test_a_refused_hold_leaves_the_call_up(engine: TelephonyEngine) -> None:
    ear = await open_ear()
    sipp = await start_sipp("uas_refuse_hold", fill={"ear_port": str(ear_port(ear))})
    try:
        call = await engine._place_call("+14155550123", via=f"sip:127.0.0.1:{sipp.port}")
        with pytest.raises(Conflict, match="not connected"):
            await call.hold()  # still ringing: nothing to hold yet
        assert await call.wait_answered()
        with pytest.raises(CallFailed, match="SIP 488"):
            await call.hold()
        assert not call.held and not call.ended
        await call.hangup()  # the dialog is still there: BYE, answered 200
        rc, out = await sipp.finish()
        assert rc == 0, out  # SIPp got the ACK for its 488, then our BYE
    finally:
        await sipp.kill()
        assert ear.transport is not None
        ear.transport.close()
    assert call.end_reason is not None and call.end_reason.value == "completed"
    assert call.ended_by == "local"
