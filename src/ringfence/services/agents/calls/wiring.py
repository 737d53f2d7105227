"""One wiring for every call with an agent on it: the receptionist's, an outbound campaign call,
the browser talk, and (recognition and voice activity) the mystery shopper's.

``CallParts`` are what a caller of agents holds for its life (the records it writes, the contact
lists an opt-out goes on, the custom voices); ``load`` takes the pipeline's models off the event
loop, ``lent_detector`` lends a voice-activity detector for one call, and ``voice_session`` puts
the pipeline on a line; ``conversation_for`` gives a call the agent as it is now.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ringfence.clock import Clock
from ringfence.privacy.core import Privacy
from ringfence.privacy.processing import Purpose, why_not
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.components import Components, components, speaker_for
from ringfence.services.agents.calls.pipeline import Line, TranscriptLine, VoiceSession
from ringfence.services.agents.calls.records import CallRecords, FinishedCall
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.dialogue.conversation import Conversation, Toolbox
from ringfence.services.agents.dialogue.model import language_model
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.services.agents.models import Agent, AgentCall, KnowledgeEntry
from ringfence.services.agents.purposes import HOSTED_MODELS
from ringfence.services.agents.voices.service import Voices
from ringfence.settings import AgentSettings, Settings
from ringfence.speech.tts import Speaker
from ringfence.speech.vad import VoiceActivity, give_back_detector, take_detector
from ringfence.store.database import Database
from ringfence.telephony import Call
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session


async def load(settings: AgentSettings, *, hosted: bool = True) -> Components:
    """The pipeline's models, loaded once per process in a thread (about a second the first
    time: the media clock of every call in the process would stall for it). ``hosted=False``:
    the offline speech-to-text even where a hosted one is set (``models_for``)."""
    if not hosted and settings.stt == "hosted":
        settings = settings.model_copy(update={"stt": "whisper"})
    return await asyncio.to_thread(components, settings)


async def stopped_for(db: Database, key: bytes, e164: str, purpose: Purpose) -> str | None:
    """Why the person on ``e164`` may not be processed for ``purpose`` (they restricted the
    processing of their data, or objected to it); None when they may."""
    if not e164.startswith("+"):
        return None  # a caller without a number: nobody to have restricted anything
    async with db.session() as session:
        return await why_not(session, [phone_ref(e164, key)], purpose)


async def models_for(db: Database, key: bytes, e164: str) -> bool:
    """Whether the hosted models may hear the person on ``e164`` (``purposes.HOSTED_MODELS``)."""
    return await stopped_for(db, key, e164, HOSTED_MODELS) is None


@asynccontextmanager
async def lent_detector() -> AsyncIterator[VoiceActivity]:
    """A voice-activity detector for one call, taken off the event loop and given back after."""
    vad = await asyncio.to_thread(take_detector)
    try:
        yield vad
    finally:
        give_back_detector(vad)


def voice_session(
    line: Line,
    conversation: Conversation,
    parts: Components,
    speaker: Speaker,
    settings: AgentSettings,
    clock: Clock,
    *,
    vad: VoiceActivity | None = None,
    transfer: Callable[[], Awaitable[Line | None]] | None = None,
    opt_out: Callable[[], Awaitable[None]] | None = None,
    tools: Toolbox | None = None,
) -> VoiceSession:
    """The voice pipeline on ``line``, with the settings' no-input timeout."""
    return VoiceSession(
        line=line,
        conversation=conversation,
        transcriber=parts.transcriber,
        speaker=speaker,
        clock=clock,
        no_input_seconds=settings.no_input_seconds,
        transfer=transfer,
        opt_out=opt_out,
        tools=tools,
        vad=vad,
    )


@dataclass(frozen=True)
class CallParts:
    """What places or answers calls with an agent holds: the records each call leaves, the
    contact lists an opt-out goes on, the business's custom voices, and the key subject
    references are made with."""

    settings: Settings
    clock: Clock
    key: bytes
    records: CallRecords
    contacts: ContactLists
    voices: Voices

    @classmethod
    def make(cls, settings: Settings, db: Database, privacy: Privacy, clock: Clock) -> CallParts:
        key = settings.signing_key()
        return cls(
            settings=settings,
            clock=clock,
            key=key,
            records=CallRecords(settings, db, privacy, clock),
            contacts=ContactLists(db, privacy, clock, key),
            voices=Voices(settings, db, privacy, clock),
        )

    async def speaker(self, tenant_id: str, voice: str) -> Speaker:
        """The agent's voice: the business's custom voice it names, else the built-in one."""
        custom = await self.voices.speaker(tenant_id, voice)
        return custom or speaker_for(voice, self.settings.agents)

    async def may_record(self, e164: str) -> bool:
        """Whether the call with ``e164`` may be recorded: not once that person limited the use
        of their sensitive personal information (CPRA): a recording kept for the business
        serves beyond the call itself, which goes on unrecorded."""
        ref = phone_ref(e164, self.key) if e164 else ""
        async with self.records.db.session() as session:
            return not await self.records.privacy.consents.limited(session, [ref])

    def finished(
        self,
        call: Call,
        *,
        tenant_id: str,
        agent_id: str,
        e164: str,
        conversation: Conversation,
        outcome: str,
        summary: str,
        transcript: list[TranscriptLine],
    ) -> FinishedCall:
        """What an ended call leaves, its recording included, for ``records.save``."""
        recorder = call.recorder
        return FinishedCall(
            id=call.id,
            tenant_id=tenant_id,
            agent_id=agent_id,
            direction=call.direction,
            subject_ref=phone_ref(e164, self.key),
            caller_masked=call.masked_remote,
            started_at=call.started_at,
            ended_at=call.ended_at or self.clock.now(),
            outcome=outcome,
            summary=summary,
            transcript=[line.to_dict() for line in transcript],
            booked=conversation.booked,
            recording=recorder.wav() if recorder and recorder.seconds else b"",
            recording_seconds=recorder.seconds if recorder else 0.0,
        )


async def conversation_for(
    db: Database, settings: Settings, tenant: Tenant, agent_id: str, *, hosted: bool = True
) -> Conversation | None:
    """A new conversation with the agent as it is now (knowledge, free slots), or None;
    ``hosted=False``: the offline dialogue even where a hosted model is set."""
    async with tenant_session(db, tenant.id) as session:
        agent = await session.get(Agent, agent_id)
        if agent is None:
            return None
        entries = (
            await session.scalars(
                select(KnowledgeEntry)
                .where(KnowledgeEntry.agent_id == agent.id)
                .order_by(KnowledgeEntry.position, KnowledgeEntry.id)
            )
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
    parts = await load(settings.agents)
    offline = await asyncio.to_thread(Dialogue, parts.embedder, tenant.name, knowledge)
    model = (
        language_model(settings.agents, tenant.name, instructions, knowledge) if hosted else None
    )
    return Conversation(offline, parts.embedder, tenant.name, model=model, **fields)
