"""The inbound receptionist on real calls: SIPp dials the agent's number and speaks (espeak-ng
speech in RTP), the test hears the agent through the socket SIPp's SDP names, and the records
the call left are read back: transcript, summary, and the recording, decrypted."""

from __future__ import annotations

import asyncio
import io
import re
import wave
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.media.speech import speak
from ringfence.privacy import policy
from ringfence.privacy.consent import SENSITIVE_USE
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.receptionist import Receptionist
from ringfence.services.agents.calls.wiring import stopped_for
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.models import (
    Agent,
    AgentCall,
    AgentNumber,
    AgentRecording,
    KnowledgeEntry,
)
from ringfence.services.agents.purposes import ANSWERING
from ringfence.services.agents.testing import verify_number
from ringfence.store import Database
from ringfence.telephony import TelephonyEngine
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.openai_server import ChatServer, Reply, chat_server
from tests.conftest import SettingsFactory
from tests.support.rtp import Ear, ear_port, open_ear, transcribe_heard
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, sipp_peer, start_sipp

pytestmark = pytest.mark.integration

NUMBER = "+442071838750"
CALLER = "+14155550142"  # SIPp's From
PERSON = "+442079460000"  # where "a person, please" is put through
HOURS = "We are open from nine in the morning to five in the evening, Monday to Friday."
KNOWLEDGE = [
    ("What are your opening hours?", HOURS),
    ("Where are you located?", "We are at 12 High Street, next to the station."),
    ("How much is a haircut?", "A haircut costs twenty five pounds."),
]
GREETING = "Thanks for calling Cutting Edge. How can I help?"


@dataclass
class Desk:
    engine: TelephonyEngine
    db: Database
    privacy: Privacy
    tenant_id: str
    folder: Path
    carrier_port: int  # where the engine places calls (a SIPp "person" when a test starts one)


@pytest.fixture
async def desk(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> AsyncIterator[Desk]:
    async with _desk(make_settings, database_url, tmp_path, {}) as opened:
        yield opened


@pytest.fixture
def model() -> Iterator[ChatServer]:
    with chat_server() as running:
        yield running


@pytest.fixture
async def model_desk(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path, model: ChatServer
) -> AsyncIterator[Desk]:
    """The desk with a language model set (the local OpenAI-compatible server)."""
    agents = {"llm_url": model.base, "llm_model": "local", "llm_timeout_seconds": 20}
    async with _desk(make_settings, database_url, tmp_path, agents) as opened:
        yield opened


@asynccontextmanager
async def _desk(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path, agents: dict[str, object]
) -> AsyncIterator[Desk]:
    low, high = free_rtp_range()
    carrier_port = free_port()
    settings = make_settings(
        database_url=database_url,
        telephony={
            "enabled": True,
            "sip_host": "127.0.0.1",
            "sip_port": free_port(),
            "rtp_port_min": low,
            "rtp_port_max": high,
            "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": carrier_port}],
        },  # fmt: skip
        agents={"no_input_seconds": 30, **agents},
    )
    db = Database(database_url)
    privacy = Privacy(settings, db, SystemClock())
    engine = TelephonyEngine(settings, privacy=privacy)
    await engine.start()
    now = privacy.clock.now()
    async with db.session() as session:
        tenant = Tenant(name="Cutting Edge", created_at=now)
        session.add(tenant)
    async with tenant_session(db, tenant.id) as session:
        agent = Agent(name="Reception", greeting=GREETING, created_at=now, updated_at=now,
                      disclosure="You are speaking with an automated assistant for Cutting Edge.",
                      phone_number=NUMBER, transfer_number=PERSON, slots="")  # fmt: skip
        session.add(agent)
        await session.flush()
        for question, answer in KNOWLEDGE:
            session.add(KnowledgeEntry(agent_id=agent.id, question=question, answer=answer))
    async with db.session() as session:
        session.add(AgentNumber(number=NUMBER, tenant_id=tenant.id, agent_id=agent.id))
    await verify_number(settings, db, privacy.clock, tenant.id, NUMBER)
    await Receptionist(settings, db, privacy, engine, privacy.clock).start()
    try:
        yield Desk(engine, db, privacy, tenant.id, tmp_path, carrier_port)
    finally:
        await engine.stop()
        await db.dispose()


async def _speech(text: str) -> bytes:
    return await speak(text, voice="en-gb-x-rp", speed=150)


