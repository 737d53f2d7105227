"""An erasure by rights request cannot orphan a business: the account that alone owns an open
business is told to hand it over or close it first, on every way in (the JSON API of
``/privacy/requests`` and the requests page's form), before anything is recorded; once the
business is closed the same request erases the account. Against the app on a real server."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.privacy.models import RightsRequest
from ringfence.settings import Settings
from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import PASSWORD, account_of, verified_login
from tests.support.admin import client, console_site, csrf_of

pytestmark = pytest.mark.integration

EMAIL = "sole.owner@example.org"
ORPHANED = "Sole Garage would have no owner"


async def _counts(settings: Settings, database_url: str) -> tuple[int, int]:
    """Accounts with the owner's address, and erasure requests recorded."""
    db = Database(database_url)
    try:
        accounts = 0 if await account_of(settings, db, EMAIL) is None else 1
        async with db.session() as session:
            erasures = await session.scalar(
                select(func.count()).select_from(RightsRequest).where(RightsRequest.kind == "erase")
            )
            return accounts, int(erasures or 0)
    finally:
        await db.dispose()


async def _account_exists(owner: httpx.AsyncClient) -> bool:
    return (await owner.get("/account")).status_code == 200


@ENGINES
async def test_the_sole_owner_cannot_erase_the_account_by_rights_request(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with console_site(make_settings, database_url) as (base, inbox), client(base) as owner:
        csrf = await verified_login(owner, inbox, EMAIL)
        made = await owner.post(
            "/api/tenants", json={"name": "Sole Garage"}, headers={"X-CSRF-Token": csrf}
        )
        assert made.status_code == 201, made.text
        tenant = made.json()["id"]
        erase = {"kind": "erase", "payload": {"password": PASSWORD}}

        # The JSON API, with the right password and CSRF token: a conflict that says why.
        refused = await owner.post("/privacy/requests", json=erase, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 409, refused.text
        assert ORPHANED in refused.json()["error"]["message"]
        assert "close the business" in refused.json()["error"]["message"]

        # The requests page's form: the page again, with the same reason.
        page = await owner.get("/privacy/requests")
        form = await owner.post(
            "/account/privacy/erase", data={"csrf": csrf_of(page), "password": PASSWORD}
        )
        assert form.status_code == 409, form.text
        assert ORPHANED in form.text

        # Without the CSRF token or with a wrong password it is refused before the guard.
        forged = await owner.post("/privacy/requests", json=erase)
        assert forged.status_code == 403
        wrong = {"kind": "erase", "payload": {"password": "not the password"}}
        guessed = await owner.post("/privacy/requests", json=wrong, headers={"X-CSRF-Token": csrf})
        assert guessed.status_code == 403

        # Nothing was erased, nor recorded as an erasure; the owner is still signed in.
        assert await _account_exists(owner)
        assert await _counts(make_settings(database_url=database_url), database_url) == (1, 0)
        listed = (await owner.get("/api/tenants")).json()["tenants"]
        assert [t["id"] for t in listed] == [tenant]

        # Closed, the business keeps its data for the declared time and no longer needs an
        # owner who can act: the same request erases the account now.
        closed = await owner.post(
            f"/api/tenants/{tenant}/close",
            json={"confirm": "Sole Garage"},
            headers={"X-CSRF-Token": csrf},
        )
        assert closed.status_code == 200, closed.text
        erased = await owner.post("/privacy/requests", json=erase, headers={"X-CSRF-Token": csrf})
        assert erased.status_code == 200, erased.text
        assert not await _account_exists(owner)
        assert await _counts(make_settings(database_url=database_url), database_url) == (0, 1)
