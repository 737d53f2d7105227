"""Proof that a person answers a phone number, for privacy requests by people without an account
(a business's callers, a campaign's contacts, numbers ring rang).

The page shows a short code and keeps a sealed token (``offer``, once a proof-of-work captcha is
solved, as for ring); ``call`` places a call through
the outbound gate that asks, by speech, for the code on the keypad (``keypad.code_call``: RFC 4733
events or SIP INFO). A correct entry writes a ``PhoneProof`` (the number only as its subject
reference, a keyed hash). The browser that asked, and only it, turns the proof once into a
short session (``claim``) that names the number's subject for the requests of
``privacy.phone_subjects``. Each offer places one call; calls are limited per number and per
client IP; logs carry only a masked number.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from ringfence.abuse.captcha import Captcha, spend_once
from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.clock import Clock
from ringfence.errors import Forbidden, NotFound, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.media.speech import spoken_prompt
from ringfence.privacy.sealed import seal, unseal
from ringfence.privacy.subjects import ip_ref, keyed_ref, phone_ref
from ringfence.redact import mask_number
from ringfence.settings import Settings
from ringfence.store.base import new_sortable_id
from ringfence.store.database import Database
from ringfence.telephony.calls import Call
from ringfence.telephony.dialing import PHONES, DialingPolicy, parse
from ringfence.telephony.engine import TelephonyEngine
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate, Placement
from ringfence.telephony.keypad import CodePrompt, code_call, new_code
from ringfence.telephony.models import PhoneProof
from ringfence.telephony.progress import Progress, Tracker

log = get_logger(__name__)
OFFER = "privacy.phone"
SESSION = "privacy.phone.session"
CODE_TTL = 600  # seconds the code shown on the page can be used to place the call
CLAIM_SECONDS = 600  # seconds after the call in which the browser may turn the proof into a session
SESSION_SECONDS = 900  # how long that session lasts
CALLS_PER_NUMBER_PER_HOUR = 3
CALLS_PER_NUMBER_PER_DAY = 6
CALLS_PER_IP_PER_DAY = 10
PROMPT = CodePrompt(
    "This is ringfence. Someone asked to see or delete what we hold about this phone number. "
    "If it was you, type the code shown on the web page.",
    "Thank you. You can now make your request on the web page. Goodbye.",
)


@dataclass(frozen=True)
class ProofOffer:
    token: str  # sealed: the number, the code, the browser that asked
    code: str
    number: str  # as written internationally, for the page to show back


@dataclass(frozen=True)
class PhoneSession:
    """A browser's proved number: its subject reference and the masked number to show."""

    subject_ref: str
    masked: str
    expires_at: dt.datetime


