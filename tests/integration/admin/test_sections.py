"""The console's rates, rights requests, retention and jobs against the app on a real server:
a price set in the console is what dial quotes (with and without a rate table file); open
rights requests show their legal deadline; retention says what is due and when the sweeper
last ran; a failed job is listed and queued again. Every action is in the audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence import humanize
from ringfence.privacy import policy
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import AuditEntry, ConsentRecord
from ringfence.store import Database
from ringfence.store.models import JobFailure
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import verified_login
from tests.support.admin import client, console_site, operator_login

pytestmark = pytest.mark.integration
RATES = "prefix,price_per_minute,increment,connection_fee,currency,name\n44,60,1/1,10,EUR,UK\n"


async def _actions(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(AuditEntry.action))).all())
    finally:
        await db.dispose()


async def _open_request(make_settings: SettingsFactory, database_url: str) -> None:
    """A request that waits for the operator (a rectification sent by post, say)."""
    settings = make_settings(database_url=database_url)
    db = Database(database_url)
    try:
        privacy = Privacy(settings, db)
        async with db.session() as session:
            stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
            await privacy.rights(stamp.version).submit(
                session, "rectify", f"anon:{'y' * 24}", verified_via="anonymous_cookie"
            )
    finally:
        await db.dispose()


@pytest.mark.parametrize("with_file", [True, False], ids=["over-a-rate-table", "console-only"])
async def test_a_price_set_in_the_console_is_what_calls_are_quoted_at(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path, with_file: bool
) -> None:
    billing = {}
    if with_file:
        rates = tmp_path / "rates.csv"
        rates.write_text(RATES)
        billing = {"rates_file": str(rates)}
    no_test_phone = {"test_phone": {"enabled": False}}  # its free rate would be a rate table
    async with console_site(
        make_settings, database_url, billing=billing, telephony=no_test_phone
    ) as (base, inbox):
        async with client(base) as user, client(base) as operator:
            await verified_login(user, inbox)
            csrf = await operator_login(operator)
            number = {"number": "+44 20 7946 0958"}
            before = await user.post("/api/dial/quote", json=number)
            if with_file:
                assert before.json()["price_per_minute"] == 60
            else:
                assert before.status_code == 503 and "no rate table" in before.text
            page = await operator.get("/admin/rates")
            assert ("the rate table" in page.text) is with_file

            saved = await operator.post(
                "/admin/rates",
                data={
                    "csrf": csrf,
                    "prefix": "+4420",
                    "name": "London",
                    "price": "0.45",
                    "increment": "60/30",
                    "connection_fee": "0.05",
                },
            )
            assert saved.status_code == 303
            page = await operator.get(saved.headers["location"])
            assert "Price saved" in page.text and "+4420" in page.text and "0.45 EUR" in page.text
            quote = (await user.post("/api/dial/quote", json=number)).json()
            assert quote["price_per_minute"] == 45
            assert quote["increment"] == "60/30" and quote["connection_fee"] == 5
            assert quote["destination"] == "London"

            wrong = await operator.post(
                "/admin/rates",
                data={"csrf": csrf, "prefix": "44a", "price": "1", "increment": "60/60"},
            )
            assert wrong.status_code == 422 and "1 to 15 digits" in wrong.text
            assert 'value="44a"' in wrong.text  # what was typed stays in the form
            bad_increment = await operator.post(
                "/admin/rates",
                data={"csrf": csrf, "prefix": "33", "price": "1", "increment": "0/60"},
            )
            assert bad_increment.status_code == 422 and "1 to 3600" in bad_increment.text

            removed = await operator.post(
                "/admin/rates/remove", data={"csrf": csrf, "prefix": "4420"}
            )
            assert removed.status_code == 303
            after = await user.post("/api/dial/quote", json=number)
            assert after.status_code == before.status_code
    actions = await _actions(database_url)
    assert "admin.price.set" in actions and "admin.price.removed" in actions


@ENGINES
async def test_rights_requests_retention_and_jobs(
    make_settings: SettingsFactory, database_url: str
) -> None:
    db = Database(database_url)
    try:
        async with db.session() as session:
            old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3000)
            session.add_all(
                ConsentRecord(
                    subject_ref=f"anon:{'x' * 22}{i}",
                    purpose="preferences",
                    granted=True,
                    method="banner",
                    service="platform",
                    policy_version="v1",
                    at=old,
                )
                for i in range(3)
            )
            session.add(
                JobFailure(
                    job_name="privacy.retention_sweep",
                    task_id="t-1",
                    args=[],
                    attempts=4,
                    error_type="OperationalError",
                    error_message="database is locked",
                    failed_at=dt.datetime.now(dt.UTC),
                )
            )
    finally:
        await db.dispose()
    async with console_site(make_settings, database_url) as (base, _inbox):
        async with client(base) as operator:
            csrf = await operator_login(operator)
            empty = await operator.get("/admin/rights")
            assert "No open request." in empty.text and "30 days" in empty.text

            await _open_request(make_settings, database_url)
            listed = await operator.get("/admin/rights")
            due = humanize.date((dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date())
            assert "rectify" in listed.text and due in listed.text
            assert "29 days" in listed.text or "30 days" in listed.text

            retention = await operator.get("/admin/retention")
            assert "Last sweep: none yet" in retention.text
            assert 'id="due-total">3<' in retention.text
            swept = await operator.post("/admin/retention/sweep", data={"csrf": csrf})
            assert swept.status_code == 303
            retention = await operator.get(swept.headers["location"])
            assert "Retention sweep done." in retention.text
            assert "3 records removed" in retention.text
            assert 'id="due-total">0<' in retention.text

            jobs = await operator.get("/admin/jobs")
            assert "privacy.retention_sweep" in jobs.text and "database is locked" in jobs.text
            failure = jobs.text.split('action="/admin/jobs/')[1].split("/retry")[0]
            retried = await operator.post(f"/admin/jobs/{failure}/retry", data={"csrf": csrf})
            assert retried.status_code == 303
            jobs = await operator.get(retried.headers["location"])
            assert "queued again" in jobs.text and 'id="pending">1<' in jobs.text
            twice = await operator.post(f"/admin/jobs/{failure}/retry", data={"csrf": csrf})
            assert twice.status_code == 404 and "already retried" in twice.text
    actions = await _actions(database_url)
    for action in ("admin.retention.swept", "retention.sweep", "admin.job.retried"):
        assert action in actions, actions
