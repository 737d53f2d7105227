"""A campaign over real SIP: the dialling jobs run on the job queue's worker threads (each with
its own telephony engine), SIPp answers as the contacts, one carrier per kind of callee.

The list mixes a person (who says "Hello?" and then nothing), a busy line, a phone nobody picks
up, an answering machine (its greeting, its beep), and contacts the rules refuse (opted out, on
the do-not-call list, no consent, outside their calling window). Exactly the allowed ones are
dialled, busy and unanswered twice (the policy), the others never, each with its reason; the
person hears the AI disclosure and the opt-out offer first, and the machine gets the message
after its beep, disclosure first too (both transcribed from what SIPp's side received).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.media.speech import speak
from ringfence.privacy.core import Privacy
from ringfence.services.agents.campaigns.service import Campaigns
from ringfence.services.agents.models import AgentCall, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from tests.conftest import SettingsFactory
from tests.support.rtp import Ear, ear_port, open_ear, tone, transcribe_heard
from tests.support.server import free_port
from tests.support.sipp import dials_per_number, free_rtp_range, start_sipp

pytestmark = pytest.mark.integration

PERSON, BUSY, NO_ANSWER, MACHINE = "+12125550100", "+12125550111", "+12125550121", "+12125550131"
STOPPED, LISTED, NO_CONSENT = "+12125550141", "+12125550151", "+12125550161"
PRESSES = "+12125550171"  # presses 9 while the agent speaks
TOKYO = "+81312345678"
VOICEMAIL = "Your check-up is next Tuesday at ten. Call us to change it."


def _closed_window_for_tokyo() -> tuple[int, int]:
    """A one-hour window in Tokyo that is not now and opens hours from now (or tomorrow)."""
    hour = dt.datetime.now(ZoneInfo("Asia/Tokyo")).hour
    start = (hour + 3) % 20
    return start, start + 1


async def _person(ear: Ear) -> None:
    """Answers, says "Hello?" once the line is open, then listens."""
    await ear.until(lambda: ear.peer is not None and len(ear.frames) > 10, 90)
    await ear.say(await speak("Hello?"))


async def _presser(ear: Ear) -> int:
    """Says nothing; once the agent has spoken half a second, presses 9. Returns the frame of
    the press."""
    await ear.until(lambda: ear.peer is not None and ear.speaking(0, frames=25), 90)
    await ear.press("9")
    return len(ear.frames)


async def _machine(ear: Ear) -> int:
    """An answering machine: its greeting and a beep; returns the frame where the beep ended."""
    await ear.until(lambda: ear.peer is not None and len(ear.frames) > 10, 90)
    greeting = await speak("Hi, this is Sam. I can't take your call right now. "
                           "Please leave a message after the tone.")  # fmt: skip
    await ear.say(greeting)
    await ear.say(tone(1000, 0.6))
    return len(ear.frames)


async def test_a_campaign_dials_exactly_the_allowed_contacts(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    low, high = free_rtp_range()
    names = ("person", "busy", "none", "machine", "presser", "tripwire")
    ports = {name: free_port() for name in names}
    prefixes = {"person": "1212555010", "busy": "1212555011", "none": "1212555012",
                "machine": "1212555013", "presser": "1212555017", "tripwire": ""}  # fmt: skip
    carriers = [{"name": n, "host": "127.0.0.1", "port": p, "prefixes": [prefixes[n]]}
                for n, p in ports.items()]  # fmt: skip
    settings = make_settings(
        database_url=database_url,
        telephony={"enabled": True, "sip_host": "127.0.0.1", "rtp_port_min": low,
                   "rtp_port_max": high, "carriers": carriers},
        agents={"calling_hours": (0, 24), "stricter_hours": {"JP": _closed_window_for_tokyo()},
                "no_input_seconds": 2},
    )  # fmt: skip
    person_ear, machine_ear, presser_ear = await open_ear(), await open_ear(), await open_ear()
    sipps = {
        "person": await start_sipp("uas_answer_ear", port=ports["person"],
                                   fill={"ear_port": str(ear_port(person_ear))}, limit="150s"),
        "busy": await start_sipp("uas_reject", port=ports["busy"], fill={"status": "486"},
                                 calls=2, limit="150s"),
        "none": await start_sipp("uas_ring_forever", port=ports["none"], calls=2, limit="150s"),
        "machine": await start_sipp("uas_answer_ear", port=ports["machine"],
                                    fill={"ear_port": str(ear_port(machine_ear))}, limit="150s"),
        "presser": await start_sipp("uas_answer_ear", port=ports["presser"],
                                    fill={"ear_port": str(ear_port(presser_ear))}, limit="150s"),
        "tripwire": await start_sipp("uas_reject", port=ports["tripwire"],
                                     fill={"status": "603"}, limit="150s"),
    }  # fmt: skip
    called = (PERSON, BUSY, NO_ANSWER, MACHINE, PRESSES, STOPPED, LISTED, TOKYO)
    contacts = [(n, CONSENTED) for n in called]
    shop = await open_shop(settings, db, SystemClock(), [*contacts, (NO_CONSENT, None)],
                           voice="hibari")  # fmt: skip
    await shop.contacts.opt_out(shop.tenant_id, STOPPED)
    await shop.contacts.do_not_call(shop.tenant_id, [LISTED], "import")
    queue = JobQueue(settings)
    queue.start(workers=2)
    callees = [asyncio.ensure_future(_person(person_ear)),
               asyncio.ensure_future(_machine(machine_ear)),
               asyncio.ensure_future(_presser(presser_ear))]  # fmt: skip
    try:
        campaigns = Campaigns(settings, db, Privacy(settings, db), SystemClock(), queue.enqueue)
        made = await campaigns.create(
            shop.owner, shop.tenant_id,
            shop.spec(ends_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10),
                      max_concurrent=4, calls_per_second=5, max_attempts=2, retry_seconds=1,
                      ring_seconds=3, on_machine="message", voicemail=VOICEMAIL),
        )  # fmt: skip
        await campaigns.start(shop.owner, shop.tenant_id, made["id"])
        # The jobs run on the queue's threads: no event crosses to this loop, so it looks.
        for _ in range(240):
            progress = await campaigns.progress_of(shop.tenant_id, made["id"])
            if progress["campaign"]["state"] == "done":
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"the campaign did not end: {progress}")
        beep_end = await callees[1]
        pressed = await callees[2]
        await callees[0]
        for name, sipp in sipps.items():
            if name != "tripwire":  # the others end when their calls have
                rc, screen = await sipp.finish()
                assert rc == 0, screen
    finally:
        for task in callees:
            task.cancel()
        await asyncio.to_thread(queue.stop)
        for sipp in sipps.values():
            await sipp.kill()
        for ear in (person_ear, machine_ear, presser_ear):
            assert ear.transport is not None
            ear.transport.close()
    dials = {name: dials_per_number(sipp) for name, sipp in sipps.items()}
    assert dials["tripwire"] == Counter()  # nobody the rules refuse was dialled
    assert dials["person"] == Counter({PERSON: 1}) and dials["machine"] == Counter({MACHINE: 1})
    assert dials["presser"] == Counter({PRESSES: 1})
    assert dials["busy"] == Counter({BUSY: 2}) and dials["none"] == Counter({NO_ANSWER: 2})

    async with tenant_session(db, shop.tenant_id) as session:
        rows = {r.number_tail: r for r in (await session.scalars(select(CampaignCall))).all()}
        records = (await session.scalars(select(AgentCall))).all()
    outcome = {tail: (r.state, r.outcome, r.attempts) for tail, r in rows.items()}
    assert outcome[PERSON[-2:]] == ("done", "answered", 1)
    assert outcome[BUSY[-2:]] == ("done", "busy", 2)
    assert outcome[NO_ANSWER[-2:]] == ("done", "no_answer", 2)
    assert outcome[MACHINE[-2:]] == ("done", "message_left", 1)
    assert outcome[PRESSES[-2:]] == ("done", "opted_out", 1)
    assert await shop.contacts.blocked(shop.tenant_id, PRESSES) == "business"  # at once
    assert "opted out" in (rows[STOPPED[-2:]].reason or "")
    assert rows[LISTED[-2:]].reason == "on the business do-not-call list"
    assert rows[NO_CONSENT[-2:]].reason == "no prior express written consent to AI-voice calls"
    assert "Asia/Tokyo" in (rows[TOKYO[-2:]].reason or "")
    assert {r.state for t, r in rows.items() if t in (STOPPED, LISTED, NO_CONSENT, TOKYO)} <= {
        "refused"
    }
    assert sorted(r.outcome for r in records) == ["answered", "message_left", "opted_out"]
    assert {r.direction for r in records} == {"outbound"}

    said = await transcribe_heard(person_ear)
    first, recorded, _ = re.split(r"(this call is recorded)", said, maxsplit=1)
    assert re.match(r"hello,? this is an automated assistan", first), said  # before anything
    assert "calling for" in first and "stop calling me" in first and "press" in first, said
    assert recorded and "remind you" in said, said
    message = await transcribe_heard(machine_ear, after=beep_end)
    assert re.match(r"hello,? this is an automated assistan", message), message
    assert re.search(r"tuesday at (ten|10)", message), message
    goodbye = await transcribe_heard(presser_ear, after=pressed)
    assert "not be called again" in goodbye, goodbye
