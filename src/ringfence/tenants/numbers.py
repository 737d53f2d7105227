"""The numbers a business proved it controls: the only ones its agents answer (an inbound route)
and the only ones it shows as caller id.

A business cannot simply claim a number: someone with the right role asks (``offer``), the page
shows a short code and keeps a sealed token, and ``call`` places a call through the outbound gate
to that number that asks for the code on the keypad (``telephony.keypad.code_call``, RFC 4733 or
SIP INFO). Only when the code is typed is the number kept, encrypted with its own subject's key
and found by a keyed hash (``VerifiedNumber``). A token places one call, and a business places
at most ``VERIFICATIONS_PER_HOUR`` of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ringfence.abuse.captcha import spend_once
from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.accounts.models import Account
from ringfence.errors import Forbidden, NotFound, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.media.speech import spoken_prompt
from ringfence.privacy.audit import Audit
from ringfence.privacy.core import Privacy
from ringfence.privacy.sealed import seal, unseal
from ringfence.privacy.subjects import keyed_ref, phone_ref
from ringfence.redact import mask_number
from ringfence.settings import Settings
from ringfence.store.base import new_sortable_id
from ringfence.store.database import Database
from ringfence.telephony.calls import Call
from ringfence.telephony.dialing import PHONES, DialingPolicy, parse
from ringfence.telephony.engine import TelephonyEngine
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate, Placement
from ringfence.telephony.keypad import CodePrompt, code_call, new_code
from ringfence.telephony.progress import Progress, Tracker
from ringfence.tenants.models import BUSINESS_NUMBERS, VerifiedNumber
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

log = get_logger(__name__)
CODE_TTL = 600  # seconds a code can be used
VERIFICATIONS_PER_HOUR = 3
PURPOSE = "tenants.number"
PROMPT = CodePrompt(
    "This is ringfence. To prove this number belongs to your business, type the code shown "
    "on the page.",
    "Done: this number is now your business's. Goodbye.",
)


@dataclass(frozen=True)
class BusinessNumber:
    id: str
    number: str
    verified_at: dt.datetime


@dataclass(frozen=True)
class NumberOffer:
    """What the page shows while a number is being proved: the code, the number as written
    internationally, and the sealed token that brings both back to place the call."""

    token: str
    code: str
    number: str


async def controls(db: Database, key: bytes, tenant_id: str, e164: str) -> bool:
    """Whether the business proved it controls ``e164`` (found by its keyed hash, ``key`` the
    platform's signing key)."""
    async with tenant_session(db, tenant_id) as session:
        found = await session.scalar(
            select(VerifiedNumber.id).where(VerifiedNumber.subject_ref == phone_ref(e164, key))
        )
    return found is not None


class TenantNumbers:
    """``engine``: the app's telephony engine, when it runs (the proving call needs it)."""

    def __init__(
        self,
        settings: Settings,
        privacy: Privacy,
        engine: Callable[[], TelephonyEngine | None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.privacy = privacy
        self.db = privacy.db
        self.clock = privacy.clock
        self.engine = engine
        self.key = settings.signing_key()
        self.tenants = Tenants(self.db, self.clock)
        self.limiter = RateLimiter(self.clock)
        self.audit = Audit(self.clock)
        self.tracker = Tracker()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- what the business has -----------------------------------------------------------------

    async def of(self, tenant_id: str) -> list[BusinessNumber]:
        """The business's verified numbers, oldest first."""
        vault = self.privacy.vault
        async with tenant_session(self.db, tenant_id) as session:
            rows = (
                await session.scalars(select(VerifiedNumber).order_by(VerifiedNumber.verified_at))
            ).all()
            return [
                BusinessNumber(
                    row.id,
                    (await vault.decrypt(session, row.subject_ref, row.number)).decode(),
                    row.verified_at,
                )
                for row in rows
            ]

    async def controls(self, tenant_id: str, e164: str) -> bool:
        return await controls(self.db, self.key, tenant_id, e164)

    async def require(self, tenant_id: str, e164: str) -> None:
        """Forbidden, saying how to fix it, unless the business verified ``e164``."""
        if not await self.controls(tenant_id, e164):
            raise Forbidden(
                f"{mask_number(e164)} is not a number this business has verified: verify it "
                "first (a call to it asks for a code)"
            )

    async def number(self, tenant_id: str, number_id: str) -> str:
        """The number of one of the business's verified numbers; Forbidden for any other id."""
        for known in await self.of(tenant_id):
            if known.id == number_id:
                return known.number
        raise Forbidden("that number is not one this business has verified")

    async def add(self, tenant_id: str, e164: str) -> None:
        """Keep a number the business has just proved it controls (once; again is a no-op)."""
        ref = phone_ref(e164, self.key)
        try:
            async with tenant_session(self.db, tenant_id) as session:
                if await session.scalar(
                    select(VerifiedNumber.id).where(VerifiedNumber.subject_ref == ref)
                ):
                    return
                session.add(
                    VerifiedNumber(
                        subject_ref=ref,
                        number=await self.privacy.vault.encrypt(session, ref, e164.encode()),
                        number_tail=e164[-2:],
                        verified_at=self.clock.now(),
                    )
                )
        except IntegrityError:
            return  # proved twice at once: it is kept once

    # -- what members do -----------------------------------------------------------------------

    async def list(self, who: Account, tenant_id: str) -> list[BusinessNumber]:
        await self.tenants.role(who, tenant_id, "agents.read")
        return await self.of(tenant_id)

    async def remove(self, who: Account, tenant_id: str, number_id: str) -> str:
        """Forget one of the business's numbers; returns it (its routes are the caller's to
        drop). NotFound for an id that is not the business's."""
        await self.tenants.role(who, tenant_id, "numbers.manage")
        async with tenant_session(self.db, tenant_id) as session:
            row = await session.get(VerifiedNumber, number_id[:32])
            if row is None:
                raise NotFound("no number of this business has this id")
            e164 = (await self.privacy.vault.decrypt(session, row.subject_ref, row.number)).decode()
            await session.delete(row)
            self.audit.record(
                session,
                actor_kind="subject",
                actor_id=who.subject_ref,
                action="tenant.number.removed",
                category=BUSINESS_NUMBERS,
                tenant=tenant_id,
            )
        return e164

    async def offer(
        self, who: Account, tenant_id: str, raw: str, country: str | None
    ) -> NumberOffer:
        """A code to show and a sealed token; ``call`` places the call that asks for the code.
        Only phones (fixed or mobile) the dialling policy allows can be verified."""
        await self.tenants.role(who, tenant_id, "numbers.manage")
        number = parse(raw, country)
        DialingPolicy(self.settings.telephony.dialing).check(number, kinds=PHONES)
        code = new_code()
        token = seal(
            {
                "tenant": tenant_id,
                "account": who.id,
                "e164": number.e164,
                "code": code,
                "n": secrets.token_hex(8),
            },
            key=self.key,
            purpose=PURPOSE,
            expires=self.clock.now() + dt.timedelta(seconds=CODE_TTL),
        )
        return NumberOffer(token, code, number.international)

    async def call(self, who: Account, tenant_id: str, token: str) -> str:
        """Place the call that asks for the token's code; the call's id (``watch`` follows it).
        The number is the business's once the code is typed."""
        await self.tenants.role(who, tenant_id, "numbers.manage")
        engine = self.engine()
        if engine is None or not engine.running or not engine.carriers:
            raise ServiceUnavailable("calling is not set up on this server: no phone carrier")
        now = self.clock.now()
        data = unseal(token, key=self.key, purpose=PURPOSE, now=now)
        if data.get("tenant") != tenant_id or data.get("account") != who.id:
            raise Forbidden("this code was given to someone else: ask for a new one")
        e164, code = str(data["e164"]), str(data["code"])
        limit = [
            Limit(
                "tenants.verify",
                keyed_ref(f"tenant:{tenant_id}", self.key),
                VERIFICATIONS_PER_HOUR,
                3600,
                f"at most {VERIFICATIONS_PER_HOUR} verification calls an hour for one business",
            )
        ]
        async with self.db.session() as session:
            await spend_once(
                session,
                f"{PURPOSE}:{data['n']}",
                expires=now + dt.timedelta(seconds=CODE_TTL),
                refusal="this code has already been used to place a call: ask for a new one",
            )
            await self.limiter.check(session, limit)
            self.limiter.hit(session, limit)
        call_id = new_sortable_id()
        progress = self.tracker.start(call_id, f"{tenant_id}:{who.id}", "verify")
        await progress.step("dialling")
        try:
            call = await OutboundGate(engine, self.db, self.clock, self.settings).place(
                parse(e164, None),
                Caller("tenants", account=who.subject_ref, tenant=tenant_id),
                AnyNumber(),  # the policy (phones only) is the right; nothing is shown
                kinds=PHONES,
                placement=Placement(ring_timeout=60, max_duration=120),
            )
        except Exception:
            await progress.step("ended", outcome="failed")
            self.tracker.finished(call_id)
            raise

        async def keep() -> None:
            await self.add(tenant_id, e164)
            async with self.db.session() as session:
                self.audit.record(
                    session,
                    actor_kind="subject",
                    actor_id=who.subject_ref,
                    action="tenant.number.verified",
                    category=BUSINESS_NUMBERS,
                    tenant=tenant_id,
                )
            log.info("business_number_verified", tenant=tenant_id, number=mask_number(e164))

        task = asyncio.create_task(self._follow(call_id, call, code, progress, keep))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call_id

    async def _follow(
        self,
        call_id: str,
        call: Call,
        code: str,
        progress: Progress,
        keep: Callable[[], Awaitable[None]],
    ) -> None:
        verified = False
        try:
            verified = await code_call(
                call, code, prompt=PROMPT, speak=spoken_prompt, on_match=keep, progress=progress
            )
        finally:
            await progress.step("ended", outcome="verified" if verified else "not verified")
            self.tracker.finished(call_id)

    def watch(self, who: Account, tenant_id: str, call_id: str) -> Progress:
        """The progress of a proving call this member placed (NotFound for anyone else's)."""
        progress = self.tracker.get(call_id)
        if progress is None or progress.visitor != f"{tenant_id}:{who.id}":
            raise NotFound("no verification call of yours has this id")
        return progress

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
