"""The console's users and businesses against the app on a real server: the operator finds an
account, grants and refunds credit with a reason (ledger entries the account sees in its
history), suspends it (no sign-in, no session, no call), reinstates and erases it; a business
is suspended and its calls refused by the outbound gate. Every action is in the audit log."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.errors import Forbidden
from ringfence.privacy.models import AuditEntry
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.telephony import TelephonyEngine
from ringfence.telephony.dialing import parse
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import EMAIL, PASSWORD, account_of, verified_login
from tests.support.admin import client, console_site, csrf_of, operator_login

pytestmark = pytest.mark.integration
USER = EMAIL.lower()


async def _actions(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
            return list(rows.all())
    finally:
        await db.dispose()


async def _account_id(operator: httpx.AsyncClient) -> str:
    # Addresses are stored encrypted: the console finds a whole address (any case), not a part.
    part = await operator.get("/admin/users", params={"q": "ada@"})
    assert part.status_code == 200 and USER not in part.text
    listing = await operator.get("/admin/users", params={"q": EMAIL.upper()})
    assert listing.status_code == 200 and USER in listing.text
    found = re.search(r'href="/admin/users/([0-9a-f]{32})">' + re.escape(USER), listing.text)
    assert found, listing.text
    return found.group(1)


def _form_key(page: httpx.Response) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@ENGINES
async def test_credit_with_a_reason_suspension_and_erasure(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with console_site(make_settings, database_url) as (base, inbox):
        async with client(base) as user, client(base) as operator:
            user_csrf = await verified_login(user, inbox)
            csrf = await operator_login(operator)
            account = await _account_id(operator)
            page = await operator.get(f"/admin/users/{account}")
            assert "0.00 EUR" in page.text

            granted = await operator.post(
                f"/admin/users/{account}/credit",
                data={
                    "csrf": csrf,
                    "kind": "grant",
                    "amount": "5.20",
                    "reason": "Welcome credit for testing",
                    "key": _form_key(page),
                },
            )
            assert granted.status_code == 303
            again = await operator.post(  # the same form posted twice is applied once
                f"/admin/users/{account}/credit",
                data={
                    "csrf": csrf,
                    "kind": "grant",
                    "amount": "5.20",
                    "reason": "Welcome credit for testing",
                    "key": _form_key(page),
                },
            )
            assert again.status_code == 303
            shown = await operator.get(granted.headers["location"])
            assert "Credit granted." in shown.text and "5.20 EUR" in shown.text

            refund_page = await operator.get(f"/admin/users/{account}")
            refunded = await operator.post(
                f"/admin/users/{account}/credit",
                data={
                    "csrf": csrf,
                    "kind": "refund",
                    "amount": "1",
                    "reason": "A dropped call",
                    "key": _form_key(refund_page),
                },
            )
            assert refunded.status_code == 303
            bad = await operator.post(
                f"/admin/users/{account}/credit",
                data={
                    "csrf": csrf,
                    "kind": "grant",
                    "amount": "1.234",
                    "reason": "x",
                    "key": _form_key(refund_page) + "x",
                },
            )
            assert bad.status_code == 422 and "at most two decimals" in bad.text
            no_reason = await operator.post(
                f"/admin/users/{account}/credit",
                data={
                    "csrf": csrf,
                    "kind": "grant",
                    "amount": "1",
                    "reason": "   ",
                    "key": _form_key(refund_page) + "y",
                },
            )
            assert no_reason.status_code == 422 and "give a reason" in no_reason.text

            balance = (await user.get("/api/billing/balance")).json()
            assert balance == {"currency": "EUR", "balance": 620}
            history = (await user.get("/api/billing/history")).json()["movements"]
            assert [(m["kind"], m["amount"], m["reason"]) for m in history] == [
                ("refund", 100, "A dropped call"),
                ("grant", 520, "Welcome credit for testing"),
            ]

            suspended = await operator.post(
                f"/admin/users/{account}/suspend", data={"csrf": csrf, "action": "suspend"}
            )
            assert suspended.status_code == 303
            assert (await user.get("/api/billing/balance")).status_code == 403  # session ended
            login_form = csrf_of(await user.get("/account/login"))
            refused = await user.post(
                "/account/login",
                data={"csrf": login_form, "email": USER, "password": PASSWORD},
            )
            assert refused.status_code == 403 and "suspended" in refused.text
            assert user_csrf  # the session it had was ended, not merely refused

            reinstated = await operator.post(
                f"/admin/users/{account}/suspend", data={"csrf": csrf, "action": "reinstate"}
            )
            assert reinstated.status_code == 303
            login_form = csrf_of(await user.get("/account/login"))
            back = await user.post(
                "/account/login",
                data={"csrf": login_form, "email": USER, "password": PASSWORD},
            )
            assert back.status_code == 303

            wrong = await operator.post(
                f"/admin/users/{account}/delete", data={"csrf": csrf, "confirm": "someone@else"}
            )
            assert wrong.status_code == 400 and "type the account" in wrong.text
            erased = await operator.post(
                f"/admin/users/{account}/delete", data={"csrf": csrf, "confirm": USER}
            )
            assert erased.status_code == 303
            assert (await operator.get(f"/admin/users/{account}")).status_code == 404
            assert (await user.get("/api/billing/balance")).status_code == 403

    db = Database(database_url)
    try:
        settings = make_settings(database_url=database_url)
        assert await account_of(settings, db, USER) is None
    finally:
        await db.dispose()
    actions = await _actions(database_url)
    for action in (
        "admin.credit.grant",
        "admin.credit.refund",
        "admin.account.suspended",
        "admin.account.reinstated",
        "admin.account.erased",
    ):
        assert action in actions, actions
    assert actions.count("admin.credit.grant") == 1


@ENGINES
async def test_a_suspended_business_is_listed_and_its_calls_refused(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with console_site(make_settings, database_url) as (base, inbox):
        async with client(base) as owner, client(base) as operator:
            owner_csrf = await verified_login(owner, inbox)
            made = await owner.post(
                "/api/tenants", json={"name": "Acme Plumbing"}, headers={"X-CSRF-Token": owner_csrf}
            )
            tenant = made.json()["id"]
            csrf = await operator_login(operator)
            listing = await operator.get("/admin/tenants", params={"q": "acme"})
            assert "Acme Plumbing" in listing.text and "active" in listing.text
            assert (
                "Acme" not in (await operator.get("/admin/tenants?q=zzz")).text.split("<tbody>")[1]
            )
            suspended = await operator.post(
                f"/admin/tenants/{tenant}/suspend", data={"csrf": csrf, "action": "suspend"}
            )
            assert suspended.status_code == 303
            listing = await operator.get("/admin/tenants")
            assert "suspended" in listing.text and "Reinstate Acme Plumbing" in listing.text
            # Credit its agents' calls are paid from: granted once however often it is posted.
            form = {"csrf": csrf, "amount": "5", "reason": "trial", "key": "k" * 20}
            for _ in range(2):
                granted = await operator.post(f"/admin/tenants/{tenant}/credit", data=form)
                assert granted.status_code == 303
            listing = await operator.get("/admin/tenants")
            assert '<span class="tenant-balance">5.00</span>' in listing.text
            wrong = await operator.post(
                f"/admin/tenants/{tenant}/credit", data={**form, "amount": "x", "key": "j" * 20}
            )
            assert wrong.status_code == 422 and "write the amount" in wrong.text

    settings = Settings(database_url=database_url)
    db = Database(database_url)
    engine = TelephonyEngine(settings)
    try:
        gate = OutboundGate(engine, db, SystemClock(), settings)
        with pytest.raises(Forbidden, match="business is suspended"):
            await gate.allow(
                parse("+442079460958", None), Caller("agents", tenant=tenant), AnyNumber()
            )
    finally:
        await db.dispose()
    assert "admin.tenant.suspended" in await _actions(database_url)


@ENGINES
async def test_agent_prices_and_a_monthly_quota_set_in_the_console_show_on_the_business_page(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with console_site(make_settings, database_url) as (base, inbox):
        async with client(base) as owner, client(base) as operator:
            owner_csrf = await verified_login(owner, inbox)
            made = await owner.post(
                "/api/tenants", json={"name": "Acme Plumbing"}, headers={"X-CSRF-Token": owner_csrf}
            )
            tenant = made.json()["id"]
            page = await owner.get(f"/agents/b/{tenant}")
            assert "0.00 EUR, on top of the rate" in page.text and "no monthly limit" in page.text

            csrf = await operator_login(operator)
            rates = await operator.get("/admin/rates")
            assert "An AI agent&#39;s minute" in rates.text
            for name, price in (("agent_minute", "0.12"), ("campaign_call", "0.03")):
                saved = await operator.post(
                    "/admin/rates/usage", data={"csrf": csrf, "name": name, "price": price}
                )
                assert saved.status_code == 303, saved.text
            rates = await operator.get("/admin/rates")
            assert 'id="usage-agent_minute">0.12 EUR' in rates.text
            for form, said in (
                ({"name": "agent_minute", "price": "ten"}, "write the amount"),
                ({"name": "agent_minute", "price": "-1"}, "at most"),
                ({"name": "free_lunch", "price": "1"}, "no price is called"),
            ):
                refused = await operator.post("/admin/rates/usage", data={"csrf": csrf, **form})
                assert refused.status_code == 422 and said in refused.text, (form, refused.text)
            assert 'id="usage-agent_minute">0.12 EUR' in refused.text  # nothing changed

            quota = await operator.post(
                f"/admin/tenants/{tenant}/quota", data={"csrf": csrf, "minutes": "300"}
            )
            assert quota.status_code == 303
            assert "Quota saved" in (await operator.get(quota.headers["location"])).text
            for wrong in ("lots", "-5", "1.5", "99999999"):
                refused = await operator.post(
                    f"/admin/tenants/{tenant}/quota", data={"csrf": csrf, "minutes": wrong}
                )
                assert refused.status_code == 422 and "whole number of minutes" in refused.text
            unknown = await operator.post(
                f"/admin/tenants/{'0' * 32}/quota", data={"csrf": csrf, "minutes": "5"}
            )
            assert unknown.status_code == 404

            page = await owner.get(f"/agents/b/{tenant}")
            assert 'id="agent-minute-price">0.12 EUR' in page.text
            assert 'id="campaign-call-price">0.03 EUR' in page.text
            assert 'id="quota">0 of 300' in page.text
            lifted = await operator.post(
                f"/admin/tenants/{tenant}/quota", data={"csrf": csrf, "minutes": ""}
            )
            assert lifted.status_code == 303
            assert "no monthly limit" in (await owner.get(f"/agents/b/{tenant}")).text
    actions = await _actions(database_url)
    assert actions.count("admin.usage_price.set") == 2 and "admin.tenant.quota" in actions
