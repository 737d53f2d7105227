"""Evaluation calls ("CallScore"): a business has its own number called by a mystery shopper
and the answered call scored on the published rubric.

A member asks for an evaluation (the number, the business's name as callers should hear it,
the questions); it runs as a job on a worker (``agents.evaluation_call``) with the worker's
outbound engine, charged like any call to the member who asked: priced from the operator's rate
table, refused without enough credit, the most the balance pays for reserved before the call
(which caps its length) and the answered time settled after it (``billing.calls``). The report
(every signal with its evidence, the rubric version, the score) is kept 90 days. Reports are
read per call and per number over time, each compared with the number's own history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.accounts.models import Account
from ringfence.billing.calls import CallCharges, Hold
from ringfence.errors import Forbidden, InvalidInput, NotFound, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.processing import why_not
from ringfence.privacy.subjects import account_ref, keyed_ref, phone_ref
from ringfence.services.agents.calls.components import speaker_for
from ringfence.services.agents.calls.rights import BusinessNumbers
from ringfence.services.agents.calls.wiring import lent_detector, load
from ringfence.services.agents.evaluations.scoring import CURRENT, Heard, score
from ringfence.services.agents.evaluations.shopper import MAX_SECONDS, evaluate, scenario
from ringfence.services.agents.models import EvaluationCall
from ringfence.services.agents.purposes import EVALUATION
from ringfence.telephony import Call, TelephonyEngine
from ringfence.telephony.dialing import DialingPolicy, parse
from ringfence.telephony.gate import Caller, OutboundGate, Placement
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

log = get_logger(__name__)
EVALUATION_JOB = "agents.evaluation_call"
KEEP_DAYS = 90
Enqueue = Callable[..., Awaitable[str]]


def key_ref(tenant_id: str) -> str:
    """The data key a business's evaluation reports and transcripts are encrypted with: the
    business's own, so its closure's purge destroys it (``Category.key_field``). They quote the
    business's staff, who are no data subjects here, so no per-person key applies."""
    return f"tenant:{tenant_id}"


def evaluation_dict(e: EvaluationCall) -> dict[str, Any]:
    return {
        "id": e.id, "number": e.number, "business": e.business, "state": e.state,
        "questions": json.loads(e.questions), "rubric_version": e.rubric_version,
        "score": e.score, "requested_at": e.requested_at.isoformat(),
        "finished_at": e.finished_at.isoformat() if e.finished_at else None,
    }  # fmt: skip


