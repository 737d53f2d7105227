"""Buying credit with Stripe Checkout, and Stripe's webhooks that move the ledger.

Credit is given only by a webhook whose signature (``Stripe-Signature``, HMAC-SHA256 with the
endpoint's secret, at most five minutes old) checks out, never by the browser coming back from
Checkout. Each event is applied once: its id is stored in the same transaction as its effect.
``checkout.session.completed`` (paid) credits the account; ``charge.refunded`` and
``charge.dispute.created`` take the refunded or disputed amount back (each cent at most once,
whatever the order and number of events).
"""

from __future__ import annotations

import asyncio
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.billing.ledger import Ledger
from ringfence.billing.low_balance import LowBalance
from ringfence.billing.models import Payment, StripeEvent
from ringfence.billing.stripe_events import (
    CheckoutSession,
    Dispute,
    Event,
    Refund,
    parse_event,
    parse_object,
)
from ringfence.errors import BadRequest, Forbidden, InvalidInput, ServiceUnavailable, TooLarge
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import account_ref

log = get_logger(__name__)
MAX_PAYLOAD = 256_000
TOLERANCE = 300  # seconds a signature stays valid (Stripe's default)
FUTURE_TOLERANCE = 60  # seconds of clock skew allowed for a timestamp ahead of ours


Effect = CheckoutSession | Refund | Dispute | None


def _signed_at(signature: str) -> int:
    """The ``t=`` of a ``Stripe-Signature`` header that ``verify_header`` accepted."""
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            return int(value)
    raise Forbidden("the Stripe signature does not match")


