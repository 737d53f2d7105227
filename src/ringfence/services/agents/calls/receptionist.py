"""The inbound receptionist: calls to an agent's number are answered by that agent.

Numbers are routed in the telephony engine when the app starts and whenever a member sets an
agent's number in this process (another process picks it up when it restarts). Each call: the
agent's definition is loaded in the business's scope, the call is answered and recorded (the
opening says so first), the voice pipeline runs until someone hangs up, and what it left is
stored encrypted under the caller's key.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from ringfence.clock import Clock
from ringfence.errors import InvalidInput
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.components import components, speaker_for
from ringfence.services.agents.calls.pipeline import Line, VoiceSession
from ringfence.services.agents.calls.records import CallRecords, FinishedCall
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.dialogue.conversation import Conversation, Responder
from ringfence.services.agents.dialogue.hosted import HostedDialogue
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.services.agents.models import Agent, AgentCall, AgentNumber, KnowledgeEntry
from ringfence.services.agents.voices.service import Voices
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.telephony import Call, CallFailed, TelephonyEngine
from ringfence.telephony.recording import Recorder
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session

log = get_logger(__name__)
TRANSFER_RING_SECONDS = 25


class Receptionist:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        privacy: Privacy,
        engine: TelephonyEngine,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.db = db
        self.engine = engine
        self.clock = clock
        self.records = CallRecords(settings, db, privacy, clock)
        self.key = settings.signing_key()
        self.contacts = ContactLists(db, privacy, clock, self.key)
        self.voices = Voices(settings, db, privacy, clock)

    async def start(self) -> None:
        async with self.db.session() as session:
            numbers = (await session.scalars(select(AgentNumber.number))).all()
        for number in numbers:
            self.route(number)

    def route(self, number: str) -> None:
        self.engine.route(number, self.answer, service="agents")

    async def answer(self, call: Call) -> None:
        async with self.db.session() as session:
            target = await session.get(AgentNumber, call.local)
            tenant = await session.get(Tenant, target.tenant_id) if target else None
        if target is None or tenant is None:
            await call.hangup()  # the number was released since it was routed
            return
        conversation = await conversation_for(self.db, self.settings, tenant, target.agent_id)
        if conversation is None:
            await call.hangup()
            return
        parts = await asyncio.to_thread(components, self.settings.agents)
        call.recorder, call.store_recording = Recorder(), False
        await call.answer(max_duration=self.settings.agents.max_call_seconds)
        voice = VoiceSession(
            line=call,
            conversation=conversation,
            transcriber=parts.transcriber,
            speaker=await self.voices.speaker(target.tenant_id, conversation.voice)
            or speaker_for(conversation.voice, self.settings.agents),
            no_input_seconds=self.settings.agents.no_input_seconds,
            transfer=lambda: self._put_through(call, conversation.transfer_to),
            opt_out=lambda: self._opt_out(target.tenant_id, call),
        )
        try:
            await voice.run()
        finally:
            await call.wait_ended()
            await asyncio.shield(self._keep(call, target.tenant_id, target.agent_id, voice))

    async def _opt_out(self, tenant_id: str, call: Call) -> None:
        """On the business's do-not-call list at once (a caller without a number: nothing)."""
        try:
            await self.contacts.opt_out(tenant_id, call.remote)
        except InvalidInput:
            log.info("agent_opt_out_without_number", call=call.id)

    async def _put_through(self, call: Call, number: str | None) -> Line | None:
        if not number:
            return None
        try:
            other = await self.engine.place_call(number, from_=call.remote)
        except CallFailed as exc:
            log.warning("agent_transfer_failed", call=call.id, error=str(exc))
            return None
        answered = await asyncio.wait_for(other.wait_answered(), TRANSFER_RING_SECONDS + 5)
        return other if answered else None

    async def _keep(self, call: Call, tenant_id: str, agent_id: str, voice: VoiceSession) -> None:
        conversation = voice.conversation
        recorder = call.recorder
        try:
            await self.records.save(
                FinishedCall(
                    id=call.id,
                    tenant_id=tenant_id,
                    agent_id=agent_id,
                    direction=call.direction,
                    subject_ref=phone_ref(call.remote, self.key),
                    caller_masked=call.masked_remote,
                    started_at=call.started_at,
                    ended_at=call.ended_at or self.clock.now(),
                    outcome=conversation.outcome,
                    summary=conversation.summary(),
                    transcript=[line.to_dict() for line in voice.transcript],
                    booked=conversation.booked,
                    recording=recorder.wav() if recorder and recorder.seconds else b"",
                    recording_seconds=recorder.seconds if recorder else 0.0,
                )
            )
        except Exception:
            log.exception("agent_call_not_kept", call=call.id)


async def conversation_for(
    db: Database, settings: Settings, tenant: Tenant, agent_id: str
) -> Conversation | None:
    """A new conversation with the agent as it is now (knowledge, free slots), or None."""
    async with tenant_session(db, tenant.id) as session:
        agent = await session.get(Agent, agent_id)
        if agent is None:
            return None
        entries = (
            await session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.agent_id == agent.id))
        ).all()
        knowledge = [(e.question, e.answer) for e in entries]
        instructions = agent.instructions
        booked = set(
            (
                await session.scalars(
                    select(AgentCall.booked_slot).where(
                        AgentCall.agent_id == agent.id, AgentCall.booked_slot.is_not(None)
                    )
                )
            ).all()
        )
        slots = [s.strip() for s in agent.slots.splitlines() if s.strip()]
        fields: dict[str, Any] = {
            "greeting": agent.greeting,
            "disclosure": agent.disclosure,
            "transfer_to": agent.transfer_number,
            "voice": agent.voice,
            "slots": [s for s in slots if s not in booked],
        }
    parts = await asyncio.to_thread(components, settings.agents)
    offline = await asyncio.to_thread(Dialogue, parts.embedder, tenant.name, knowledge)
    dialogue: Responder = offline
    hosted = settings.agents
    if hosted.llm_url:
        key = hosted.api_key.get_secret_value() if hosted.api_key else None
        dialogue = HostedDialogue(hosted.llm_url, hosted.llm_model, key, tenant.name,
                                  instructions, offline)  # fmt: skip
    return Conversation(dialogue, parts.embedder, tenant.name, **fields)