class Evaluations:
    def __init__(self, privacy: Privacy, enqueue: Enqueue) -> None:
        self.settings = settings = privacy.settings
        self.privacy = privacy
        self.db = db = privacy.db
        self.clock = clock = privacy.clock
        self.enqueue = enqueue
        self.tenants = Tenants(db, clock)
        self.limiter = RateLimiter(clock)
        self.key = settings.signing_key()
        self.charges = CallCharges(settings, clock)

    async def request(
        self,
        who: Account,
        tenant_id: str,
        number: str,
        business: str,
        asks: list[str],
        service: str = "a visit",
        caller: str | None = None,
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        e164 = await self._admit(who, tenant_id, number)
        try:
            questions = scenario(asks, service)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if not business.strip():
            raise InvalidInput("give the business's name as its callers should hear it")
        now = self.clock.now()
        evaluation = EvaluationCall(
            number=e164,
            business=business.strip()[:120],
            questions=json.dumps([{"asks": q.asks, "say": q.say} for q in questions]),
            caller_number=caller,
            state="queued",
            rubric_version=CURRENT,
            requested_at=now,
            keep_until=now + dt.timedelta(days=KEEP_DAYS),
            key_ref=key_ref(tenant_id),
        )
        async with tenant_session(self.db, tenant_id) as session:
            session.add(evaluation)
        try:
            await self.enqueue(EVALUATION_JOB, tenant_id, evaluation.id, who.id)
        except ServiceUnavailable:
            # Nothing will run it: no row may say "queued" for ever. The 503 says try again.
            async with tenant_session(self.db, tenant_id) as session:
                await session.execute(
                    delete(EvaluationCall).where(EvaluationCall.id == evaluation.id)
                )
            raise
        return evaluation_dict(evaluation)

    async def _admit(self, who: Account, tenant_id: str, raw: str) -> str:
        """The number, if the business may have it evaluated now: the dialling policy, a number
        the business verified, a rate for it (503 without a rate table) and credit of the
        member's for its first billed block (402), and the hourly limit (counted atomically);
        the gate and the reservation check the same again when the job places the call."""
        number = parse(raw, None)
        DialingPolicy(self.settings.telephony.dialing).check(number)
        await BusinessNumbers(self.db, self.key, tenant_id, only_own=True).permit(number)
        async with self.db.session() as session:
            stopped = await why_not(session, [phone_ref(number.e164, self.key)], EVALUATION)
            if stopped is not None:
                raise Forbidden(f"this number cannot be evaluated: {stopped}")
            rate = await self.charges.rate(session, number.e164)
            await self.charges.affordable(session, who.id, rate)
        per_hour = self.settings.agents.evaluations_per_hour
        limit = [
            Limit(
                "agents.evaluation",
                keyed_ref(f"tenant:{tenant_id}", self.key),
                per_hour,
                3600,
                f"at most {per_hour} evaluation calls an hour for one business",
            )
        ]
        async with self.db.session() as session:
            await self.limiter.check(session, limit)
            self.limiter.hit(session, limit)
        return number.e164

    async def get(self, who: Account, tenant_id: str, evaluation_id: str) -> dict[str, Any]:
        """One report, with how its score compares with the number's earlier ones."""
        await self.tenants.role(who, tenant_id, "calls.read")
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(EvaluationCall, evaluation_id[:32])
            if found is None:
                raise NotFound("no evaluation of this business has this id")
            earlier = (
                await session.scalars(
                    select(EvaluationCall.score).where(
                        EvaluationCall.number == found.number,
                        EvaluationCall.requested_at < found.requested_at,
                        EvaluationCall.score.is_not(None),
                    )
                )
            ).all()
            out = evaluation_dict(found)
            out["report"] = await self._opened(session, found.key_ref, found.report, None)
            out["transcript"] = await self._opened(session, found.key_ref, found.transcript, [])
        scores = [s for s in earlier if s is not None]
        out["history"] = {
            "earlier": len(scores),
            "mean": round(sum(scores) / len(scores), 1) if scores else None,
        }
        return out

    async def _sealed(self, session: AsyncSession, ref: str, value: Any) -> bytes:
        return await self.privacy.vault.encrypt(session, ref, json.dumps(value).encode())

    async def _opened(
        self, session: AsyncSession, ref: str, stored: bytes | None, empty: Any
    ) -> Any:
        """A report or transcript as JSON, or ``empty`` when not (or no longer) kept."""
        if stored is None:
            return empty
        return json.loads(await self.privacy.vault.decrypt(session, ref, stored))

    async def all(self, who: Account, tenant_id: str) -> list[dict[str, Any]]:
        """Every evaluation, newest first (for the per-number charts over time)."""
        await self.tenants.role(who, tenant_id, "calls.read")
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.scalars(
                select(EvaluationCall).order_by(EvaluationCall.requested_at.desc())
            )
            return [evaluation_dict(e) for e in found.all()]

    async def run(
        self, engine: TelephonyEngine, tenant_id: str, evaluation_id: str, payer: str
    ) -> None:
        """Reserve the call's cost from ``payer``'s credit (the account that asked), place the
        call, settle what it cost, score it, keep the report (the job's work)."""
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(EvaluationCall, evaluation_id)
            if found is None or found.state != "queued":
                return  # done already (a retried job), or deleted
            number, business, caller = found.number, found.business, found.caller_number
            # Asked again when the call is due: the person may have objected meanwhile.
            stopped = await why_not(session, [phone_ref(number, self.key)], EVALUATION)
            found.state = "calling" if stopped is None else "refused"
            if stopped is not None:
                found.finished_at = self.clock.now()
                log.info("evaluation_refused", evaluation=evaluation_id, why=stopped)
                return
            questions = scenario([q["asks"] for q in json.loads(found.questions)])
        gate = OutboundGate(engine, self.db, self.clock, self.settings)
        hold: Hold | None = None
        placed: Call | None = None

        async def place() -> Call:
            nonlocal placed
            assert hold is not None
            placed = await gate.place(
                parse(number, None),
                Caller("agents", account=account_ref(payer), tenant=tenant_id),
                BusinessNumbers(self.db, self.key, tenant_id, only_own=True),
                present=caller,
                placement=Placement(
                    ring_timeout=45, max_duration=min(MAX_SECONDS, hold.max_seconds)
                ),
            )
            return placed

        try:
            async with self.db.session() as session:
                rate = await self.charges.rate(session, number)
                hold = await self.charges.reserve(
                    session, payer, rate, f"evaluation:{evaluation_id}"
                )
            models = await load(self.settings.agents)
            async with lent_detector() as vad:
                heard = await evaluate(place, business, questions,
                                       speaker=speaker_for("default", self.settings.agents),
                                       transcriber=models.transcriber, vad=vad,
                                       clock=self.clock)  # fmt: skip
        except Exception:
            log.exception("evaluation_failed", evaluation=evaluation_id)
            async with tenant_session(self.db, tenant_id) as session:
                failed = await session.get(EvaluationCall, evaluation_id)
                if failed is not None:
                    failed.state, failed.finished_at = "failed", self.clock.now()
            raise
        finally:
            if hold is not None:
                await self._settle(hold, placed)
        await self._keep(tenant_id, evaluation_id, heard)

    async def _settle(self, hold: Hold, call: Call | None) -> None:
        """Charge the answered time of the call (nothing if it was not placed or answered)."""
        if call is not None and call.answered_at is not None:
            await call.wait_ended()
        seconds = call.duration if call is not None else 0.0
        async with self.db.session() as session:
            cost = await self.charges.settle(session, hold, seconds)
        log.info("evaluation_charged", cost=cost, currency=hold.reservation.currency)

    async def _keep(self, tenant_id: str, evaluation_id: str, heard: Heard) -> None:
        report = score(heard)
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(EvaluationCall, evaluation_id)
            if found is None:
                return
            found.finished_at = self.clock.now()
            found.state = "done" if heard.answered_after is not None else "unanswered"
            found.score = report["score"] if heard.answered_after is not None else None
            lines = [
                {"speaker": s.speaker, "start": round(s.start, 2), "end": round(s.end, 2),
                 "text": s.text} for s in heard.lines
            ]  # fmt: skip
            found.report = await self._sealed(session, found.key_ref, report)
            found.transcript = await self._sealed(session, found.key_ref, lines)
