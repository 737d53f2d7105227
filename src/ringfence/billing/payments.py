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
import json
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.billing.ledger import Ledger
from ringfence.billing.models import Payment, StripeEvent
from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.privacy.subjects import account_ref
from ringfence.settings import Settings
from ringfence.store.database import Database

log = get_logger(__name__)
MAX_PAYLOAD = 256_000


class Payments:
    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings = settings
        self.options = settings.billing
        self.db = db
        self.clock = clock
        self.ledger = Ledger(clock)

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

    def verify(self, payload: bytes, signature: str) -> dict[str, Any]:
        secret = self.options.stripe_webhook_secret
        if secret is None:
            raise ServiceUnavailable("Stripe webhooks are not set up on this server")
        if len(payload) > MAX_PAYLOAD:
            raise InvalidInput("payload too large")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode(), signature, secret.get_secret_value(), tolerance=300
            )
            event: dict[str, Any] = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
            raise Forbidden("the Stripe signature does not match") from None
        if not isinstance(event.get("id"), str) or not isinstance(event.get("data"), dict):
            raise InvalidInput("not a Stripe event")
        return event

    async def handle(self, payload: bytes, signature: str) -> str:
        """Apply a signed event; returns what was done ("credited", "duplicate", ...)."""
        event = self.verify(payload, signature)
        kind = str(event.get("type", ""))
        obj: dict[str, Any] = event["data"].get("object") or {}
        try:
            async with self.db.session() as session:
                session.add(StripeEvent(id=event["id"], kind=kind[:60], at=self.clock.now()))
                await session.flush()
                outcome = await self._apply(session, event["id"], kind, obj)
        except IntegrityError:
            return "duplicate"
        log.info("stripe_event", kind=kind, outcome=outcome)
        return outcome

    async def _apply(
        self, session: AsyncSession, event_id: str, kind: str, obj: dict[str, Any]
    ) -> str:
        if kind == "checkout.session.completed":
            return await self._paid(session, obj)
        if kind == "charge.refunded":
            return await self._take_back(
                session, event_id, obj, int(obj.get("amount_refunded") or 0), "refunded"
            )
        if kind == "charge.dispute.created":
            return await self._take_back(
                session, event_id, obj, int(obj.get("amount") or 0), "disputed", cumulative=False
            )
        return "ignored"

    async def _paid(self, session: AsyncSession, obj: dict[str, Any]) -> str:
        if obj.get("payment_status") != "paid":
            return "not paid"
        metadata = obj.get("metadata") or {}
        account_id = str(metadata.get("account") or obj.get("client_reference_id"))
        if await session.get(Account, account_id) is None:
            return "unknown account"
        amount, currency = int(obj.get("amount_total") or 0), str(obj.get("currency", "")).upper()
        payment = await session.get(Payment, str(obj["id"]))
        if payment is None:
            payment = Payment(
                id=str(obj["id"]),
                subject_ref=account_ref(account_id),
                amount=amount,
                currency=currency,
                reversed=0,
                status="open",
                created_at=self.clock.now(),
            )
            session.add(payment)
        payment.payment_intent = obj.get("payment_intent")
        payment.amount, payment.currency, payment.status = amount, currency, "paid"
        await self.ledger.credit(session, account_id, amount, currency, f"stripe:{obj['id']}")
        return "credited"

    async def _take_back(
        self,
        session: AsyncSession,
        event_id: str,
        obj: dict[str, Any],
        amount: int,
        status: str,
        *,
        cumulative: bool = True,
    ) -> str:
        intent = obj.get("payment_intent")
        payment = await session.scalar(select(Payment).where(Payment.payment_intent == intent))
        if payment is None or payment.status == "open":
            return "unknown payment"
        # A refund event carries the total refunded so far; a dispute, its own amount.
        target = amount if cumulative else payment.reversed + amount
        delta = min(target, payment.amount) - payment.reversed
        if delta <= 0:
            return "nothing to reverse"
        account_id = payment.subject_ref.removeprefix("account:")
        await self.ledger.reverse(
            session, account_id, delta, payment.currency, f"stripe:{event_id}"
        )
        payment.reversed += delta
        payment.status = status
        return "reversed"
