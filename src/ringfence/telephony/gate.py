"""The outbound gate: the one way any part of the platform places a call.

A platform that dials for strangers is a target for toll fraud (calls to numbers whose
termination fees the fraudster collects) and caller-ID spoofing (showing a number the caller does
not own). Every outbound call (ring, dial, campaigns, evaluations, transfers, number checks, the
operator's ``ringfence call``) is placed by ``OutboundGate.place``, which applies, in this order:

1. the dialling policy (``dialing.DialingPolicy``): premium rate, blocked prefixes and countries,
   the allowed list, and the kinds of number the service calls; and the carrier rule: the test
   phone's numbers (``fiction.py``, reserved for drama) go only to a built-in carrier, never to a
   configured trunk, and while the test phone is the only carrier, nothing else is called;
2. the caller's right to call this number, which the calling service supplies as a ``Right``
   (ring's limits, dial's balance, the numbers a business controls, ...);
3. the standing of the account and the business placing it (one the operator suspended places
   no call) and their limits (``abuse.limits.RateLimiter``, counted atomically);
4. the caller-ID rule: the presented number is one the platform owns (a trunk's ``caller_id``)
   or one the caller has verified (``Right.verified``); anything else, an inbound caller's From
   above all, is replaced by the trunk's own caller id (or anonymous).

Then, and only then, the engine sends the INVITE. Nothing else calls the engine's placing method
(``tests/unit/telephony/test_gate.py`` holds that over ``src/``). The core names no service: a
service passes its own ``Right``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import ConfigurationError, Forbidden, InvalidInput, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.privacy.subjects import keyed_ref
from ringfence.redact import mask_number
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.telephony.calls import Call
from ringfence.telephony.carriers import choose, normalise
from ringfence.telephony.dialing import DialingPolicy, Number
from ringfence.telephony.engine import TelephonyEngine
from ringfence.telephony.fiction import RANGE_TEXT, is_test_phone_number
from ringfence.tenants.service import suspended

log = get_logger(__name__)
HOUR = 3600


@dataclass(frozen=True)
class Caller:
    """Who places a call: the service (for records and logs) and whose action it is. An
    account's and a business's calls are counted against their own hourly limits; a call with
    neither (a ring from an anonymous visitor, which ring limits itself, or the operator's) is
    counted by no one here."""

    service: str
    account: str | None = None  # the account's subject ref
    tenant: str | None = None  # the business's id


class Right(Protocol):
    """What a service says about its caller's right to call: supplied by the service, asked by
    the gate after the dialling policy and before the limits."""

    async def permit(self, number: Number) -> None:
        """Forbidden (or another refusal) with the reason, unless the caller may call ``number``."""

    async def verified(self, e164: str) -> bool:
        """Whether the caller proved it answers ``e164`` (and so may show it as caller id)."""


class AnyNumber:
    """A right that adds nothing to the dialling policy and has verified no number: the operator's
    tool, and services whose own checks came before the gate (ring's captcha and limits)."""

    async def permit(self, number: Number) -> None:
        return None

    async def verified(self, e164: str) -> bool:
        return False


@dataclass(frozen=True)
class Placement:
    """How the call is placed once it is allowed."""

    ring_timeout: float | None = None
    max_duration: float | None = None


async def _in_good_standing(session: AsyncSession, caller: Caller) -> None:
    """Forbidden when the operator suspended the calling account or business."""
    if caller.account is not None:
        since = await session.scalar(
            select(Account.suspended_at).where(Account.subject_ref == caller.account)
        )
        if since is not None:
            raise Forbidden("this account is suspended: it cannot place calls")
    if caller.tenant is not None and await suspended(session, caller.tenant):
        raise Forbidden("this business is suspended: its agents cannot place calls")


class OutboundGate:
    def __init__(
        self,
        engine: TelephonyEngine,
        db: Database | None,
        clock: Clock,
        settings: Settings | None = None,
    ) -> None:
        """``db``: where the limits are counted; None only for the operator's own tool, whose
        calls no account or business places (a call that must be counted is then refused)."""
        self.engine = engine
        self.db = db
        self.settings = settings or engine.settings
        self.policy = DialingPolicy(self.settings.telephony.dialing)
        self.limiter = RateLimiter(clock)
        self._key = self.settings.signing_key()

    def check(self, number: Number, *, kinds: Collection[int] | None = None) -> None:
        """The dialling policy and the carrier rule (before anything is asked or counted)."""
        self.policy.check(number, kinds=kinds)
        builtin = self.engine.builtin
        if not builtin:
            if is_test_phone_number(number.e164):
                raise Forbidden(
                    "this is a test phone's number (reserved for drama): only the test phone "
                    "of ringfence serve answers it, and it is never sent to a phone carrier"
                )
            return
        try:
            route = choose(self.engine.carriers, number.e164).name
        except ServiceUnavailable:
            route = None
        if is_test_phone_number(number.e164) and route not in builtin:
            raise Forbidden("a test phone's number is never sent to a phone carrier")
        if route is None:
            raise ServiceUnavailable(
                "no phone carrier is set up on this server: only test phones can be called "
                f"({RANGE_TEXT}; open /phone to get one)"
            )

    async def allow(
        self,
        number: Number,
        caller: Caller,
        right: Right,
        *,
        kinds: Collection[int] | None = None,
    ) -> None:
        """Steps 1 to 3 without placing a call: the policy, the right, the limits (counted)."""
        self.check(number, kinds=kinds)
        await right.permit(number)
        limits = self._limits(caller)
        if limits:
            if self.db is None:
                raise ConfigurationError("the outbound gate counts calls in the database")
            async with self.db.session() as session:
                await _in_good_standing(session, caller)
                await self.limiter.check(session, limits)
                self.limiter.hit(session, limits)

    async def caller_id(self, present: str | None, right: Right) -> str | None:
        """Step 4: the number to show, or None for the trunk's own caller id (or anonymous)."""
        if present is None:
            return None
        try:
            e164 = normalise(present)
        except InvalidInput:
            return None
        if e164 in self._platform_numbers() or await right.verified(e164):
            return e164
        log.warning("caller_id_replaced", shown=mask_number(e164))
        return None

    async def place(
        self,
        number: Number,
        caller: Caller,
        right: Right,
        *,
        present: str | None = None,
        kinds: Collection[int] | None = None,
        placement: Placement | None = None,
    ) -> Call:
        """Place a call to ``number`` if every check allows it; the refusal says why."""
        await self.allow(number, caller, right, kinds=kinds)
        shown = await self.caller_id(present, right)
        how = placement or Placement()
        return await self.engine._place_call(  # the one caller of the engine's placing method
            number.e164,
            from_=shown,
            service=caller.service,
            ring_timeout=how.ring_timeout,
            max_duration=how.max_duration,
        )

    async def place_via(
        self, to: str, via: str, *, present: str | None, ring_timeout: float | None
    ) -> Call:
        """The operator's call to a SIP peer named on the command line (``ringfence call
        --via``, a test rig or a PBX): no carrier is reached, so no toll is at stake and the
        dialling policy is not applied; the caller id is the operator's to choose for their
        own peer. Only the operator's tool calls this."""
        return await self.engine._place_call(
            to, from_=present, via=via, service="operator", ring_timeout=ring_timeout
        )

    def _platform_numbers(self) -> set[str]:
        owned = set()
        for carrier in self.engine.carriers:
            if carrier.caller_id:
                try:
                    owned.add(normalise(carrier.caller_id))
                except InvalidInput:
                    continue
        return owned

    def _limits(self, caller: Caller) -> list[Limit]:
        out = self.settings.telephony.outbound
        limits = []
        if caller.account is not None:
            limits.append(
                Limit(
                    "outbound.account",
                    keyed_ref(caller.account, self._key),
                    out.calls_per_account_per_hour,
                    HOUR,
                    f"at most {out.calls_per_account_per_hour} calls an hour from one account",
                )
            )
        if caller.tenant is not None:
            limits.append(
                Limit(
                    "outbound.tenant",
                    keyed_ref(f"tenant:{caller.tenant}", self._key),
                    out.calls_per_tenant_per_hour,
                    HOUR,
                    f"at most {out.calls_per_tenant_per_hour} calls an hour from one business",
                )
            )
        return limits
