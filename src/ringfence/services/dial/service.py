"""dial: an account calls a phone number from its browser, paid from its credit.

Before the call: the number is checked against the dialing permissions, priced from the rate
table, and the most the balance pays for is reserved (which also caps the call's length: the
engine cuts it when the credit runs out). During: the browser's WebRTC audio is bridged to the SIP
call. At the end: the exact charge for the billed duration is settled, the rest released, and the
call goes into the history (the number encrypted with the account's key), and how it sounded
(the browser's figures, which its page reports during the call, and the RTP leg's) beside it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from ringfence.abuse.captcha import spend_once
from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.accounts.callerids import CallerIds
from ringfence.accounts.models import Account
from ringfence.billing.calls import CallCharges
from ringfence.billing.ledger import Ledger, Reservation, wallet
from ringfence.billing.low_balance import LowBalance
from ringfence.billing.rates import Rate
from ringfence.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RingfenceError,
    ServiceUnavailable,
)
from ringfence.logging import get_logger
from ringfence.media.quality import LinkQuality
from ringfence.media.speech import spoken_prompt
from ringfence.privacy.core import Privacy
from ringfence.privacy.sealed import seal, unseal
from ringfence.privacy.subjects import keyed_ref, phone_ref
from ringfence.redact import mask_number
from ringfence.services.dial.call_quality import quality_dict, quality_row
from ringfence.services.dial.contacts import ContactBook, matches
from ringfence.services.dial.models import DialCall
from ringfence.services.dial.prices import lowest_prices
from ringfence.settings import Settings
from ringfence.store.base import new_sortable_id
from ringfence.telephony import Call, TelephonyEngine
from ringfence.telephony.dialing import PHONES, DialingPolicy, Number, parse
from ringfence.telephony.gate import Caller, OutboundGate, Placement
from ringfence.telephony.keypad import CodePrompt, code_call, new_code
from ringfence.telephony.progress import Progress, Tracker
from ringfence.telephony.webrtc import Bridge

log = get_logger(__name__)
CODE_TTL = 600  # seconds a caller-id code can be used
VERIFY_PROMPT = CodePrompt(
    "This is ringfence. To show this number when you call, type the code shown on the page.",
    "Done: this number is now yours to show. Goodbye.",
)
VERIFICATIONS_PER_HOUR = 3
# Calls a history search decrypts, newest first: a year of calls of a person who calls a lot.
SEARCHED = 5000


@dataclass(frozen=True)
class Quote:
    e164: str
    international: str
    kind: str
    destination: str
    currency: str
    price_per_minute: int
    increment: str
    connection_fee: int
    balance: int
    max_seconds: int


@dataclass(frozen=True)
class CodeOffer:
    """What the page shows while a number is being proved: the code, the number as written
    internationally, and the sealed token that brings both back to place the call."""

    token: str
    code: str
    number: str


@dataclass
class Active:
    id: str
    account_id: str
    call: Call
    bridge: Bridge
    progress: Progress
    reservation: Reservation
    rate: Rate
    subject_ref: str
    started_at: dt.datetime
    browser: LinkQuality = field(default_factory=LinkQuality)  # the page's latest figures


@dataclass(frozen=True)
class Started:
    """A placed browser call: its state, the answer to the browser's SDP offer, its price."""

    active: Active
    answer_sdp: str
    quote: Quote


class AccountRight:
    """An account's right to call: its balance was reserved before the gate is asked (or the
    call proves a number it typed), and it may show only the numbers it verified."""

    def __init__(self, callers: CallerIds, account: Account) -> None:
        self.callers = callers
        self.account = account

    async def permit(self, number: Number) -> None:
        return None

    async def verified(self, e164: str) -> bool:
        return any(known.number == e164 for known in await self.callers.of(self.account))


