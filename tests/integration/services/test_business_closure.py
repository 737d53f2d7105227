"""A business closes: its agent declines calls at once (SIPp), what it kept stays readable for the
declared period, then the sweeper (run later on the injected clock) deletes every row of it,
its voices at the provider, and the data keys only it used; a key another business still needs
is kept, and so is the owner's account."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from ringfence.accounts.models import Account
from ringfence.clock import SystemClock
from ringfence.errors import Conflict, InvalidInput
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import AuditEntry, DataKey
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.receptionist import Receptionist
from ringfence.services.agents.evaluations.service import key_ref
from ringfence.services.agents.models import (
    Agent,
    AgentCall,
    AgentNumber,
    AgentRecording,
    Contact,
    CustomVoice,
    EvaluationCall,
)
from ringfence.services.agents.testing import CALLER_ID, CONSENTED, open_shop, verify_number
from ringfence.services.agents.voices.service import provider_for
from ringfence.store import Database
from ringfence.store.base import Base
from ringfence.telephony import TelephonyEngine
from ringfence.tenants.lifecycle import Lifecycle
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from ringfence.testing import FakeClock
from tests.conftest import ENGINES, SettingsFactory
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, sipp_peer
from tests.support.voice_provider import Provider, voice_provider

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
NUMBER = "+442071838750"  # the agent's number
CALLER = "+14155550142"  # a caller of the closed business only
SHARED = "+442079460123"  # a contact of both businesses
ONLY_HERE = "+442079460124"  # a contact of the closed business only


@dataclass
class Closing:
    settings: Any
    db: Database
    privacy: Privacy
    clock: FakeClock
    engine: TelephonyEngine
    tenant_id: str
    other_id: str
    owner_id: str
    provider: Provider


@pytest.fixture
async def closing(make_settings: SettingsFactory, database_url: str) -> AsyncIterator[Closing]:
    low, high = free_rtp_range()
    async with voice_provider() as (url, provider):
        settings = make_settings(
            database_url=database_url,
            telephony={"enabled": True, "sip_host": "127.0.0.1", "sip_port": free_port(),
                       "rtp_port_min": low, "rtp_port_max": high,
                       "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": free_port()}]},
            agents={"voice_clone_url": url},
        )  # fmt: skip
        db = Database(database_url)
        clock = FakeClock(NOW)
        privacy = Privacy(settings, db, clock)  # what the test does, at the times it chooses
        live = Privacy(settings, db, SystemClock())  # the telephony's, on real time
        engine = TelephonyEngine(settings, privacy=live)
        await engine.start()
        try:
            shop = await open_shop(
                settings, db, clock, [(SHARED, CONSENTED), (ONLY_HERE, CONSENTED)]
            )
            other = await open_shop(settings, db, clock, [(SHARED, CONSENTED)])
            await _answering_agent(settings, db, clock, shop.tenant_id, shop.agent_id)
            await _call_and_voice(settings, db, privacy, shop.tenant_id, shop.agent_id)
            await Receptionist(settings, db, live, engine, live.clock).start()
            yield Closing(settings, db, privacy, clock, engine, shop.tenant_id, other.tenant_id,
                          shop.owner.id, provider)  # fmt: skip
        finally:
            await engine.stop()
            await db.dispose()


async def _answering_agent(
    settings: Any, db: Database, clock: FakeClock, tenant_id: str, agent_id: str
) -> None:
    async with tenant_session(db, tenant_id) as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        agent.phone_number = NUMBER
    async with db.session() as session:
        session.add(AgentNumber(number=NUMBER, tenant_id=tenant_id, agent_id=agent_id))
    await verify_number(settings, db, clock, tenant_id, NUMBER)


async def _call_and_voice(
    settings: Any, db: Database, privacy: Privacy, tenant_id: str, agent_id: str
) -> None:
    """A call the agent answered (its transcript and recording encrypted with the caller's
    key), an evaluation call's transcript (encrypted with the business's key), and a custom
    voice made at the provider."""
    ref = phone_ref(CALLER, settings.signing_key())
    now = privacy.clock.now()
    voice_id = await provider_for(settings).create("Front desk", b"RIFF....WAVE")
    async with tenant_session(db, tenant_id) as session:
        seal = privacy.vault.encrypt
        session.add(AgentCall(id="call1", agent_id=agent_id, direction="inbound", subject_ref=ref,
                              caller_masked="+1 415 ••• ••42", started_at=now, outcome="answered",
                              summary=await seal(session, ref, b"asked the hours"),
                              transcript=await seal(session, ref, b"when do you open"),
                              keep_until=now + dt.timedelta(days=90)))  # fmt: skip
        session.add(AgentRecording(call_id="call1", subject_ref=ref, seconds=3.0,
                                   audio=await seal(session, ref, b"RIFF"),
                                   keep_until=now + dt.timedelta(days=90)))  # fmt: skip
        business = key_ref(tenant_id)
        session.add(EvaluationCall(number=NUMBER, business="Harbour", questions="[]",
                                   state="done", rubric_version="1", requested_at=now,
                                   keep_until=now + dt.timedelta(days=90), key_ref=business,
                                   transcript=await seal(session, business, b"[]")))  # fmt: skip
        session.add(CustomVoice(name="Front desk", state="ready", token_hash="t" * 64,
                                speaker_hash="h", scope="answering our phone", ready_at=now,
                                provider_voice_id=voice_id, created_at=now))  # fmt: skip


async def _rows_of(db: Database, tenant_id: str) -> dict[str, int]:
    """How many rows of every table name the business (its ``tenant_id``)."""
    counts: dict[str, int] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" in table.c:
                found = await session.scalar(
                    select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
                )
                if found:
                    counts[table.name] = int(found)
    return counts


async def _has_key(db: Database, ref: str) -> bool:
    async with db.session() as session:
        return await session.get(DataKey, ref) is not None


@ENGINES
async def test_a_closed_business_stops_answering_then_its_data_and_keys_are_purged(
    closing: Closing,
) -> None:
    c = closing
    key = c.settings.signing_key()
    lifecycle = Lifecycle(c.db, c.privacy.inventory, c.clock)
    async with c.db.session() as session:
        account = await session.get(Account, c.owner_id)
        assert account is not None
    with pytest.raises(InvalidInput, match="type the business's name"):
        await lifecycle.close(account, c.tenant_id, "Harbour")
    closed = await lifecycle.close(account, c.tenant_id, "  harbour   DENTAL ")
    assert closed.purge_at == NOW + dt.timedelta(days=30)
    with pytest.raises(Conflict, match="this business is closed"):
        await lifecycle.close(account, c.tenant_id, "Harbour Dental")
    async with tenant_session(c.db, c.tenant_id) as session:
        voice = (await session.scalars(select(CustomVoice))).one()
        # Kept "while the business uses the service, and 30 days after": the end is now known.
        assert voice.keep_until == NOW + dt.timedelta(days=30)

    # Its agent no longer answers: the call is declined before it is answered.
    async with sipp_peer(
        "uac_declined", remote=f"127.0.0.1:{c.engine.local_port}", extra=["-s", NUMBER]
    ):
        pass
    await c.engine.idle()

    before = await _rows_of(c.db, c.tenant_id)
    for table in ("agents", "agent_calls", "agent_recordings", "contacts", "custom_voices",
                  "tenant_numbers", "tenant_memberships", "agent_numbers",
                  "evaluation_calls"):  # fmt: skip
        assert before.get(table), (table, before)
    assert before["agent_calls"] == 1  # the declined call left nothing

    # Within the declared period: everything is still there, readable.
    c.clock.set(NOW + dt.timedelta(days=29))
    report = await c.privacy.sweeper().sweep()
    assert report.counts["closed_business"] == 0
    assert await _rows_of(c.db, c.tenant_id) == before
    assert c.provider.voices  # the voice still speaks at the provider
    caller = phone_ref(CALLER, key)
    assert await _has_key(c.db, caller)
    assert await _has_key(c.db, key_ref(c.tenant_id))  # its evaluations' key

    # After it: every row of the business is gone, its voice at the provider, and the keys
    # only it used; the other business's contact keeps its key, the owner keeps the account.
    c.clock.set(NOW + dt.timedelta(days=30, seconds=1))
    report = await c.privacy.sweeper().sweep()
    assert report.counts["closed_business"] == 1
    assert await _rows_of(c.db, c.tenant_id) == {}
    assert c.provider.voices == {} and len(c.provider.deleted) == 1
    assert not await _has_key(c.db, caller)
    assert not await _has_key(c.db, key_ref(c.tenant_id))
    assert not await _has_key(c.db, phone_ref(ONLY_HERE, key))
    assert not await _has_key(c.db, phone_ref(NUMBER, key))
    assert await _has_key(c.db, phone_ref(SHARED, key))
    assert await _has_key(c.db, phone_ref(CALLER_ID, key))
    async with c.db.session() as session:
        assert await session.get(Tenant, c.tenant_id) is None
        assert await session.get(Account, account.id) is not None
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "retention.cascade")
        )
        assert entry is not None and entry.detail["owner"] == c.tenant_id
        # The caller's, a contact's, the agent's number's, the business's own (its
        # evaluations'); the other business verified the shop's caller id too, so that stays.
        assert entry.detail["keys_destroyed"] == 4
    async with tenant_session(c.db, c.other_id) as session:
        (contact,) = (await session.scalars(select(Contact))).all()
        number = await c.privacy.vault.decrypt(session, contact.subject_ref, contact.number)
        assert number.decode() == SHARED
    assert (await _rows_of(c.db, c.other_id)).get("contacts") == 1