@asynccontextmanager
async def _phone(desk: Desk) -> AsyncIterator[Ear]:
    """SIPp calls the agent's number with the ear as its audio; the agent must hang up. On a
    failure the call's transcript is added to the error."""
    ear = await open_ear()
    fill = {"ear_port": str(ear_port(ear)), "hold_ms": "100000"}
    try:
        async with sipp_peer(
            "uac_talk", remote=f"127.0.0.1:{desk.engine.local_port}", fill=fill,
            extra=["-s", NUMBER], limit="120s",
        ):  # fmt: skip
            await ear.until(lambda: ear.spoke_then_paused(1.0))  # the opening is over
            yield ear
    except Exception as exc:
        await desk.engine.idle()
        async with tenant_session(desk.db, desk.tenant_id) as session:
            for call in (await session.scalars(select(AgentCall))).all():
                said = await desk.privacy.vault.decrypt(session, call.subject_ref, call.transcript)
                exc.add_note(f"transcript: {said.decode()}")
        raise
    finally:
        assert ear.transport is not None
        ear.transport.close()
    await desk.engine.idle()  # the receptionist has stored what the call left


async def _goodbye(desk: Desk, ear: Ear) -> None:
    """Say goodbye until the agent hangs up (a misheard goodbye gets an answer instead)."""
    for _ in range(3):
        calls = desk.engine.active_calls()
        if not calls:
            return
        ended = asyncio.ensure_future(calls[0].wait_ended())
        mark = len(ear.loud)
        await ear.say(await _speech("That's all, thank you. Goodbye."))
        answered = asyncio.ensure_future(_answered(ear, mark))
        await asyncio.wait({ended, answered}, return_when=asyncio.FIRST_COMPLETED)
        answered.cancel()
        if ended.done():
            return
        ended.cancel()


async def _answered(ear: Ear, mark: int) -> None:
    """The agent spoke (half a second at least) and then waited 1.5 s: its turn is over (a
    backchannel pauses it for less)."""
    await ear.until(lambda: ear.speaking(mark, frames=25) and ear.spoke_then_paused(1.5, mark))


async def _record(desk: Desk) -> tuple[AgentCall, bytes, dict[str, object]]:
    async with tenant_session(desk.db, desk.tenant_id) as session:
        call = (await session.scalars(select(AgentCall))).one()
        recording = await session.get(AgentRecording, call.id)
        assert recording is not None
        vault = desk.privacy.vault
        wav = await vault.decrypt(session, call.subject_ref, recording.audio)
        summary = (await vault.decrypt(session, call.subject_ref, call.summary)).decode()
        transcript = (await vault.decrypt(session, call.subject_ref, call.transcript)).decode()
    return call, wav, {"summary": summary, "transcript": transcript}


def _channel(wav: bytes, index: int) -> np.ndarray:
    with wave.open(io.BytesIO(wav)) as reader:
        assert (reader.getnchannels(), reader.getframerate()) == (2, 8000)
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    return samples.reshape(-1, 2)[:, index].astype(np.float64)


def _loud(samples: np.ndarray) -> np.ndarray:
    """Per 20 ms frame: whether it carries sound."""
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    return np.sqrt((frames**2).mean(axis=1)) > 300


async def test_the_receptionist_discloses_then_answers_from_the_knowledge_base(
    desk: Desk,
) -> None:
    async with _phone(desk) as ear:
        mark = len(ear.loud)
        await ear.say(await _speech("What are your opening hours?"))
        await _answered(ear, mark)
        await _goodbye(desk, ear)
    call, wav, text = await _record(desk)
    heard = await transcribe_heard(ear)
    # The disclosure is the first thing the caller hears, and the hours come back.
    assert re.match(r"you('re| are) speaking with an automated assistant", heard), heard
    assert "this call is recorded" in heard
    assert "monday to friday" in heard, heard
    assert heard.index("automated assistant") < heard.index("monday to friday")
    assert "opening hour" in text["transcript"].lower(), text  # espeak: "hour" or "hours"
    assert text["summary"].startswith("Outcome: answered."), text
    assert "What are your opening hours?" in text["summary"]
    assert call.outcome == "answered"
    assert call.subject_ref == phone_ref(CALLER, desk.engine.settings.signing_key())
    assert call.caller_masked.endswith("42") and CALLER not in call.caller_masked
    # The recording decrypts to a stereo WAV as long as the call, with both sides in it. It
    # counts the media clock's 20 ms ticks, and on this loaded 2-core machine (Whisper, the
    # voice and the test's own speech all at once) some run late: 4-10 % short was measured.
    seconds = len(_channel(wav, 0)) / 8000
    assert 0.85 * call.duration < seconds <= call.duration + 0.1, (seconds, call.duration)
    assert _loud(_channel(wav, 0)).any() and _loud(_channel(wav, 1)).any()


