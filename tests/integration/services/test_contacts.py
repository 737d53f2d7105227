"""Contact lists and calling rules: a CSV import with its per-row report, the list checked
against the rules as a campaign would be, do-not-call lists and opt-outs, and the privacy core
exporting and erasing a contact (the do-not-call entry stays, as it must)."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select, text

from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.campaigns.contacts import NATIONAL, ContactLists
from ringfence.services.agents.campaigns.csvstream import csv_records
from ringfence.services.agents.models import Contact, DoNotCall
from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import invite_and_accept, site, verified_login

pytestmark = pytest.mark.integration

CSV = (
    "Phone,Full name,Consent date,Consent source\n"
    "+1 212 555 0100,Ann Example,2026-10-01,web form A\n"  # callable (New York)
    '020 7946 0011,"Bob\nExample",2026-10-02T09:00:00+00:00,paper form\n'  # national, GB
    "+1 212 555 0100,Ann Again,2026-10-03,web form A\n"  # a duplicate
    "12,Too Short,,\n"  # rejected
    "+1 212 555 0101,No Consent,,\n"  # no consent
    "+1 212 555 0102,Bad Date,yesterday,\n"  # rejected
    "+1 212 555 0103,Stops,2026-10-01,web form B\n"  # will opt out
    "+1 212 555 0104,Business DNC,2026-10-01,web form B\n"
    "+1 212 555 0105,National DNC,2026-10-01,web form B\n"
)


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_csv_records_stream_with_bounded_memory() -> None:
    """100,000 rows arrive in 4 kB chunks, a multi-byte character and a quoted line break
    split across them; memory stays at a few chunks, not the 4 MB file."""
    row = 'x,"é\nline",+12125550100\n'.encode()

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(100_000 // 50):
            yield from_rows  # 50 rows, about 1.5 kB: chunks cut anywhere, in characters too

    from_rows = row * 50
    count = 0
    tracemalloc.start()
    try:
        async for record in csv_records(_rechunk(upload(), 4096)):
            assert record == ["x", "é\nline", "+12125550100"]
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < 200_000, peak  # the file is 2.6 MB


async def _rechunk(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    pending = b""
    async for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if pending:
        yield pending


@ENGINES
async def test_a_list_imports_with_its_report_and_checks_against_the_rules(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, settings):
        csrf = await verified_login(client, inbox, "owner@example.org")
        headers = {"X-CSRF-Token": csrf}
        tenant = (await client.post("/api/tenants", json={"name": "Shop"}, headers=headers)).json()
        url = f"/api/tenants/{tenant['id']}/contact-lists"
        query = {"name": "October", "phone_column": "Phone", "name_column": "Full name",
                 "consent_column": "Consent date", "consent_source_column": "Consent source",
                 "region": "GB"}  # fmt: skip
        missing = await client.post(url, params={**query, "phone_column": "Mobile"},
                                    content=CSV.encode(), headers=headers)  # fmt: skip
        assert missing.status_code == 422 and "no column named Mobile" in missing.text
        made = await client.post(
            url, params=query, content=_chunks(CSV.encode(), 7), headers=headers
        )
        assert made.status_code == 201, made.text
        report = made.json()
        assert (report["imported"], report["duplicates"], report["rejected"]) == (6, 1, 2)
        assert [e["row"] for e in report["errors"]] == [5, 7]  # records, as a spreadsheet counts
        assert "possible" in report["errors"][0]["reason"]
        assert "not a date" in report["errors"][1]["reason"]
        listed = (await client.get(url)).json()["lists"]
        assert [(x["name"], x["imported"]) for x in listed] == [("October", 6)]

        db = Database(database_url)
        lists = ContactLists(db, Privacy(settings, db), Privacy(settings, db).clock,
                             settings.signing_key())  # fmt: skip
        async with db.session() as session:
            # Encrypted at rest: no number or name in the clear.
            dump = " ".join(
                str(r) for r in (await session.execute(text("select * from contacts"))).all()
            )
            assert "5550100" not in dump and "Ann" not in dump
        await lists.opt_out(tenant["id"], "+12125550103")
        dnc = await client.post(
            f"/api/tenants/{tenant['id']}/do-not-call",
            json={"numbers": ["+12125550104"]},
            headers=headers,
        )
        assert dnc.json() == {"added": 1}
        assert await lists.do_not_call(NATIONAL, ["+12125550105"], "import") == 1

        # 15:00 in New York and 20:00 in London: everyone's window is open.
        check = f"{url}/{listed[0]['id']}/check"
        at = {"at": "2026-11-23T20:00:00+00:00"}
        result = (await client.get(check, params=at)).json()
        assert result["callable"] == 0  # no verified caller id: nobody may be called
        assert result["refused"]["the business has no verified caller id"] == 6
        by_tail = {c["number"]: c["refusals"][1:] for c in result["contacts"]}
        assert by_tail["…00"] == [] and by_tail["…11"] == []
        assert by_tail["…01"] == ["no prior express written consent to AI-voice calls"]
        assert by_tail["…03"] == ["opted out", "on the business do-not-call list"]
        assert by_tail["…04"] == ["on the business do-not-call list"]
        assert by_tail["…05"] == ["on the national do-not-call list"]
        # 07:00 UTC: 02:00 in New York and 07:00 in London, both before 8:00 local.
        night = (await client.get(check, params={"at": "2026-11-23T07:00:00+00:00"})).json()
        night_tail = {c["number"]: c["refusals"] for c in night["contacts"]}
        assert any("America/New_York" in r for r in night_tail["…00"])
        assert any("Europe/London" in r for r in night_tail["…11"])
        naive = await client.get(check, params={"at": "2026-11-23T07:00:00"})
        assert naive.status_code == 422 and "offset" in naive.text

        # The person's rights: export shows the contact, erasure removes it, the do-not-call
        # entry (an opt-out) stays, as the answer says.
        privacy = Privacy(settings, db)
        subject = phone_ref("+12125550103", settings.signing_key())
        rights = privacy.rights("test")
        async with db.session() as session:
            exported = await rights.export(session, subject)
        contact = exported["data"]["campaign_contact"]["records"][0]
        assert contact["number"] == "+12125550103" and contact["name"] == "Stops"
        async with db.session() as session:
            _, holds = await rights.erase(session, subject)
        assert [h["category"] for h in holds] == ["do_not_call"]
        async with db.session() as session:
            left = await session.scalar(
                select(func.count()).select_from(Contact).where(Contact.subject_ref == subject)
            )
            kept = await session.scalar(select(func.count()).select_from(DoNotCall))
        assert left == 0 and kept == 3
        deleted = await client.delete(f"{url}/{listed[0]['id']}", headers=headers)
        assert deleted.json() == {"deleted": 5}
        await db.dispose()


async def test_a_member_without_the_role_imports_nothing(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        csrf = await verified_login(client, inbox, "owner@example.org")
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        other_csrf = await verified_login(other, inbox, "viewer@example.org")
        tenant = (
            await client.post("/api/tenants", json={"name": "Shop"}, headers={"X-CSRF-Token": csrf})
        ).json()["id"]
        await invite_and_accept(
            (client, csrf), (other, other_csrf), inbox, tenant, "viewer@example.org", "viewer"
        )
        refused = await other.post(
            f"/api/tenants/{tenant}/contact-lists",
            content=CSV.encode(),
            headers={"X-CSRF-Token": other_csrf},
        )
        assert refused.status_code == 403 and "viewer" in refused.text
        assert (await client.get(f"/api/tenants/{tenant}/contact-lists")).json() == {"lists": []}
        await other.aclose()
