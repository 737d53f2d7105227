"""Stripe payments: Checkout against a stand-in for Stripe's API on loopback (nothing reaches
Stripe), and webhooks signed here with the endpoint's secret, checked by the real verification."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import select

from ringfence.billing.ledger import Ledger, wallet
from ringfence.billing.models import Payment
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.accounts import add_account, site, verified_login
from tests.support.stripe import SECRET, event, paid, sign
from tests.support.web import client_for, serving

pytestmark = pytest.mark.integration


def _settings(make_settings: SettingsFactory, database_url: str, **billing: Any) -> Settings:
    return make_settings(
        database_url=database_url,
        billing={"stripe_webhook_secret": SECRET, "stripe_secret_key": "sk_test_x", **billing},
    )


async def _account(settings: Settings) -> str:
    db = Database(settings.resolved_database_url)
    try:
        return (await add_account(settings, db, f"{uuid.uuid4().hex[:8]}@example.org")).id
    finally:
        await db.dispose()


async def _balance(client: httpx.AsyncClient, database_url: str, account_id: str) -> int:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return await Ledger(FakeClock()).balance(session, wallet(account_id), "EUR")
    finally:
        await db.dispose()


async def _post(client: httpx.AsyncClient, payload: bytes, signature: str) -> httpx.Response:
    return await client.post(
        "/api/billing/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


async def test_a_signed_payment_credits_once_and_refunds_and_disputes_reverse(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url)
    account = await _account(settings)
    async with client_for(create_app(settings, run_workers=False)) as client:
        payload = event("checkout.session.completed", paid(account), "evt_paid")
        first = await _post(client, payload, sign(payload))
        assert first.status_code == 200 and first.json() == {"result": "credited"}
        again = await _post(client, payload, sign(payload))  # Stripe retries: applied once
        assert again.json() == {"result": "duplicate"}
        assert await _balance(client, database_url, account) == 1000

        refund = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_1"}
        partial = event("charge.refunded", {**refund, "amount_refunded": 300})
        assert (await _post(client, partial, sign(partial))).json() == {"result": "reversed"}
        assert await _balance(client, database_url, account) == 700
        # The next refund event carries the total refunded so far: only the difference moves.
        full = event("charge.refunded", {**refund, "amount_refunded": 500})
        assert (await _post(client, full, sign(full))).json() == {"result": "reversed"}
        assert await _balance(client, database_url, account) == 500
        dispute = event(
            "charge.dispute.created",
            {"id": "dp_1", "object": "dispute", "payment_intent": "pi_test_1", "amount": 800},
        )
        assert (await _post(client, dispute, sign(dispute))).json() == {"result": "reversed"}
        assert await _balance(client, database_url, account) == 0  # never more than was paid
        other = event("customer.created", {"id": "cus_1"})
        assert (await _post(client, other, sign(other))).json() == {"result": "ignored"}


async def test_forged_tampered_stale_and_unsigned_webhooks_are_refused(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url)
    account = await _account(settings)
    async with client_for(create_app(settings, run_workers=False)) as client:
        payload = event("checkout.session.completed", paid(account))
        tampered = payload.replace(b'"amount_total": 1000', b'"amount_total": 99000')
        refusals = [
            (tampered, sign(payload)),  # the body changed after signing
            (payload, sign(payload, secret="whsec_someone_else")),
            (payload, sign(payload, at=int(time.time()) - 3600)),  # a replay an hour later
            (payload, ""),
        ]
        for body, signature in refusals:
            response = await _post(client, body, signature)
            assert response.status_code == 403, response.text
            assert "signature" in response.json()["error"]["message"]
        assert await _balance(client, database_url, account) == 0
    unset = make_settings(database_url=database_url)
    async with client_for(create_app(unset, run_workers=False)) as client:
        response = await _post(client, payload, sign(payload))
        assert response.status_code == 503 and "not set up" in response.text


@asynccontextmanager
async def fake_stripe() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """Stripe's API as far as Checkout needs it: POST /v1/checkout/sessions."""
    received: list[dict[str, Any]] = []
    api = FastAPI()

    @api.post("/v1/checkout/sessions")
    async def create(request: Request) -> dict[str, Any]:
        form = parse_qs((await request.body()).decode())
        fields = {k: v[0] for k, v in form.items()}
        received.append(fields | {"auth": request.headers["authorization"]})
        return {"id": "cs_test_made", "object": "checkout.session",
                "url": "https://checkout.stripe.test/c/pay/cs_test_made"}  # fmt: skip

    async with serving(api) as base:
        yield base, received


async def test_buying_a_pack_opens_checkout_and_records_the_payment(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with fake_stripe() as (api_base, received):
        billing = {"stripe_secret_key": "sk_test_x", "stripe_api_base": api_base}
        async with site(make_settings, database_url, billing=billing) as (client, inbox, _):
            csrf = await verified_login(client, inbox)
            refused = await client.post("/account/credit", data={"csrf": csrf, "amount": 123})
            assert refused.status_code == 422 and "credit packs" in refused.text
            opened = await client.post("/account/credit", data={"csrf": csrf, "amount": 1000})
            assert opened.status_code == 303
            assert opened.headers["location"] == "https://checkout.stripe.test/c/pay/cs_test_made"
            assert (await client.get("/api/billing/balance")).json() == {
                "currency": "EUR",
                "balance": 0,  # nothing until Stripe's signed webhook says it was paid
            }
    (request,) = received
    assert request["auth"] == "Bearer sk_test_x" and request["mode"] == "payment"
    assert request["line_items[0][price_data][unit_amount]"] == "1000"
    assert request["line_items[0][price_data][currency]"] == "eur"
    db = Database(database_url)
    try:
        async with db.session() as session:
            (payment,) = (await session.scalars(select(Payment))).all()
    finally:
        await db.dispose()
    assert payment.id == "cs_test_made" and payment.status == "open" and payment.amount == 1000