class DialService:
    def __init__(
        self,
        settings: Settings,
        privacy: Privacy,
        engine: Callable[[], TelephonyEngine | None],
    ) -> None:
        self.settings = settings
        self.privacy = privacy
        self.db = privacy.db
        self.clock = privacy.clock
        self.engine = engine
        self.ledger = Ledger(self.clock)
        self.dialing = DialingPolicy(settings.telephony.dialing)
        self.currency = settings.billing.currency.upper()
        self.tracker = Tracker()
        self.active: dict[str, Active] = {}
        self.charges = CallCharges(settings, self.clock)
        self.low_balance = LowBalance(privacy)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.key = settings.signing_key()
        self.limiter = RateLimiter(self.clock)
        self.callers = CallerIds(privacy)
        self.contacts = ContactBook(privacy)

    def _gate(self, engine: TelephonyEngine) -> OutboundGate:
        return OutboundGate(engine, self.db, self.clock, self.settings)

    def unavailable(self) -> str | None:
        engine = self.engine()
        if engine is None or not engine.running or not engine.carriers:
            return "Calling is not set up on this server: no phone carrier is configured."
        return None  # a destination without a rate is refused when it is quoted

    async def lowest_prices(self, countries: list[tuple[str, int]]) -> dict[str, int]:
        """The lowest price a minute to each country (ISO code, calling code) the rate table in
        force prices in this currency; none without a rate table."""
        async with self.db.session() as session:
            try:
                table = await self.charges.rates(session)
            except ServiceUnavailable:
                return {}
        return lowest_prices(table.rates, countries, self.currency)

    async def balance(self, account_id: str) -> int:
        async with self.db.session() as session:
            return await self.ledger.balance(session, wallet(account_id), self.currency)

    # -- before the call ---------------------------------------------------------------------

    async def _number(self, raw: str, country: str | None) -> tuple[Number, Rate]:
        number = parse(raw, country)
        self.dialing.check(number)  # premium-rate, blocked countries and prefixes
        async with self.db.session() as session:
            return number, await self.charges.rate(session, number.e164)

    async def quote(self, account_id: str, raw: str, country: str | None) -> Quote:
        number, rate = await self._number(raw, country)
        balance = await self.balance(account_id)
        return Quote(
            e164=number.e164,
            international=number.international,
            kind=number.kind_name,
            destination=rate.name or f"+{rate.prefix}",
            currency=self.currency,
            price_per_minute=rate.price_per_minute,
            increment=f"{rate.first}/{rate.step}",
            connection_fee=rate.connection_fee,
            balance=balance,
            max_seconds=rate.max_seconds(balance),
        )

    # -- the call ----------------------------------------------------------------------------

    async def start(
        self,
        account: Account,
        raw: str,
        country: str | None,
        offer_sdp: str,
        caller_id: str | None = None,
    ) -> Started:
        reason = self.unavailable()
        engine = self.engine()
        if reason is not None or engine is None:
            raise ServiceUnavailable(reason or "calling is not set up")
        number, rate = await self._number(raw, country)
        shown = await self.callers.number(account, caller_id) if caller_id else None
        call_id = new_sortable_id()
        started_at = self.clock.now()
        async with self.db.session() as session:
            available = await self.charges.balance(session, account.id)
            held = await self.charges.reserve(session, account.id, rate, f"dial:{call_id}")
            reservation, longest = held.reservation, held.max_seconds
            session.add(
                DialCall(
                    id=call_id,
                    subject_ref=account.subject_ref,
                    number=await self.privacy.vault.encrypt(
                        session, account.subject_ref, number.e164.encode()
                    ),
                    number_tail=mask_number(number.e164),
                    callee_ref=phone_ref(number.e164, self.key),
                    started_at=started_at,
                    status="dialling",
                    currency=self.currency,
                )
            )
        quote = Quote(
            e164=number.e164,
            international=number.international,
            kind=number.kind_name,
            destination=rate.name or f"+{rate.prefix}",
            currency=self.currency,
            price_per_minute=rate.price_per_minute,
            increment=f"{rate.first}/{rate.step}",
            connection_fee=rate.connection_fee,
            balance=available,
            max_seconds=longest,
        )
        progress = self.tracker.start(call_id, account.subject_ref, "dial")
        await progress.step("dialling")
        try:
            call = await self._gate(engine).place(
                number,
                Caller("dial", account=account.subject_ref),
                AccountRight(self.callers, account),
                present=shown,
                placement=Placement(max_duration=longest),
            )
        except RingfenceError:
            await self._finish_unplaced(call_id, reservation, progress)
            raise
        bridge = Bridge(call)
        active = Active(
            call_id,
            account.id,
            call,
            bridge,
            progress,
            reservation,
            rate,
            account.subject_ref,
            started_at,
        )
        try:
            answer = await bridge.answer(offer_sdp)
        except RingfenceError:
            await call.hangup()
            await bridge.close()
            await self._finish_unplaced(call_id, reservation, progress)
            raise
        self.active[call_id] = active
        task = asyncio.create_task(self._follow(active))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("dial_call_placed", call=call_id, to=mask_number(number.e164))
        return Started(active, answer, quote)

    async def _finish_unplaced(
        self, call_id: str, reservation: Reservation, progress: Progress
    ) -> None:
        async with self.db.session() as session:
            await self.ledger.settle(session, reservation, 0)
            await session.execute(
                update(DialCall).where(DialCall.id == call_id).values(status="failed")
            )
        await progress.step("ended", outcome="failed", cost=0)
        self.tracker.finished(call_id)

    async def _follow(self, active: Active) -> None:
        call = active.call
        try:
            async for event in call.events():
                if event.kind in ("ringing", "answered"):
                    await active.progress.step(event.kind)
                elif event.kind in ("hold", "resumed"):
                    await active.progress.step(event.kind, by=event.by or "")
        finally:
            await active.bridge.close()
            self.active.pop(active.id, None)
            cost = active.rate.charge(call.duration) if call.answered_at else 0
            reason = call.end_reason.value if call.end_reason else "failed"
            status = "answered" if call.answered_at else reason
            phone = call.media.quality() if call.media and call.answered_at else LinkQuality()
            kept = quality_row(
                active.id, active.subject_ref, active.started_at, active.browser, phone
            )
            async with self.db.session() as session:
                if kept is not None:
                    session.add(kept)
                await self.ledger.settle(session, active.reservation, cost)
                await session.execute(
                    update(DialCall)
                    .where(DialCall.id == active.id)
                    .values(
                        status=status,
                        answered_at=call.answered_at,
                        duration=round(call.duration, 3),
                        cost=min(cost, active.reservation.amount),
                    )
                )
            await active.progress.step(
                "ended",
                outcome=status,
                reason=reason,
                seconds=round(call.duration, 1),
                cost=min(cost, active.reservation.amount),
                quality=quality_dict(kept) if kept is not None else None,
            )
            self.tracker.finished(active.id)
            log.info("dial_call_ended", call=active.id, status=status, cost=cost)
            if cost:  # after the page is told: a slow mail server never holds it up
                await self.low_balance.observe(active.account_id)

    def _mine(self, account_id: str, call_id: str) -> Active:
        active = self.active.get(call_id)
        if active is None or active.account_id != account_id:
            raise NotFound("no call of yours in progress has this id")
        return active

    async def hang_up(self, account_id: str, call_id: str) -> None:
        await self._mine(account_id, call_id).call.hangup()

    async def hold(self, account_id: str, call_id: str, on: bool) -> None:
        """Put the call on hold or take it off (the phone side hears silence meanwhile)."""
        active = self._mine(account_id, call_id)
        if not active.call.answered_at:
            raise Conflict("the call is not answered yet: there is nothing to hold")
        await active.call.hold(on)

    def report_quality(self, account_id: str, call_id: str, browser: LinkQuality) -> None:
        """The page's latest figures for its own stream, kept with the call when it ends."""
        self._mine(account_id, call_id).browser = browser

    def dtmf(self, account_id: str, call_id: str, digit: str) -> None:
        active = self._mine(account_id, call_id)
        if not active.call.answered_at:
            raise Forbidden("the call is not answered yet")
        try:
            active.call.send_dtmf(digit)
        except ValueError as exc:
            raise Forbidden(str(exc)) from None

    def watch(self, subject_ref: str, call_id: str) -> Progress | None:
        progress = self.tracker.get(call_id)
        return progress if progress is not None and progress.visitor == subject_ref else None

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- caller ids ----------------------------------------------------------------------------

    async def caller_ids(self, account: Account) -> list[dict[str, str]]:
        return [{"id": c.id, "number": c.number} for c in await self.callers.of(account)]

    async def offer_caller_id(self, account: Account, raw: str, country: str | None) -> CodeOffer:
        """A code to show and a sealed token; ``call_caller_id`` places the call that asks for
        the code. Only phones (fixed or mobile) can be verified."""
        number = parse(raw, country)
        self.dialing.check(number, kinds=PHONES)
        code = new_code()
        token = seal(
            {"account": account.id, "e164": number.e164, "code": code, "n": secrets.token_hex(8)},
            key=self.key,
            purpose="dial.caller_id",
            expires=self.clock.now() + dt.timedelta(seconds=CODE_TTL),
        )
        return CodeOffer(token, code, number.international)

    async def call_caller_id(self, account: Account, token: str) -> str:
        engine = self.engine()
        if engine is None or not engine.running or not engine.carriers:
            raise ServiceUnavailable("calling is not set up on this server")
        now = self.clock.now()
        data = unseal(token, key=self.key, purpose="dial.caller_id", now=now)
        if data.get("account") != account.id:
            raise Forbidden("this code belongs to another account")
        e164, code = str(data["e164"]), str(data["code"])
        number = parse(e164, None)
        limit = [
            Limit(
                "dial.verify",
                keyed_ref(account.subject_ref, self.key),
                VERIFICATIONS_PER_HOUR,
                3600,
                f"at most {VERIFICATIONS_PER_HOUR} verification calls an hour",
            )
        ]
        async with self.db.session() as session:
            await spend_once(
                session,
                f"dial.caller_id:{data['n']}",
                expires=now + dt.timedelta(seconds=CODE_TTL),
                refusal="this code has already been used to place a call: ask for a new one",
            )
            await self.limiter.check(session, limit)
            self.limiter.hit(session, limit)
        call_id = new_sortable_id()
        progress = self.tracker.start(call_id, account.subject_ref, "verify")
        await progress.step("dialling")
        call = await self._gate(engine).place(
            number,
            Caller("dial", account=account.subject_ref),
            AccountRight(self.callers, account),
            kinds=PHONES,
            placement=Placement(max_duration=120),
        )

        async def keep() -> None:
            async with self.db.session() as session:
                await self.callers.add(session, account, e164)

        task = asyncio.create_task(self._verify(call, code, progress, keep))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call_id

    async def _verify(self, call: Call, code: str, progress: Progress, keep: Any) -> None:
        verified = await code_call(
            call, code, prompt=VERIFY_PROMPT, speak=spoken_prompt, on_match=keep, progress=progress
        )
        await progress.step("ended", outcome="verified" if verified else "not verified", cost=0)
        self.tracker.finished(progress.id)

    # -- history -----------------------------------------------------------------------------

    async def history(
        self, account: Account, search: HistorySearch | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """The account's calls, newest first, each with the name of the contact it went to.

        The numbers are ciphertext, so a search by number or name decrypts the account's newest
        ``SEARCHED`` calls in the date range and keeps the first ``limit`` that match."""
        search = search or HistorySearch()
        query = (
            select(DialCall)
            .where(DialCall.subject_ref == account.subject_ref)
            .order_by(DialCall.started_at.desc())
            .limit(max(limit, SEARCHED) if search.text else limit)
        )
        if search.since is not None:
            query = query.where(DialCall.started_at >= _midnight(search.since))
        if search.until is not None:
            query = query.where(DialCall.started_at < _midnight(search.until + dt.timedelta(1)))
        names = await self.contacts.names(account)
        async with self.db.session() as session:
            rows = (await session.scalars(query)).all()
            numbers = await self.privacy.vault.decrypt_all(
                session, account.subject_ref, [row.number for row in rows]
            )
            out = []
            for row, number in zip(rows, numbers, strict=True):
                e164 = number.decode()
                if not search.finds(e164, names.get(e164, "")):
                    continue
                out.append(
                    {
                        "id": row.id,
                        "number": e164,
                        "contact": names.get(e164, ""),
                        "started_at": row.started_at.isoformat(timespec="seconds"),
                        "answered": row.answered_at is not None,
                        "duration": row.duration,
                        "status": row.status,
                        "cost": row.cost,
                        "currency": row.currency,
                    }
                )
                if len(out) == limit:
                    break
        return out


@dataclass(frozen=True)
class HistorySearch:
    """Which calls to list: those to a number holding the typed digits or to a contact whose name
    holds the typed words, between two days (UTC, both included)."""

    text: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("the first day of the search comes after its last day")

    def finds(self, e164: str, contact: str) -> bool:
        return matches(self.text, contact, e164)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def quote_dict(quote: Quote) -> dict[str, Any]:
    return dataclasses.asdict(quote)
