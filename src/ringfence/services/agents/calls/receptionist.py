"""The inbound receptionist: calls to an agent's number are answered by that agent.

Numbers are routed in the telephony engine when the app starts and whenever a member sets an
agent's number in this process (another process picks it up when it restarts). Each call: the
agent's definition is loaded in the business's scope, the call is answered and recorded (the
opening says so first), the voice pipeline runs until someone hangs up, and what it left is
stored encrypted under the caller's key.

A caller whose number restricted the processing of their data, or objected to it
(``purposes.ANSWERING``), gets only the minimal handling: the call is answered, a fixed notice
is played and the call ends. Nothing listens (no voice activity, no recognition, no model of
ours or a processor's), nothing is recorded, no transcript or call record of the agent's is
kept, and the business is not charged; only the telephony call record every call leaves
remains. Playing our own words needs nothing of theirs, and silence or a ring-out would leave
them not knowing why the business did not answer.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from ringfence.billing.calls import Hold
from ringfence.billing.ledger import InsufficientCredit
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.logging import get_logger
from ringfence.media.speech import speak
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.charges import (
    DECLINED,
    OUT_OF_MINUTES,
    AgentCharges,
    QuotaReached,
)
from ringfence.services.agents.calls.pipeline import Line, VoiceSession
from ringfence.services.agents.calls.rights import BusinessNumbers
from ringfence.services.agents.calls.wiring import (
    CallParts,
    conversation_for,
    load,
    models_for,
    stopped_for,
    voice_session,
)
from ringfence.services.agents.dialogue.conversation import Conversation
from ringfence.services.agents.hooks.calling import CallTools
from ringfence.services.agents.models import AgentNumber
from ringfence.services.agents.purposes import ANSWERING
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.telephony import Call, TelephonyEngine
from ringfence.telephony.dialing import parse
from ringfence.telephony.gate import Caller, OutboundGate, Placement
from ringfence.telephony.recording import Recorder
from ringfence.tenants.models import Tenant

log = get_logger(__name__)
TRANSFER_RING_SECONDS = 25
RESTRICTED_NOTICE = (
    "You are through to {business}. You asked for the use of your data to be restricted, so our "
    "automated assistant will not listen to or record this call. Please contact {business} "
    "another way, or lift the restriction on the privacy page of this service. Goodbye."
)
NOTICE_SECONDS = 60  # the longest a call answered only for the notice may last


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
        self.parts = CallParts.make(settings, db, privacy, clock)
        self.charges = AgentCharges(settings, db, clock)

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
        if target is None or tenant is None or tenant.halted:
            # The number was released since it was routed, or the operator suspended the
            # business, or it was closed: its agent does not answer.
            await call.hangup()
            return
        if await stopped_for(self.db, self.parts.key, call.remote, ANSWERING) is not None:
            await self._notice_only(call, tenant.name)
            return
        hosted = await models_for(self.db, self.parts.key, call.remote)
        conversation = await conversation_for(
            self.db, self.settings, tenant, target.agent_id, hosted=hosted
        )
        if conversation is None:
            await call.hangup()
            return
        try:
            left = await self.charges.seconds_left(target.tenant_id)
            hold = await self.charges.hold(target.tenant_id, call.local, f"agent:{call.id}")
        except QuotaReached:
            await self._decline(call, OUT_OF_MINUTES.format(business=tenant.name), "quota")
            return
        except InsufficientCredit:
            await self._decline(call, DECLINED.format(business=tenant.name), "no_credit")
            return
        try:
            await self._serve(call, target, conversation, hold, left, hosted=hosted)
        finally:
            if hold is not None:  # settled however the call went: the rest is released
                await asyncio.shield(self.charges.settle(hold, call.duration))

    async def _serve(
        self,
        call: Call,
        target: AgentNumber,
        conversation: Conversation,
        hold: Hold | None,
        left: float | None,
        *,
        hosted: bool,
    ) -> None:
        models = await load(self.settings.agents, hosted=hosted)
        tools = await CallTools.load(
            self.db, self.settings.agents, self.clock, target.tenant_id, target.agent_id, call.id
        )
        call.recorder = Recorder() if await self.parts.may_record(call.remote) else None
        call.store_recording = False
        caps = [self.settings.agents.max_call_seconds, hold.max_seconds if hold else None, left]
        await call.answer(max_duration=min(int(cap) for cap in caps if cap is not None))
        voice = voice_session(
            call,
            conversation,
            models,
            await self.parts.speaker(target.tenant_id, conversation.voice),
            self.settings.agents,
            self.clock,
            transfer=lambda: self._put_through(call, target, conversation.transfer_to),
            opt_out=lambda: self._opt_out(target.tenant_id, call),
            tools=tools,
        )
        try:
            await voice.run()
        finally:
            await call.wait_ended()
            await asyncio.shield(self._keep(call, target.tenant_id, target.agent_id, voice))

    async def _decline(self, call: Call, words: str, why: str) -> None:
        """Out of credit or of the month's minutes: say so, politely, and hang up (nothing is
        charged or recorded)."""
        await call.answer(max_duration=30)
        call.play(await speak(words))
        await call.played()
        await call.hangup()
        log.info("agent_call_declined", call=call.id, why=why)

    async def _notice_only(self, call: Call, business: str) -> None:
        """The minimal handling of a restricted caller: the notice, then the end of the call.
        The call's audio is never read and no recorder is set, so nothing of theirs is heard."""
        call.recorder = None
        await call.answer(max_duration=NOTICE_SECONDS)
        call.play(await speak(RESTRICTED_NOTICE.format(business=business)))
        await call.played()
        await call.hangup()
        log.info("agent_call_restricted", call=call.id)

    async def _opt_out(self, tenant_id: str, call: Call) -> None:
        """On the business's do-not-call list at once (a caller without a number: nothing)."""
        try:
            await self.parts.contacts.opt_out(tenant_id, call.remote)
        except InvalidInput:
            log.info("agent_opt_out_without_number", call=call.id)

    async def _put_through(
        self, call: Call, target: AgentNumber, number: str | None
    ) -> Line | None:
        """Ring the business's person and join the caller to them. The call shows the agent's
        own number (the one the caller dialled), never the caller's From: presenting an inbound
        caller's number on an outbound call is caller-ID spoofing. The destination passes the
        dialling policy like any call (a transfer number of +1 900 ... is refused)."""
        if not number:
            return None
        gate = OutboundGate(self.engine, self.db, self.clock, self.settings)
        try:
            other = await gate.place(
                parse(number, None),
                Caller("agents", tenant=target.tenant_id),
                BusinessNumbers(self.db, self.settings.signing_key(), target.tenant_id),
                present=target.number,
                placement=Placement(ring_timeout=TRANSFER_RING_SECONDS),
            )
        except RingfenceError as exc:
            log.warning("agent_transfer_refused", call=call.id, error=exc.message)
            return None
        answered = await asyncio.wait_for(other.wait_answered(), TRANSFER_RING_SECONDS + 5)
        return other if answered else None

    async def _keep(self, call: Call, tenant_id: str, agent_id: str, voice: VoiceSession) -> None:
        conversation = voice.conversation
        try:
            finished = self.parts.finished(
                call,
                tenant_id=tenant_id,
                agent_id=agent_id,
                e164=call.remote,
                conversation=conversation,
                outcome=conversation.outcome,
                summary=conversation.summary(),
                transcript=voice.transcript,
            )
            await self.parts.records.save(finished)
        except Exception:
            log.exception("agent_call_not_kept", call=call.id)
