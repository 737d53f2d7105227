"""A banned person's appeal, against the app on a real server: the page says until when and
why, the appeal form (CSRF, length, one waiting at a time, a flood limited), the operator's
review queue with the reports behind the ban (reasons, how often, how many people), uphold and
lift (audited), and the appeal in the privacy inventory: exported, erased, swept."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import select

from ringfence.privacy.core import Privacy
from ringfence.privacy.models import AuditEntry
from ringfence.privacy.subjects import ip_ref, keyed_ref
from ringfence.services.roulette.models import Appeal
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.integration.services.test_roulette import peers
from tests.support.admin import client, make_operator, operator_login
from tests.support.web import serving

pytestmark = pytest.mark.integration
BANNED, REPORTERS = "198.51.100.60", ("198.51.100.61", "198.51.100.62")
WHY = "I was only talking about chess, the other person pressed report by mistake."


@asynccontextmanager
async def visitor(base: str, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=base, timeout=60, headers={"X-Forwarded-For": ip}
    ) as made:
        yield made


async def _appeal(person: httpx.AsyncClient, text: str) -> httpx.Response:
    """Post an appeal with the page's token (its double-submit cookie: the page shows no form
    to someone who may not appeal now, but the server must refuse a post all the same)."""
    await person.get("/roulette/appeal")
    return await person.post(
        "/roulette/appeal", data={"csrf": person.cookies["rf_csrf"], "text": text}
    )


async def _report(base: str, reporter: str, reason: str) -> None:
    async with peers(base, reporter, BANNED) as (a, b):
        await a.join()
        await b.join()
        assert (await a.call("report", {"reason": reason}))["state"] == "reported"
        await b.next("banned")


def _settings(make_settings: SettingsFactory, database_url: str, **roulette: int) -> Settings:
    return make_settings(
        database_url=database_url, web={"trusted_proxies": ["127.0.0.1"]}, roulette=roulette
    )


@ENGINES
async def test_a_banned_person_sees_why_appeals_and_the_operator_decides(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url)
    key = keyed_ref(ip_ref(BANNED), settings.signing_key())
    await make_operator(settings)
    async with serving(create_app(settings, run_workers=False)) as base:
        await _report(base, REPORTERS[0], "harassment")
        async with visitor(base, BANNED) as person, client(base) as operator:
            page = await person.get("/roulette")  # the page itself says so, before Start
            assert "you were reported for Harassment, threats or hate" in page.text
            assert 'href="/roulette/appeal"' in page.text
            form = await person.get("/roulette/appeal")
            assert "You cannot use roulette until" in form.text
            assert "Harassment, threats or hate" in form.text and 'id="appeal-form"' in form.text

            # Another site's form (no token), and an appeal too short: refused, nothing kept.
            forged = await person.post("/roulette/appeal", data={"csrf": "x", "text": WHY})
            assert forged.status_code == 403
            short = await _appeal(person, "unfair")
            assert short.status_code == 422 and "10 characters or more" in short.text
            assert 'id="text-error"' in short.text and ">unfair</textarea>" in short.text

            sent = await _appeal(person, WHY)
            assert sent.status_code == 303 and sent.headers["location"] == "/roulette/appeal?sent=1"
            status = await person.get(sent.headers["location"])
            assert (
                'data-decision="waiting"' in status.text and "Your appeal was sent" in status.text
            )
            assert 'id="appeal-form"' not in status.text  # one appeal waiting at a time
            again = await _appeal(person, WHY + " Again.")
            assert again.status_code == 409 and "waiting for the operator" in again.text

            # The operator sees it with the reports behind the ban, never the conversation.
            csrf = await operator_login(operator)
            console = await operator.get("/admin/roulette")
            appeals = console.text.split('id="appeals"')[1].split("</table>")[0]
            assert WHY in appeals and key[2:14] in appeals
            assert "Harassment, threats or hate (1)" in appeals
            assert BANNED not in console.text
            appeal_id = re.search(r'/admin/roulette/appeals/(\w+)"', appeals)
            assert appeal_id is not None
            url = f"/admin/roulette/appeals/{appeal_id.group(1)}"
            bogus = await operator.post(url, data={"csrf": csrf, "decision": "maybe"})
            assert bogus.status_code == 422 and "uphold or lift" in bogus.text
            upheld = await operator.post(url, data={"csrf": csrf, "decision": "upheld"})
            assert upheld.status_code == 303
            shown = await operator.get(upheld.headers["location"])
            assert "the ban stands" in shown.text and "No appeal waiting." in shown.text
            twice = await operator.post(url, data={"csrf": csrf, "decision": "lifted"})
            assert twice.status_code == 409 and "answered already" in twice.text

            status = await person.get("/roulette/appeal")
            assert 'data-decision="upheld"' in status.text and "the ban stands" in status.text
            assert "you were reported for" in (await person.get("/roulette")).text

            # Answered, the person may appeal again; this time the operator lifts the ban.
            assert (await _appeal(person, WHY + " Please.")).status_code == 303
            console = await operator.get("/admin/roulette")
            appeals = console.text.split('id="appeals"')[1].split("</table>")[0]
            assert "<td>1</td><td>1</td>" in appeals  # one report, by one person
            second = re.search(r'/admin/roulette/appeals/(\w+)"', appeals)
            assert second is not None
            lifted = await operator.post(
                f"/admin/roulette/appeals/{second.group(1)}",
                data={"csrf": csrf, "decision": "lifted"},
            )
            assert lifted.status_code == 303
            status = await person.get("/roulette/appeal")
            assert "the ban was lifted" in status.text and "is not banned" in status.text
        async with peers(base, BANNED) as (back,):  # let in at once
            assert (await back.join())["state"] == "waiting"

    db = Database(database_url)
    try:
        async with db.session() as session:
            actions = (
                await session.scalars(
                    select(AuditEntry.action).where(AuditEntry.subject_ref == key)
                )
            ).all()
        assert sorted(actions) == [
            "admin.roulette.appeal_lifted",
            "admin.roulette.appeal_upheld",
        ]
    finally:
        await db.dispose()


async def test_appeals_need_a_ban_and_a_flood_is_limited(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url, appeals_per_day=3)
    async with (
        serving(create_app(settings, run_workers=False)) as base,
        visitor(base, "198.51.100.70") as stranger,
    ):
        form = await stranger.get("/roulette/appeal")
        assert "is not banned" in form.text and 'id="appeal-form"' not in form.text
        for _ in range(3):
            refused = await _appeal(stranger, WHY)
            assert refused.status_code == 409 and "not banned" in refused.text
        flooded = await _appeal(stranger, WHY)
        assert flooded.status_code == 429 and "too many appeals" in flooded.text
    db = Database(database_url)
    try:
        async with db.session() as session:
            assert (await session.scalars(select(Appeal))).all() == []
    finally:
        await db.dispose()


async def test_an_appeal_is_exported_erased_and_swept(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url)
    async with serving(create_app(settings, run_workers=False)) as base:
        await _report(base, REPORTERS[0], "other")
        async with visitor(base, BANNED) as person:
            assert (await _appeal(person, WHY)).status_code == 303
    db = Database(database_url)
    try:
        privacy = Privacy(settings, db)
        assert privacy.inventory["roulette_appeal"].retention.days == 30
        async with db.session() as session:
            exported = await privacy.rights("test").export(session, ip_ref(BANNED))
        records = exported["data"]["roulette_appeal"]["records"]
        assert [r["text"] for r in records] == [WHY]
        async with db.session() as session:
            actions, _ = await privacy.rights("test").erase(session, ip_ref(BANNED))
        assert {"action": "deleted", "category": "roulette_appeal", "records": 1} in actions
        async with db.session() as session:
            assert (await session.scalars(select(Appeal))).all() == []

        async with serving(create_app(settings, run_workers=False)) as base:
            await _report(base, REPORTERS[1], "spam")
            async with visitor(base, BANNED) as person:
                assert (await _appeal(person, WHY)).status_code == 303
        later = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
        report = await Privacy(settings, db, later).sweeper().sweep()
        assert report.counts["roulette_appeal"] == 1
        async with db.session() as session:
            assert (await session.scalars(select(Appeal))).all() == []
    finally:
        await db.dispose()