async def test_caller_speech_stops_the_agent_within_200_ms(desk: Desk) -> None:
    """The caller asks; during the answer they talk over it with a request: the agent's audio
    stops within 200 ms (read off the recording, both sides on one timeline), and it takes the
    message they ask it to."""
    async with _phone(desk) as ear:
        mark = len(ear.loud)
        await ear.say(await _speech("What are your opening hours?"))
        await ear.until(lambda: ear.speaking(mark, frames=40))
        await ear.say(await _speech("Can you take a message?"))
        await _answered(ear, len(ear.loud))  # the agent stopped at once: what it says next
        mark = len(ear.loud)
        await ear.say(await _speech("Please ask Sam to call me back tomorrow."))
        await _answered(ear, mark)
        await _goodbye(desk, ear)
    call, wav, text = await _record(desk)
    caller, agent = _loud(_channel(wav, 0)), _loud(_channel(wav, 1))
    starts = [i for i in range(10, len(caller)) if caller[i] and not caller[i - 10 : i].any()]
    assert len(starts) >= 2, starts
    over_at = starts[1]  # the second utterance: the one said over the agent
    assert agent[over_at - 5 : over_at].any(), "the agent was not speaking when interrupted"
    stopped = next(i for i in range(over_at, len(agent)) if not agent[i : i + 10].any())
    assert (stopped - over_at) * 0.02 <= 0.2, (stopped - over_at) * 0.02
    assert call.outcome == "message_taken", text
    assert "call me back" in text["summary"].lower(), text


async def test_a_backchannel_does_not_stop_the_agent(desk: Desk) -> None:
    """A "yeah" while the agent answers pauses it for a moment at most: the whole answer is
    still heard, and "yeah" is not taken for a new request."""
    async with _phone(desk) as ear:
        mark = len(ear.loud)
        await ear.say(await _speech("What are your opening hours?"))
        await ear.until(lambda: ear.speaking(mark, frames=40))
        await ear.say(await _speech("yeah"))
        await _answered(ear, len(ear.loud))
        await _goodbye(desk, ear)
    call, _, text = await _record(desk)
    heard = await transcribe_heard(ear)
    assert "monday to friday" in heard, heard
    assert "sorry" not in heard and "message" not in heard, heard
    assert call.outcome == "answered", text


async def test_asking_for_a_person_puts_the_caller_through(desk: Desk) -> None:
    """The agent calls the business's person (SIPp, echoing what it hears), joins the caller to
    them, and the call ends when that person hangs up."""
    person = await start_sipp(
        "uas_echo_hangup", port=desk.carrier_port, fill={"talk_ms": "7000"},
        extra=["-rtp_echo"], limit="120s",
    )  # fmt: skip
    try:
        async with _phone(desk) as ear:
            mark = len(ear.loud)
            await ear.say(await _speech("Can I talk to a real person?"))
            await _answered(ear, mark)  # "Let me put you through ... Please hold."
            mark = len(ear.loud)
            await ear.say(await _speech("Hello, is anybody there?"))
            await ear.until(lambda: ear.speaking(mark, frames=20))  # the person's side, heard
        call, _, text = await _record(desk)
        assert call.outcome == "transferred", text
        rc, screen = await person.finish()
        assert rc == 0, screen
    finally:
        await person.kill()
    assert f"INVITE sip:{PERSON}@" in person.messages.read_text()
    assert f"put through to {PERSON}" in text["summary"]


async def test_asking_not_to_be_called_puts_the_number_on_the_do_not_call_list(desk: Desk) -> None:
    async with _phone(desk) as ear:
        await ear.say(await _speech("Please take me off your list."))
    call, _, text = await _record(desk)  # the agent said goodbye and hung up
    assert call.outcome == "opted_out", text
    lists = ContactLists(desk.db, desk.privacy, desk.privacy.clock,
                         desk.engine.settings.signing_key())  # fmt: skip
    assert await lists.blocked(desk.tenant_id, CALLER) == "business"


async def test_a_caller_who_limited_sensitive_use_is_not_recorded(desk: Desk) -> None:
    """CPRA: the caller limited the use of their sensitive personal information for their
    number (on the privacy choices page): the call goes on and leaves its record, but the
    business keeps no recording of it."""
    key = desk.engine.settings.signing_key()
    async with desk.db.session() as session:
        await desk.privacy.consents.record(session, phone_ref(CALLER, key), {SENSITIVE_USE: False},
                                           method="manage", service="platform",
                                           policy_version="test")  # fmt: skip
    async with _phone(desk) as ear:
        await ear.say(await _speech("Please take me off your list."))
    async with tenant_session(desk.db, desk.tenant_id) as session:
        call = (await session.scalars(select(AgentCall))).one()
        assert call.outcome == "opted_out"
        assert await session.get(AgentRecording, call.id) is None
        assert (await session.scalars(select(AgentRecording))).all() == []


