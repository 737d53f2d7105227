"""Stripe's webhook on a real server: events that are correctly signed but malformed, and
signatures dated in the future, are refused with 400 and change nothing; a well-formed event
with the same id is then still applied."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.billing.ledger import Ledger, wallet
from ringfence.billing.models import StripeEvent
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import add_account
from tests.support.stripe import SECRET, paid, sign
from tests.support.web import serving

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


async def _account(settings: Settings, db: Database) -> str:
    return (await add_account(settings, db, "payer@example.org")).id


def _event(obj: Any, kind: str = "checkout.session.completed", **top: Any) -> dict[str, Any]:
    return {"id": "evt_shape", "object": "event", "type": kind, "data": {"object": obj}, **top}


def _malformed(account: str) -> list[tuple[str, Any]]:
    good = paid(account)
    without = {k: v for k, v in good.items() if k != "metadata"}
    refund = {"id": "ch_1", "object": "charge", "payment_intent": "pi_test_1"}
    return [
        ("object is a string", _event("cs_test_1")),
        ("data is a string", {**_event(good), "data": "nope"}),
        ("the event is a list", [_event(good)]),
        ("no id", {k: v for k, v in _event(good).items() if k != "id"}),
        ("id is a number", {**_event(good), "id": 12}),
        ("id with a NUL", {**_event(good), "id": "evt_\u0000"}),
        ("amount is text", _event({**good, "amount_total": "1000"})),
        ("amount is a fraction", _event({**good, "amount_total": 10.5})),
        ("amount is negative", _event({**good, "amount_total": -5})),
        ("no metadata", _event(without)),
        ("metadata is a string", _event({**good, "metadata": "acct"})),
        ("account with a NUL", _event({**good, "metadata": {"account": "a\u0000"}})),
        ("refund amount is text", _event({**refund, "amount_refunded": "x"}, "charge.refunded")),
        ("dispute without intent", _event({"amount": 5}, "charge.dispute.created")),
    ]


async def _post(client: httpx.AsyncClient, payload: bytes, signature: str) -> httpx.Response:
    return await client.post(
        "/api/billing/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


async def _state(db: Database, account: str) -> tuple[int, int]:
    async with db.session() as session:
        events = await session.scalar(select(func.count()).select_from(StripeEvent))
        balance = await Ledger(FakeClock()).balance(session, wallet(account), "EUR")
    return int(events or 0), balance


@ENGINES
async def test_signed_but_malformed_or_future_dated_events_are_refused_and_change_nothing(
    make_settings: SettingsFactory, database_url: str, store: Database
) -> None:
    settings = make_settings(database_url=database_url, billing={"stripe_webhook_secret": SECRET})
    account = await _account(settings, store)
    async with (
        serving(create_app(settings, run_workers=False)) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        for what, document in _malformed(account):
            payload = json.dumps(document).encode()
            response = await _post(client, payload, sign(payload))
            assert response.status_code == 400, (what, response.text)
            assert response.json()["error"]["code"] == "bad_request", what
            assert response.json()["error"]["message"], what
        not_json = b"{not json"
        assert (await _post(client, not_json, sign(not_json))).status_code == 400

        good = json.dumps(_event(paid(account))).encode()
        future = await _post(client, good, sign(good, at=int(time.time()) + 3600))
        assert future.status_code == 400 and "future" in future.json()["error"]["message"]
        assert await _state(store, account) == (0, 0)

        # Nothing of the refused ones was recorded: the same id, well formed, is applied once.
        applied = await _post(client, good, sign(good))
        assert applied.status_code == 200 and applied.json() == {"result": "credited"}
        assert await _state(store, account) == (1, 1000)
        skew = await _post(client, good, sign(good, at=int(time.time()) + 30))
        assert skew.json() == {"result": "duplicate"}  # a little clock skew is tolerated
