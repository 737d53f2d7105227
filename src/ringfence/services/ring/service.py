"""ring: call a visitor's own phone so they can find it, under the abuse controls.

A ring is admitted in one transaction: the captcha solution is spent, the number is checked
against the dialing permissions and the do-not-ring list, the limits per number, IP and visitor
are checked and counted, and the ring log gets its entry (hashes and a masked tail). Only then is
the call placed; the whole number lives in memory, on the ``Call``, until the call ends. A
number's owner joins the do-not-ring list by pressing 9 during any ring, or by asking on the page
and typing the code the page shows on their phone's keypad during a call placed for it.

The page says which number will call (the caller ID of the trunk that carries it, as the engine
presents it), may cancel its own ring (``live.py``), and may ask to ring "until I pick up": the
one call rings up to the operator's ``until_pickup_max`` instead of ``ring_time``, admitted and
counted exactly like any other ring.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.abuse.captcha import Captcha, spend_once
from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.clock import Clock
from ringfence.errors import Forbidden, RingfenceError, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.media.speech import spoken_prompt
from ringfence.privacy.sealed import seal, unseal
from ringfence.privacy.subjects import anon_ref, ip_ref, keyed_ref, phone_ref
from ringfence.redact import mask_number
from ringfence.services.ring.live import LiveRing, LiveRings
from ringfence.services.ring.models import DenylistEntry, RingLog
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.telephony import Call, TelephonyEngine
from ringfence.telephony.carriers import choose
from ringfence.telephony.dialing import PHONES, DialingPolicy, Number, parse
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate, Placement
from ringfence.telephony.keypad import CodePrompt, confirm_code, new_code
from ringfence.telephony.progress import Progress, Tracker

log = get_logger(__name__)

PRESS_TO_OPT_OUT = "Press 9 if you never want this service to ring this number again."
OPTED_OUT = "This number will not be rung by this service again. Goodbye."
CODE_INTRO = (
    "This is ringfence. To stop this service ever ringing this number, type the code shown on "
    "the web page."
)
LISTEN_AFTER_PROMPT = 6.0  # seconds to press 9 once the message has been said
CODE_TTL = 600  # seconds a do-not-ring code can be used
RING_MAX_SECONDS = 60.0  # answered ring calls are short: message, a key press, goodbye
OPTOUT_MAX_SECONDS = 180.0
SAMPLE_BYTES_PER_SECOND = 16000  # 8 kHz, 16-bit


@dataclass(frozen=True)
class Visitor:
    anon_id: str
    ip: str


@dataclass(frozen=True)
class Started:
    """A ring just placed, as its page needs it."""

    progress: Progress
    cancel_token: str  # for the asking page only: ``cancel`` needs it
    calling_from: str | None  # the number the phone will show, for people; None: withheld
    rings_for: float  # seconds it rings before it gives up


@dataclass(frozen=True)
class OptoutCode:
    token: str
    code: str
    number: str  # as shown to the visitor (international format)


Script = Callable[[Call, "asyncio.Queue[str]"], Awaitable[bool]]


class RingService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        engine: Callable[[], TelephonyEngine | None],
    ) -> None:
        self.settings = settings
        self.ring = settings.ring
        self.db = db
        self.clock = clock
        self.engine = engine
        self.key = settings.signing_key()
        self.captcha = Captcha(settings.captcha, self.key, clock)
        self.limiter = RateLimiter(clock)
        self.dialing = DialingPolicy(settings.telephony.dialing)
        self.tracker = Tracker()
        self.live = LiveRings()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- availability and checks ---------------------------------------------------------------

    def unavailable(self) -> str | None:
        """Why rings cannot be placed here, or None when they can."""
        engine = self.engine()
        if engine is None or not engine.running:
            return "Ringing is not set up on this server: its operator has not enabled telephony."
        if not engine.carriers:
            return "Ringing is not set up on this server: no phone carrier is configured."
        return None

    def calling_from(self, number: Number | None = None) -> str | None:
        """The caller ID ``number``'s phone will show, formatted for people: the caller ID of
        the trunk that carries it (the engine presents it when a service asks for none, as ring
        does). Without a number: the one every trunk shares, or None when they differ or
        withhold it (the page then says so, or asks for the number first)."""
        engine = self.engine()
        carriers = engine.carriers if engine is not None else []
        if number is not None:
            try:
                return _for_people(choose(carriers, number.e164).caller_id)
            except ServiceUnavailable:
                return None
        shown = {_for_people(carrier.caller_id) for carrier in carriers}
        return shown.pop() if len(shown) == 1 else None

    def caller_id_differs(self) -> bool:
        """Whether the trunks show different caller IDs (so the number typed decides)."""
        engine = self.engine()
        carriers = engine.carriers if engine is not None else []
        return len({_for_people(carrier.caller_id) for carrier in carriers}) > 1

    def check(self, raw: str, region: str | None) -> Number:
        """The number, if this service may ring it; InvalidInput or Forbidden saying why not."""
        number = parse(raw, region)
        self.dialing.check(number, kinds=PHONES)
        return number

    def _refs(self, number: Number, visitor: Visitor) -> tuple[str, str, str]:
        return (
            phone_ref(number.e164, self.key),
            keyed_ref(anon_ref(visitor.anon_id), self.key),
            keyed_ref(ip_ref(visitor.ip), self.key),
        )

    def _limits(self, number_ref: str, visitor_ref: str, ip_ref_: str) -> list[Limit]:
        ring = self.ring
        number_key = keyed_ref(number_ref, self.key)
        limits = [
            Limit(
                "ring.number",
                number_key,
                ring.per_number_per_hour,
                3600,
                f"this number has been rung {ring.per_number_per_hour} times in the last hour",
            ),
            Limit(
                "ring.ip",
                ip_ref_,
                ring.per_ip_per_day,
                86400,
                f"{ring.per_ip_per_day} rings have been asked from your network today",
            ),
            Limit(
                "ring.visitor",
                visitor_ref,
                ring.per_visitor_per_day,
                86400,
                f"you have asked for {ring.per_visitor_per_day} rings today",
            ),
        ]
        if ring.cooldown:
            limits.append(
                Limit("ring.cooldown", number_key, 1, ring.cooldown, "this number was just rung")
            )
        return limits

    async def _admit(
        self, session: AsyncSession, number: Number, visitor: Visitor, kind: str
    ) -> RingLog:
        number_ref, visitor_ref, ip_hash = self._refs(number, visitor)
        if await session.get(DenylistEntry, number_ref) is not None:
            raise Forbidden("the owner of this number has asked never to be rung by this service")
        limits = self._limits(number_ref, visitor_ref, ip_hash)
        await self.limiter.check(session, limits)
        self.limiter.hit(session, limits)
        entry = RingLog(
            kind=kind,
            visitor=visitor_ref,
            ip=ip_hash,
            number_ref=number_ref,
            number_tail=mask_number(number.e164),
            started_at=self.clock.now(),
            outcome="dialling",
        )
        session.add(entry)
        await session.flush()
        return entry

    def _require_ready(self) -> TelephonyEngine:
        reason = self.unavailable()
        engine = self.engine()
        if reason is not None or engine is None:
            raise ServiceUnavailable(reason or "ringing is not set up")
        return engine

    # -- ringing -------------------------------------------------------------------------------

    def ring_time(self, *, until_pickup: bool) -> float:
        """Seconds a ring rings: ``ring_time``, or up to the operator's cap "until I pick up"."""
        if until_pickup:
            return max(self.ring.ring_time, self.ring.until_pickup_max)
        return self.ring.ring_time

    async def start_ring(
        self,
        raw: str,
        region: str | None,
        visitor: Visitor,
        captcha: str,
        *,
        until_pickup: bool = False,
    ) -> Started:
        engine = self._require_ready()
        number = self.check(raw, region)
        async with self.db.session() as session:
            await self.captcha.redeem(session, captcha)
            entry = await self._admit(session, number, visitor, "ring")
        script = self._ring_script(entry.number_ref)
        return await self._place(
            engine, number, entry, script, self.ring_time(until_pickup=until_pickup)
        )

    async def start_optout(
        self, raw: str, region: str | None, visitor: Visitor, captcha: str
    ) -> OptoutCode:
        """A code for the page to show; the call that asks for it is placed by ``call_optout``.
        The number travels in the sealed token, so nothing is stored until the call."""
        self._require_ready()
        number = self.check(raw, region)
        number_ref, visitor_ref, _ = self._refs(number, visitor)
        async with self.db.session() as session:
            await self.captcha.redeem(session, captcha)
            if await session.get(DenylistEntry, number_ref) is not None:
                raise Forbidden("this number is already on the never-ring list")
        code = new_code()
        token = seal(
            {"e164": number.e164, "code": code, "visitor": visitor_ref, "n": secrets.token_hex(8)},
            key=self.key,
            purpose="ring.optout",
            expires=self.clock.now() + dt.timedelta(seconds=CODE_TTL),
        )
        return OptoutCode(token=token, code=code, number=number.international)

    async def call_optout(self, token: str, visitor: Visitor) -> Started:
        engine = self._require_ready()
        now = self.clock.now()
        data = unseal(token, key=self.key, purpose="ring.optout", now=now)
        if data.get("visitor") != keyed_ref(anon_ref(visitor.anon_id), self.key):
            raise Forbidden("this code was asked for in another browser")
        number = self.check(str(data["e164"]), None)
        async with self.db.session() as session:
            await spend_once(
                session,
                f"ring.optout:{data['n']}",
                expires=now + dt.timedelta(seconds=CODE_TTL),
                refusal="this code has already been used to place a call: ask for a new one",
            )
            entry = await self._admit(session, number, visitor, "optout")
        script = self._code_script(entry.number_ref, str(data["code"]))
        return await self._place(engine, number, entry, script, self.ring.ring_time)

    async def _place(
        self,
        engine: TelephonyEngine,
        number: Number,
        entry: RingLog,
        script: Script,
        rings_for: float,
    ) -> Started:
        progress = self.tracker.start(entry.id, entry.visitor, entry.kind)
        live, cancel_token = self.live.start(progress)
        shown = self.calling_from(number)
        await progress.step("dialling", calling_from=shown, rings_for=rings_for)
        try:
            # The captcha, the never-ring list and ring's limits were applied by _admit; the
            # gate applies the dialling policy again and shows the trunk's own caller id.
            call = await OutboundGate(engine, self.db, self.clock, self.settings).place(
                number,
                Caller("ring"),
                AnyNumber(),
                kinds=PHONES,
                placement=Placement(
                    ring_timeout=rings_for,
                    max_duration=RING_MAX_SECONDS if entry.kind == "ring" else OPTOUT_MAX_SECONDS,
                ),
            )
        except RingfenceError as exc:
            await self._finish(progress, "failed", opted_out=False)
            log.warning("ring_failed", ring=entry.id, to=entry.number_tail, error=exc.message)
            raise
        live.call = call
        if live.cancelled:  # cancelled while the gate placed it
            await call.hangup()
        async with self.db.session() as session:
            await session.execute(
                update(RingLog).where(RingLog.id == entry.id).values(call_id=call.id)
            )
        log.info("ring_placed", ring=entry.id, kind=entry.kind, to=entry.number_tail)
        task = asyncio.create_task(self._follow(call, live, script))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Started(progress, cancel_token, shown, rings_for)

    async def _follow(self, call: Call, live: LiveRing, script: Script) -> None:
        progress = live.progress
        keys: asyncio.Queue[str] = asyncio.Queue()
        spoken: asyncio.Task[bool] | None = None
        async for event in call.events():
            if event.kind in ("ringing", "answered"):
                await progress.step(event.kind)
            if event.kind == "answered" and not live.cancelled:
                spoken = asyncio.create_task(self._run_script(script, call, keys))
            elif event.kind == "dtmf" and event.digit:
                keys.put_nowait(event.digit)
        opted_out = False
        if spoken is not None:
            if live.cancelled:  # the page hung up: the message stops with the call
                spoken.cancel()
            (said,) = await asyncio.gather(spoken, return_exceptions=True)
            opted_out = said is True
        if live.cancelled:
            outcome = "cancelled"
        elif call.answered_at:
            outcome = "answered"
        else:
            outcome = call.end_reason.value if call.end_reason else "failed"
        await self._finish(progress, outcome, opted_out=opted_out)

    async def cancel(self, ring_id: str, token: str) -> None:
        """End a ring in progress for the page that asked for it (its cancel token)."""
        live = self.live.for_cancel(ring_id, token)
        await live.cancel()
        log.info("ring_cancelled", ring=ring_id)

    async def _run_script(self, script: Script, call: Call, keys: asyncio.Queue[str]) -> bool:
        try:
            return await script(call, keys)
        except Exception:
            log.exception("ring_script_failed", call=call.id)
            return False
        finally:
            await call.hangup()

    async def _finish(self, progress: Progress, outcome: str, *, opted_out: bool) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(RingLog)
                .where(RingLog.id == progress.id)
                .values(outcome=outcome, ended_at=self.clock.now(), opted_out=opted_out)
            )
        await progress.step("ended", outcome=outcome, opted_out=opted_out)
        self.tracker.finished(progress.id)
        self.live.finished(progress.id)

    async def wait_idle(self) -> None:
        """Wait until every call this service placed has been followed to its end."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- what the calls say --------------------------------------------------------------------

    def _ring_script(self, number_ref: str) -> Script:
        async def script(call: Call, keys: asyncio.Queue[str]) -> bool:
            intro = await spoken_prompt(f"{self.ring.message} {PRESS_TO_OPT_OUT}")
            call.play(intro)
            listen = len(intro) / SAMPLE_BYTES_PER_SECOND + LISTEN_AFTER_PROMPT
            try:
                await asyncio.wait_for(_key(keys, "9"), listen)
            except TimeoutError:
                return False
            await self._deny(number_ref, "keypress")
            call.stop_playing()
            call.play(await spoken_prompt(OPTED_OUT))
            await call.played()
            return True

        return script

    def _code_script(self, number_ref: str, code: str) -> Script:
        async def script(call: Call, keys: asyncio.Queue[str]) -> bool:
            async def deny() -> None:
                await self._deny(number_ref, "code")

            return await confirm_code(
                call,
                keys,
                code,
                prompt=CodePrompt(CODE_INTRO, OPTED_OUT),
                speak=spoken_prompt,
                attempts=self.ring.code_attempts,
                on_match=deny,
            )

        return script

    async def _deny(self, number_ref: str, method: str) -> None:
        async with self.db.session() as session:
            if await session.get(DenylistEntry, number_ref) is None:
                session.add(
                    DenylistEntry(number_ref=number_ref, added_at=self.clock.now(), method=method)
                )
        log.info("ring_number_denylisted", method=method)

    # -- reading back --------------------------------------------------------------------------

    async def status(self, ring_id: str, visitor: Visitor) -> dict[str, Any]:
        """The latest state of a ring the visitor asked for (from memory, or the ring log when
        another process placed it)."""
        visitor_ref = keyed_ref(anon_ref(visitor.anon_id), self.key)
        progress = self.tracker.get(ring_id)
        if progress is not None and progress.visitor == visitor_ref:
            return {"id": ring_id, "kind": progress.kind, **progress.steps[-1]}
        async with self.db.session() as session:
            entry = (
                await session.execute(
                    select(RingLog).where(RingLog.id == ring_id, RingLog.visitor == visitor_ref)
                )
            ).scalar_one_or_none()
        if entry is None:
            raise Forbidden("no ring of yours has this id")
        if entry.ended_at is None:
            return {"id": ring_id, "kind": entry.kind, "state": entry.outcome}
        return {
            "id": ring_id,
            "kind": entry.kind,
            "state": "ended",
            "outcome": entry.outcome,
            "opted_out": entry.opted_out,
        }

    def watch(self, ring_id: str, visitor: Visitor) -> Progress | None:
        progress = self.tracker.get(ring_id)
        visitor_ref = keyed_ref(anon_ref(visitor.anon_id), self.key)
        return progress if progress is not None and progress.visitor == visitor_ref else None


async def _key(keys: asyncio.Queue[str], wanted: str) -> None:
    while await keys.get() != wanted:
        pass


def _for_people(caller_id: str | None) -> str | None:
    """A trunk's caller ID as people write it (+44 113 496 0000); as configured when it is not
    a number (the engine presents it as it is)."""
    if not caller_id:
        return None
    try:
        parsed = phonenumbers.parse(caller_id, None)
    except phonenumbers.NumberParseException:
        return caller_id
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