class NumberProof:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        engine: Callable[[], TelephonyEngine | None],
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.engine = engine
        self.key = settings.signing_key()
        self.dialing = DialingPolicy(settings.telephony.dialing)
        self.limiter = RateLimiter(clock)
        self.captcha = Captcha(settings.captcha, self.key, clock)
        self.tracker = Tracker()
        self._tasks: set[asyncio.Task[Any]] = set()

    def unavailable(self) -> str | None:
        engine = self.engine()
        if engine is None or not engine.running or not engine.carriers:
            return "Calls cannot be placed from this server yet: its operator has no phone carrier."
        return None

    async def offer(self, raw: str, region: str | None, visitor: str, captcha: str) -> ProofOffer:
        """The code to show and the token that brings it back, for a solved captcha (each
        places at most one call); nothing else is stored."""
        number = parse(raw, region)
        self.dialing.check(number, kinds=PHONES)
        async with self.db.session() as session:
            await self.captcha.redeem(session, captcha)
        code = new_code()
        token = seal(
            {"e164": number.e164, "code": code, "visitor": visitor, "n": secrets.token_hex(12)},
            key=self.key,
            purpose=OFFER,
            expires=self.clock.now() + dt.timedelta(seconds=CODE_TTL),
        )
        return ProofOffer(token, code, number.international)

    def _limits(self, e164: str, ip: str) -> list[Limit]:
        number_key = keyed_ref(phone_ref(e164, self.key), self.key)
        return [
            Limit(
                "privacy.phone.number",
                number_key,
                CALLS_PER_NUMBER_PER_HOUR,
                3600,
                f"this number has been called {CALLS_PER_NUMBER_PER_HOUR} times in the last "
                "hour to prove it",
            ),
            Limit(
                "privacy.phone.number_day",
                number_key,
                CALLS_PER_NUMBER_PER_DAY,
                86400,
                f"this number has been called {CALLS_PER_NUMBER_PER_DAY} times today to prove it",
            ),
            Limit(
                "privacy.phone.ip",
                keyed_ref(ip_ref(ip), self.key),
                CALLS_PER_IP_PER_DAY,
                86400,
                f"{CALLS_PER_IP_PER_DAY} proving calls have been asked from your network today",
            ),
        ]

    async def call(self, token: str, visitor: str, ip: str) -> str:
        """Place the call that asks for the token's code; its id, for ``watch``."""
        engine = self.engine()
        reason = self.unavailable()
        if engine is None or reason is not None:
            raise ServiceUnavailable(reason or "no phone carrier")
        now = self.clock.now()
        data = self._offered(token, visitor)
        e164, code, nonce = str(data["e164"]), str(data["code"]), str(data["n"])
        limits = self._limits(e164, ip)
        async with self.db.session() as session:
            await spend_once(
                session,
                f"{OFFER}:{nonce}",
                expires=now + dt.timedelta(seconds=CODE_TTL),
                refusal="this code has already been used to place a call: ask for a new one",
            )
            await self.limiter.check(session, limits)
            self.limiter.hit(session, limits)
        call_id = new_sortable_id()
        progress = self.tracker.start(call_id, visitor, "prove")
        await progress.step("dialling")
        try:
            call = await OutboundGate(engine, self.db, self.clock, self.settings).place(
                parse(e164, None),
                Caller("privacy"),
                AnyNumber(),  # the limits above are the right; nothing is shown as caller id
                kinds=PHONES,
                placement=Placement(ring_timeout=60, max_duration=120),
            )
        except Exception:
            await progress.step("ended", outcome="failed")
            self.tracker.finished(call_id)
            raise
        log.info("phone_proof_call", call=call.id, to=mask_number(e164))

        async def proved() -> None:
            async with self.db.session() as session:
                session.add(
                    PhoneProof(
                        id=nonce,
                        subject_ref=phone_ref(e164, self.key),
                        proved_at=self.clock.now(),
                        expires_at=self.clock.now() + dt.timedelta(seconds=CLAIM_SECONDS),
                    )
                )
            log.info("phone_proved", to=mask_number(e164))

        task = asyncio.create_task(self._follow(call, code, progress, proved))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call_id

    def _offered(self, token: str, visitor: str) -> dict[str, Any]:
        data = unseal(token, key=self.key, purpose=OFFER, now=self.clock.now())
        if not secrets.compare_digest(str(data.get("visitor", "")), visitor):
            raise Forbidden("this code was asked for in another browser: ask for a new one")
        return data

    async def _follow(self, call: Call, code: str, progress: Progress, proved: Any) -> None:
        done = False
        try:
            done = await code_call(
                call, code, prompt=PROMPT, speak=spoken_prompt, on_match=proved, progress=progress
            )
        finally:
            await progress.step("ended", outcome="proved" if done else "not proved")
            self.tracker.finished(progress.id)

    def watch(self, call_id: str, visitor: str) -> Progress:
        progress = self.tracker.get(call_id)
        if progress is None or not secrets.compare_digest(progress.visitor, visitor):
            raise NotFound("no proving call of yours has this id")
        return progress

    async def claim(self, token: str, visitor: str) -> str:
        """Turn the proof of the offer's call into a session token, once."""
        data = self._offered(token, visitor)
        now = self.clock.now()
        async with self.db.session() as session:
            claimed = await session.execute(
                update(PhoneProof)
                .where(
                    PhoneProof.id == str(data["n"]),
                    PhoneProof.claimed_at.is_(None),
                    PhoneProof.expires_at > now,
                )
                .values(claimed_at=now)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                raise Forbidden(
                    "this number is not proved: the code was not typed during the call, the "
                    "proof has expired, or it was already used"
                )
        return seal(
            {
                "sid": str(data["n"]),
                "ref": phone_ref(str(data["e164"]), self.key),
                "masked": mask_number(str(data["e164"])),
            },
            key=self.key,
            purpose=SESSION,
            expires=now + dt.timedelta(seconds=SESSION_SECONDS),
        )

    async def session(self, token: str) -> PhoneSession:
        """The proved number of a session token; Forbidden once it expired or its proof is gone
        (an erasure of the number removes it)."""
        data = unseal(token, key=self.key, purpose=SESSION, now=self.clock.now())
        async with self.db.session() as session:
            proof = await session.get(PhoneProof, str(data.get("sid", "")))
        if proof is None or proof.subject_ref != data.get("ref") or proof.claimed_at is None:
            raise Forbidden("this session has ended: prove the number again")
        return PhoneSession(
            subject_ref=str(data["ref"]),
            masked=str(data["masked"]),
            expires_at=dt.datetime.fromtimestamp(int(data["exp"]), dt.UTC),
        )

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