class Payments:
    def __init__(self, privacy: Privacy) -> None:
        settings, clock = privacy.settings, privacy.clock
        self.settings = settings
        self.options = settings.billing
        self.db = privacy.db
        self.clock = clock
        self.ledger = Ledger(clock)
        self.low_balance = LowBalance(privacy)

    # -- checkout --------------------------------------------------------------------------

    async def checkout(self, account: Account, amount: int) -> str:
        """The Stripe Checkout address where the person pays for a pack of credit."""
        if amount not in self.options.packs:
            raise InvalidInput("choose one of the credit packs on offer")
        key = self.options.stripe_secret_key
        if key is None:
            raise ServiceUnavailable("payments are not set up on this server")
        base = self.settings.web.public_url.rstrip("/")
        params: Any = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": self.options.currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": "ringfence call credit"},
                    },
                    "quantity": 1,
                }
            ],
            "client_reference_id": account.id,
            "metadata": {"account": account.id},
            "success_url": f"{base}/dial?paid=1",
            "cancel_url": f"{base}/dial?paid=0",
        }
        api_base = self.options.stripe_api_base
        addresses: Any = {"api": api_base} if api_base else {}
        client = stripe.StripeClient(key.get_secret_value(), base_addresses=addresses)
        try:
            made = await asyncio.to_thread(client.v1.checkout.sessions.create, params=params)
        except stripe.StripeError as exc:
            log.warning("stripe_checkout_failed", error=type(exc).__name__)
            raise ServiceUnavailable("the payment page could not be opened; try again") from None
        async with self.db.session() as session:
            session.add(
                Payment(
                    id=str(made.id),
                    payment_intent=None,
                    subject_ref=account_ref(account.id),
                    amount=amount,
                    currency=self.options.currency.upper(),
                    reversed=0,
                    status="open",
                    created_at=self.clock.now(),
                )
            )
        return str(made.url)

    # -- webhooks --------------------------------------------------------------------------

    def verify(self, payload: bytes, signature: str) -> Event:
        """The event, once its signature checks out (403) and its shape is an event's (400).

        The signed timestamp must be within ``TOLERANCE`` of now on either side: Stripe's own
        check refuses only old ones, and a future-dated signature would outlive the window.
        """
        secret = self.options.stripe_webhook_secret
        if secret is None:
            raise ServiceUnavailable("Stripe webhooks are not set up on this server")
        if len(payload) > MAX_PAYLOAD:
            raise TooLarge("a Stripe event is at most 256 kB")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode(), signature, secret.get_secret_value(), tolerance=TOLERANCE
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            raise Forbidden("the Stripe signature does not match") from None
        signed_at = _signed_at(signature)
        if signed_at > self.clock.now().timestamp() + FUTURE_TOLERANCE:
            raise BadRequest("the Stripe signature's timestamp is in the future")
        return parse_event(payload)

    async def handle(self, payload: bytes, signature: str) -> str:
        """Apply a signed event; returns what was done ("credited", "duplicate", ...)."""
        event = self.verify(payload, signature)
        effect = self._effect(event)  # malformed: refused before anything is written
        try:
            async with self.db.session() as session:
                session.add(StripeEvent(id=event.id, kind=event.type[:60], at=self.clock.now()))
                await session.flush()
                outcome, moved = await self._apply(session, event.id, effect)
        except IntegrityError:
            return "duplicate"
        log.info("stripe_event", kind=event.type[:60], outcome=outcome)
        if moved is not None:
            await self.low_balance.observe(moved)
        return outcome

    @staticmethod
    def _effect(event: Event) -> Effect:
        if event.type == "checkout.session.completed":
            return parse_object(CheckoutSession, event)
        if event.type == "charge.refunded":
            return parse_object(Refund, event)
        if event.type == "charge.dispute.created":
            return parse_object(Dispute, event)
        return None

    async def _apply(
        self,
        session: AsyncSession,
        event_id: str,
        effect: CheckoutSession | Refund | Dispute | None,
    ) -> tuple[str, str | None]:
        """What was done, and whose wallet it moved (None: nobody's)."""
        if isinstance(effect, CheckoutSession):
            return await self._paid(session, effect)
        if isinstance(effect, Refund):
            return await self._take_back(
                session, event_id, effect.payment_intent, effect.amount_refunded, "refunded"
            )
        if isinstance(effect, Dispute):
            return await self._take_back(
                session, event_id, effect.payment_intent, effect.amount, "disputed",
                cumulative=False,
            )  # fmt: skip
        return "ignored", None

    async def _paid(self, session: AsyncSession, paid: CheckoutSession) -> tuple[str, str | None]:
        if paid.payment_status != "paid":
            return "not paid", None
        account_id = paid.account
        if account_id is None or await session.get(Account, account_id) is None:
            return "unknown account", None
        amount, currency = paid.amount_total, paid.currency.upper()
        payment = await session.get(Payment, paid.id)
        if payment is None:
            payment = Payment(
                id=paid.id,
                subject_ref=account_ref(account_id),
                amount=amount,
                currency=currency,
                reversed=0,
                status="open",
                created_at=self.clock.now(),
            )
            session.add(payment)
        payment.payment_intent = paid.payment_intent
        payment.amount, payment.currency, payment.status = amount, currency, "paid"
        await self.ledger.credit(session, account_id, amount, currency, f"stripe:{paid.id}")
        return "credited", account_id

    async def _take_back(
        self,
        session: AsyncSession,
        event_id: str,
        intent: str,
        amount: int,
        status: str,
        *,
        cumulative: bool = True,
    ) -> tuple[str, str | None]:
        payment = await session.scalar(select(Payment).where(Payment.payment_intent == intent))
        if payment is None or payment.status == "open":
            return "unknown payment", None
        # A refund event carries the total refunded so far; a dispute, its own amount.
        target = amount if cumulative else payment.reversed + amount
        delta = min(target, payment.amount) - payment.reversed
        if delta <= 0:
            return "nothing to reverse", None
        account_id = payment.subject_ref.removeprefix("account:")
        await self.ledger.reverse(
            session, account_id, delta, payment.currency, f"stripe:{event_id}"
        )
        payment.reversed += delta
        payment.status = status
        return "reversed", account_id