async def test_a_restricted_caller_hears_a_notice_and_nothing_of_them_is_kept(
    desk: Desk, tmp_path: Path
) -> None:
    """The caller's number restricted the processing of its data (a verified request, as the
    phone-proved page makes it): the agent does not converse. The caller hears the notice and
    the receptionist hangs up; what they say meanwhile is not heard, so no transcript, no
    recording, no call record of the business's and no charge are left. Lifted, the number
    is answered as any other."""
    privacy, db = desk.privacy, desk.db
    ref = phone_ref(CALLER, desk.engine.settings.signing_key())

    async def ask(kind: str) -> None:
        async with db.session() as session:
            stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
            rights = privacy.rights(stamp.version)
            submitted = await rights.submit(session, kind, ref, verified_via="phone_call")
            await rights.fulfil(session, submitted.request.id)

    await ask("restrict")
    ear = await open_ear()
    fill = {"ear_port": str(ear_port(ear)), "hold_ms": "100000"}
    try:
        async with sipp_peer(
            "uac_talk", remote=f"127.0.0.1:{desk.engine.local_port}", fill=fill,
            extra=["-s", NUMBER], limit="120s",
        ):  # fmt: skip
            await ear.until(lambda: ear.speaking(0, frames=25))
            (call,) = desk.engine.active_calls()
            await ear.say(await _speech("What are your opening hours?"))
            await call.wait_ended()  # the receptionist hung up: SIPp's BYE came from us
        assert call.recorder is None
    finally:
        assert ear.transport is not None
        ear.transport.close()
    await desk.engine.idle()
    heard = await transcribe_heard(ear)
    assert "restricted" in heard and "nine in the morning" not in heard, heard
    async with tenant_session(db, desk.tenant_id) as session:
        assert (await session.scalars(select(AgentCall))).all() == []
        assert (await session.scalars(select(AgentRecording))).all() == []
    recordings = privacy.settings.ensure_data_dir() / "recordings"
    assert not recordings.exists() or not any(p.is_file() for p in recordings.rglob("*"))

    await ask("lift_restriction")
    assert await stopped_for(db, desk.engine.settings.signing_key(), CALLER, ANSWERING) is None


async def test_the_agent_of_a_suspended_business_does_not_answer(desk: Desk) -> None:
    """The operator suspended the business (``/admin/tenants``): a call to its number is
    declined before it is answered (603), and nothing of it is kept."""
    async with desk.db.session() as session:
        tenant = await session.get(Tenant, desk.tenant_id)
        assert tenant is not None
        tenant.suspended_at = desk.privacy.clock.now()
    async with sipp_peer(
        "uac_declined", remote=f"127.0.0.1:{desk.engine.local_port}", extra=["-s", NUMBER]
    ):
        pass
    await desk.engine.idle()
    async with tenant_session(desk.db, desk.tenant_id) as session:
        assert (await session.scalars(select(AgentCall))).all() == []


async def test_a_language_model_answers_streamed_and_the_opt_out_stays_offline(
    model_desk: Desk, model: ChatServer
) -> None:
    """With a model set, the receptionist speaks what the model streams (heard on the phone,
    after our disclosure); the caller's opt-out is decided offline (the model is not asked)
    and their number goes on the do-not-call list."""
    desk = model_desk
    model.script(
        Reply(
            text="We open at nine and close at five, Monday to Friday. On Saturdays we are "
            "closed. Anything else?",
            delay=0.05,
        )  # fmt: skip
    )
    async with _phone(desk) as ear:
        mark = len(ear.loud)
        await ear.say(await _speech("What are your opening hours?"))
        await _answered(ear, mark)
        await ear.say(await _speech("Please take me off your list."))
    call, _, text = await _record(desk)
    heard = await transcribe_heard(ear)
    assert re.match(r"you('re| are) speaking with an automated assistant", heard), heard
    assert "saturday" in heard, heard  # the model's words: the knowledge never says it
    assert heard.index("automated assistant") < heard.index("saturday")
    assert call.outcome == "opted_out", text
    # The question went to the model; the opt-out never did.
    asked = [r.body["messages"][-1]["content"].lower() for r in model.requests]
    assert "opening hour" in asked[0], asked
    assert not any("list" in said for said in asked), asked
    lists = ContactLists(desk.db, desk.privacy, desk.privacy.clock,
                         desk.engine.settings.signing_key())  # fmt: skip
    assert await lists.blocked(desk.tenant_id, CALLER) == "business"
