"""One outbound campaign call: dial, learn who answered, and let the agent speak.

The agent's first words on every call are its disclosure (who is calling, that it is an
automated voice) and the opt-out offer (say stop, or press 9), 47 CFR 64.1200(b); only then
"this call is recorded" and why it calls. Pressing 9 or asking not to be called again puts the
number on the business's do-not-call list at once. An answering machine gets, after its beep,
the campaign's message (disclosure and opt-out first too) or nothing, as the campaign says.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy import update

from ringfence.billing.calls import Hold
from ringfence.billing.ledger import InsufficientCredit
from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput, RateLimited
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.answering import Answered, detect, greeting_over
from ringfence.services.agents.calls.charges import (
    NO_CREDIT,
    NO_MINUTES,
    AgentCharges,
    QuotaReached,
)
from ringfence.services.agents.calls.components import Components
from ringfence.services.agents.calls.pipeline import TranscriptLine, VoiceSession
from ringfence.services.agents.calls.rights import BusinessNumbers
from ringfence.services.agents.calls.wiring import (
    CallParts,
    conversation_for,
    lent_detector,
    load,
    models_for,
    voice_session,
)
from ringfence.services.agents.campaigns.call_backs import CampaignCallBacks
from ringfence.services.agents.campaigns.decisions import CALL_BACK, FAILED_AFTER_ANSWER
from ringfence.services.agents.campaigns.rules import CallingRules
from ringfence.services.agents.dialogue.conversation import Conversation
from ringfence.services.agents.models import Campaign
from ringfence.settings import Settings
from ringfence.speech.tts import Speaker
from ringfence.speech.vad import VoiceActivity
from ringfence.store.database import Database
from ringfence.telephony import Call, CallFailed, TelephonyEngine
from ringfence.telephony.calls import EndReason
from ringfence.telephony.dialing import parse
from ringfence.telephony.gate import Caller, OutboundGate, Placement
from ringfence.telephony.recording import Recorder
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session

log = get_logger(__name__)
OPT_OUT_KEY = "9"
OPT_OUT_OFFER = "To stop these calls, say stop calling me, or press 9 at any time."
UNANSWERED = {
    EndReason.BUSY: "busy",
    EndReason.NO_ANSWER: "no_answer",
    EndReason.CANCELLED: "no_answer",  # rang until the campaign's ring time, then CANCEL
    EndReason.REJECTED: "rejected",
}


@dataclass(frozen=True)
class Dial:
    """What one dial needs; the number is held in memory only while the call is placed."""

    tenant_id: str
    agent_id: str
    e164: str
    caller: str | None
    opening: str  # the campaign's reason for calling
    on_machine: str  # hangup | message
    voicemail: str
    ring_seconds: float
    campaign_id: str = ""
    ends_at: dt.datetime | None = None  # the campaign's end: no call-back is promised after it


@dataclass
class Talked:
    """How long the call in progress was answered for (its charge), once it ended."""

    seconds: float = 0.0


@dataclass(frozen=True)
class DialResult:
    outcome: str  # answered | opted_out | message_left | machine | failed_after_answer | busy...
    sip_status: int | None = None
    agent_call_id: str | None = None
    answered_by: str = ""  # Answered's value, when the call was answered
    call_back_at: dt.datetime | None = None  # the call-back promised to the contact (UTC)


class OutboundCaller:
    def __init__(
        self, settings: Settings, db: Database, privacy: Privacy, engine: TelephonyEngine,
        clock: Clock,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.db = db
        self.engine = engine
        self.clock = clock
        self.parts = CallParts.make(settings, db, privacy, clock)
        self.charges = AgentCharges(settings, db, clock)

    async def call(self, dial: Dial, commit: Callable[[], Awaitable[bool]]) -> DialResult | None:
        """Prepare the agent, then ``commit`` (the dialler records the attempt; False: the call
        must not be placed now) and dial at once: a worker that dies in between leaves a
        record of a dial that may not have left, never a dial without a record."""
        async with self.db.session() as session:
            tenant = await session.get(Tenant, dial.tenant_id)
        hosted = await models_for(self.db, self.parts.key, dial.e164)
        conversation = (
            await conversation_for(self.db, self.settings, tenant, dial.agent_id, hosted=hosted)
            if tenant is not None
            else None
        )
        if conversation is None:
            return DialResult("failed")  # the agent was deleted since the campaign started
        conversation.greeting = dial.opening
        conversation.opt_out_offer = OPT_OUT_OFFER
        agents = self.settings.agents
        rules = CallingRules(agents.calling_hours, agents.stricter_hours)
        conversation.call_backs = CampaignCallBacks.make(dial.e164, rules, dial.ends_at, self.clock)
        models = await load(self.settings.agents, hosted=hosted)
        async with lent_detector() as vad:
            return await self._dial(dial, commit, conversation, models, vad)

    async def _dial(
        self,
        dial: Dial,
        commit: Callable[[], Awaitable[bool]],
        conversation: Conversation,
        models: Components,
        vad: VoiceActivity,
    ) -> DialResult | None:
        try:
            left = await self.charges.seconds_left(dial.tenant_id)
            hold = await self.charges.hold(
                dial.tenant_id, dial.e164, f"campaign:{uuid4().hex}", campaign=True
            )
        except QuotaReached:
            await self._pause(dial, NO_MINUTES)
            return None
        except InsufficientCredit:
            await self._pause(dial, NO_CREDIT)
            return None  # not dialled: the call goes back to the queue
        answered = Talked()
        try:
            return await self._charged(
                dial, commit, conversation, models, vad, hold, left, answered
            )
        finally:
            if hold is not None:  # settled however the call went: the rest is released
                await asyncio.shield(self.charges.settle(hold, answered.seconds))

    async def _pause(self, dial: Dial, reason: str) -> None:
        """Stop the campaign's dialling, saying why on its page (a start resumes it)."""
        async with tenant_session(self.db, dial.tenant_id) as session:
            await session.execute(
                update(Campaign)
                .where(Campaign.id == dial.campaign_id, Campaign.state == "running")
                .values(state="paused", pause_reason=reason, updated_at=self.clock.now())
            )
        log.warning("campaign_paused", campaign=dial.campaign_id)

    async def _charged(
        self,
        dial: Dial,
        commit: Callable[[], Awaitable[bool]],
        conversation: Conversation,
        models: Components,
        vad: VoiceActivity,
        hold: Hold | None,
        left: float | None,
        answered: Talked,
    ) -> DialResult | None:
        if not await commit():
            return None
        caps = [self.settings.agents.max_call_seconds, hold.max_seconds if hold else None, left]
        longest = min(int(cap) for cap in caps if cap is not None)
        gate = OutboundGate(self.engine, self.db, self.clock, self.settings)
        try:
            call = await gate.place(
                parse(dial.e164, None),
                Caller("agents", tenant=dial.tenant_id),
                BusinessNumbers(self.db, self.settings.signing_key(), dial.tenant_id),
                present=dial.caller,
                placement=Placement(
                    ring_timeout=dial.ring_seconds,
                    max_duration=longest,
                ),
            )
        except (InvalidInput, Forbidden) as exc:
            # The gate's policy refuses this number: dialling it again would be refused too.
            log.warning("campaign_dial_refused", error=type(exc).__name__)
            return DialResult("refused")
        except (CallFailed, RateLimited) as exc:
            # A limit reached or the carrier out of reach: retried later, like any failed call.
            log.warning("campaign_dial_failed", error=type(exc).__name__)
            return DialResult("failed")
        if not await call.wait_answered():
            reason = call.end_reason or EndReason.FAILED
            if reason is EndReason.MEDIA_FAILED:
                return DialResult(FAILED_AFTER_ANSWER, call.status)
            return DialResult(UNANSWERED.get(reason, "failed"), call.status)
        call.recorder = Recorder() if await self.parts.may_record(dial.e164) else None
        call.store_recording = False
        answered_by = ""
        transcript: list[TranscriptLine] = []
        try:
            found = await detect(call.audio(), vad, models.transcriber)
            answered_by = found.answered.value
            speaker = await self.parts.speaker(dial.tenant_id, conversation.voice)
            if found.answered is Answered.MACHINE:
                outcome, transcript = await self._machine(call, dial, conversation, speaker)
            else:
                vad.reset()
                voice = voice_session(
                    call,
                    conversation,
                    models,
                    speaker,
                    self.settings.agents,
                    self.clock,
                    vad=vad,
                    opt_out=lambda: self._opt_out(dial),
                )
                transcript = voice.transcript
                keys = asyncio.ensure_future(self._keypad(call, voice))
                try:
                    await voice.run()
                finally:
                    keys.cancel()
                outcome = conversation.outcome
                outcome = outcome if outcome in ("opted_out", CALL_BACK) else "answered"
        except Exception:
            # Answered, then our side failed: recorded as such, never taken for a busy line.
            log.exception("campaign_call_failed_after_answer", call=call.id)
            outcome = FAILED_AFTER_ANSWER
        finally:
            await call.hangup()
            await call.wait_ended()
            answered.seconds = call.duration
        kept = await asyncio.shield(self._keep(call, dial, conversation, outcome, transcript))
        # A promise made before our side failed is kept all the same.
        promised = conversation.call_back_at
        return DialResult(outcome, call.status, call.id if kept else None, answered_by,
                          promised.astimezone(dt.UTC) if promised else None)  # fmt: skip

    async def _machine(
        self, call: Call, dial: Dial, conversation: Conversation, speaker: Speaker
    ) -> tuple[str, list[TranscriptLine]]:
        if dial.on_machine != "message" or not dial.voicemail.strip():
            return "machine", []
        if await greeting_over(call.audio()) == "ended":
            return "machine", []
        text = (f"{conversation.disclosure} {dial.voicemail.strip()} To stop these calls, "
                f"call us back and say stop calling me.")  # fmt: skip
        pcm = await speaker.synthesize(text)
        start = call.duration
        call.play(pcm)
        await call.played()
        return "message_left", [TranscriptLine("agent", start, start + len(pcm) / 16000, text)]

    async def _keypad(self, call: Call, voice: VoiceSession) -> None:
        async for event in call.events():
            if event.kind == "dtmf" and event.digit == OPT_OUT_KEY:
                voice.say_now(voice.conversation.keypad_opt_out())
                return

    async def _opt_out(self, dial: Dial) -> None:
        await self.parts.contacts.opt_out(dial.tenant_id, dial.e164)

    async def _keep(
        self,
        call: Call,
        dial: Dial,
        conversation: Conversation,
        outcome: str,
        transcript: list[TranscriptLine],
    ) -> bool:
        summary = (
            "A message was left."
            if outcome == "message_left"
            else "Answered, then the call failed on our side."
            if outcome == FAILED_AFTER_ANSWER
            else conversation.summary()
        )
        try:
            finished = self.parts.finished(
                call,
                tenant_id=dial.tenant_id,
                agent_id=dial.agent_id,
                e164=dial.e164,
                conversation=conversation,
                outcome=outcome,
                summary=summary,
                transcript=transcript,
            )
            await self.parts.records.save(finished)
        except Exception:
            log.exception("campaign_call_not_kept", call=call.id)
            return False
        return True
