"""roulette's section of the operator console (``/admin/roulette``, mounted from its manifest)
against the app on a real server: a report made over Socket.IO appears with its count and the
number of different reporters (keyed hashes only), and lifting the ban lets the address back
in at once; the lift is in the audit log."""

from __future__ import annotations

import pytest
import socketio
from sqlalchemy import select

from ringfence.privacy.models import AuditEntry
from ringfence.privacy.subjects import ip_ref, keyed_ref
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.integration.services.test_roulette import Peer, peers
from tests.support.admin import client, make_operator, operator_login
from tests.support.web import serving

pytestmark = pytest.mark.integration
REPORTED, FIRST, SECOND = "198.51.100.20", "198.51.100.21", "198.51.100.22"


@ENGINES
async def test_reports_and_bans_are_reviewed_and_a_ban_lifted(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url, web={"trusted_proxies": ["127.0.0.1"]})
    key = keyed_ref(ip_ref(REPORTED), settings.signing_key())
    await make_operator(settings)
    async with serving(create_app(settings, run_workers=False)) as base:
        async with client(base) as operator:
            csrf = await operator_login(operator)
            lift = {"csrf": csrf, "address": key}
            for turn, reporter in enumerate((FIRST, SECOND, FIRST)):  # one person twice
                if turn:  # the ban of the last report, lifted through the console
                    lifted = await operator.post("/admin/roulette/lift", data=lift)
                    assert lifted.status_code == 303
                async with peers(base, reporter, REPORTED) as (a, b):
                    await a.join()
                    await b.join()
                    reported = await a.call("report", {"reason": "harassment"})
                    assert (reported["ok"], reported["state"]) == (True, "reported")
                    await b.next("banned")

            page = await operator.get("/admin/roulette")
            assert page.status_code == 200
            bans = page.text.split('id="bans"')[1].split("</table>")[0]
            reports = page.text.split('id="reports"')[1].split("</table>")[0]
            assert key[2:14] in bans and "<td>3</td><td>2</td>" in reports
            assert REPORTED not in page.text and "Roulette: bans and reports" in page.text
            refused = Peer(base, REPORTED)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await refused.connect()

            lifted = await operator.post("/admin/roulette/lift", data=lift)
            assert lifted.status_code == 303
            page = await operator.get(lifted.headers["location"])
            assert "Ban lifted." in page.text and "No ban in force." in page.text
            assert "ban lifted" in page.text
            again = await operator.post("/admin/roulette/lift", data=lift)
            assert again.status_code == 404 and "not banned now" in again.text

        async with peers(base, REPORTED) as (back,):  # let in at once, in this process
            assert (await back.join())["state"] == "waiting"

    db = Database(database_url)
    try:
        async with db.session() as session:
            entries = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "admin.roulette.ban_lifted")
                )
            ).all()
            assert len(entries) == 3 and {e.subject_ref for e in entries} == {key}
    finally:
        await db.dispose()
