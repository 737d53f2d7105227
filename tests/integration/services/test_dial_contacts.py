"""dial's address book through the real routes on both engines: a contact is stored as ciphertext
only (the raw row holds no name or number), found by name, note or digits, corrected, removed;
bad input is refused with a 4xx that says why and stores nothing; the account's export carries
the contacts decrypted (JSON and the page that reads it out) and its erasure removes them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from ringfence.services.dial.models import DialContact
from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import PASSWORD, site, verified_login

pytestmark = pytest.mark.integration

NAME = "Zoë Quartermain"
NUMBER = "+44 20 7946 0958"
E164 = "+442079460958"


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(DialContact)) or 0)


@ENGINES
async def test_contacts_are_ciphertext_searchable_refuse_bad_input_and_go_with_the_account(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _settings):
        csrf = await verified_login(client, inbox)
        header = {"X-CSRF-Token": csrf}

        added = await client.post(
            "/api/dial/contacts",
            json={"name": f"  {NAME} ", "number": NUMBER, "note": "the lighthouse keeper"},
            headers=header,
        )
        assert added.status_code == 201, added.text
        zoe = added.json()
        assert zoe["name"] == NAME and zoe["number"] == E164
        assert zoe["international"] == NUMBER
        local = await client.post(
            "/api/dial/contacts",
            json={"name": "Bob Ferris", "number": "(212) 555-0123", "country": "US"},
            headers=header,
        )
        assert local.status_code == 201 and local.json()["number"] == "+12125550123"

        # The raw rows hold ciphertext only: neither the name nor any form of the number.
        async with db.session() as session:
            raw = (await session.execute(text("select * from dial_contacts"))).all()
        dumped = repr(raw)
        for secret in ("Zo", "Quartermain", "lighthouse", "7946", "2125550123", "Ferris"):
            assert secret not in dumped
        assert all(bytes(row.name).startswith(b"RF1") for row in raw)

        async def found(q: str) -> list[str]:
            response = await client.get("/api/dial/contacts", params={"q": q})
            assert response.status_code == 200
            return [c["name"] for c in response.json()["contacts"]]

        assert await found("") == ["Bob Ferris", NAME]  # by name
        assert await found("zoe") == [NAME]  # case and accents aside
        assert await found("LIGHTHOUSE") == [NAME]  # the note
        assert await found("555 01") == ["Bob Ferris"]  # digits of the number
        assert await found("nobody") == []

        # Bad input: a clear 4xx, and nothing stored or changed.
        bad = [
            ({"name": "   ", "number": NUMBER}, "give the contact a name"),
            ({"name": "A" * 101, "number": NUMBER}, "at most 100 characters"),
            ({"name": "Eve", "number": "12", "country": "GB"}, "too short"),
            ({"name": "Eve", "number": "020 7946 0958"}, "choose a country"),
            ({"name": "Eve", "number": "not a number"}, "not a phone number"),
            ({"name": "Eve", "number": NUMBER, "note": "x" * 501}, "at most 500 characters"),
            ({"name": "Eve", "number": "9" * 41}, ""),
            ({"number": NUMBER}, "name"),
        ]
        for body, says in bad:
            refused = await client.post("/api/dial/contacts", json=body, headers=header)
            assert 400 <= refused.status_code < 500, (body, refused.text)
            message = refused.json()["error"]["message"]
            assert message and says in message, (body, message)
        assert await _count(db) == 2
        forged = await client.post("/api/dial/contacts", json={"name": "Eve", "number": NUMBER})
        assert forged.status_code == 403 and await _count(db) == 2
        unchanged = await client.put(
            f"/api/dial/contacts/{zoe['id']}", json={"name": "", "number": NUMBER}, headers=header
        )
        assert unchanged.status_code == 422 and await found("zoe") == [NAME]

        edited = await client.put(
            f"/api/dial/contacts/{zoe['id']}",
            json={"name": "Zoë Q.", "number": "+1 212 555 0199", "note": ""},
            headers=header,
        )
        assert edited.status_code == 200, edited.text
        assert edited.json() == {
            "id": zoe["id"],
            "name": "Zoë Q.",
            "number": "+12125550199",
            "international": "+1 212-555-0199",
            "note": "",
        }
        missing = await client.delete("/api/dial/contacts/nope", headers=header)
        assert missing.status_code == 404

        # The export carries the contacts, decrypted; the page reads them out.
        access = await client.post("/privacy/requests", json={"kind": "access"}, headers=header)
        records = access.json()["export"]["data"]["dial_contact"]["records"]
        assert sorted(r["name"] for r in records) == ["Bob Ferris", "Zoë Q."]
        assert {r["number"] for r in records} == {"+12125550123", "+12125550199"}
        page = await client.post("/account/privacy/export", data={"csrf": csrf, "format": "page"})
        assert "Your contacts" in page.text and "Bob Ferris" in page.text

        # The generated policy says what is kept and for how long.
        policy = await client.get("/dial/privacy")
        assert "Your contacts" in policy.text
        assert "until you remove the contact or delete your account" in policy.text

        removed = await client.delete(f"/api/dial/contacts/{zoe['id']}", headers=header)
        assert removed.status_code == 200 and await found("") == ["Bob Ferris"]

        erased = await client.post(
            "/privacy/requests",
            json={"kind": "erase", "payload": {"password": PASSWORD}},
            headers=header,
        )
        assert erased.status_code == 200, erased.text
        signed = json.loads(erased.json()["receipt"])["receipt"]
        assert {"action": "deleted", "category": "dial_contact", "records": 1} in signed["actions"]
    assert await _count(db) == 0


@ENGINES
async def test_contacts_go_out_and_come_in_as_vcard_and_csv_all_or_none(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _settings):
        csrf = await verified_login(client, inbox)
        header = {"X-CSRF-Token": csrf}
        cards = (
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Zoë Quartermain\r\n"
            "TEL;VALUE=uri:tel:+442079460958\r\nNOTE:keeper\\, of the light\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob Ferris\r\nTEL;TYPE=CELL:(212) 555-0123\r\n"
            "END:VCARD\r\n"
        )
        imported = await client.post(
            "/api/dial/contacts/import",
            params={"country": "US"},
            content=cards.encode(),
            headers={**header, "Content-Type": "text/vcard"},
        )
        assert imported.status_code == 201, imported.text
        assert imported.json() == {"added": 2}

        # One wrong entry: the file is refused, it is named, and nothing of the file is kept.
        for body, says in [
            ("name,number\nEve,+442079460001\n,+442079460002\n", "line 3: give the contact"),
            ("name,number\nEve,12\n", "line 2: choose a country"),
            ("BEGIN:VCARD\nFN:Eve\nEND:VCARD\n", "card 1: type a phone number"),
            ("just some text", "name,number,note"),
        ]:
            refused = await client.post(
                "/api/dial/contacts/import",
                content=body.encode(),
                headers={**header, "Content-Type": "text/csv"},
            )
            assert refused.status_code == 422, refused.text
            assert says in refused.json()["error"]["message"]
        binary = await client.post(
            "/api/dial/contacts/import", content=b"\xff\xfe\x00", headers=header
        )
        assert binary.status_code == 422 and "UTF-8" in binary.json()["error"]["message"]
        forged = await client.post("/api/dial/contacts/import", content=cards.encode())
        assert forged.status_code == 403
        assert await _count(db) == 2

        vcf = await client.get("/api/dial/contacts/export", params={"format": "vcf"})
        assert vcf.headers["content-type"].startswith("text/vcard")
        assert "attachment" in vcf.headers["content-disposition"]
        assert "FN:Bob Ferris\r\n" in vcf.text and "tel:+12125550123" in vcf.text
        assert "NOTE:keeper\\, of the light" in vcf.text
        csv_file = await client.get("/api/dial/contacts/export", params={"format": "csv"})
        assert csv_file.text.splitlines()[:2] == [
            "name,number,note",
            "Bob Ferris,+12125550123,",
        ]
        # What went out comes back in as the same contacts.
        again = await client.post(
            "/api/dial/contacts/import",
            content=csv_file.content,
            headers={**header, "Content-Type": "text/csv"},
        )
        assert again.json() == {"added": 2}
        listed = (await client.get("/api/dial/contacts")).json()["contacts"]
        assert [(c["name"], c["note"]) for c in listed] == [
            ("Bob Ferris", ""),
            ("Bob Ferris", ""),
            ("Zoë Quartermain", "keeper, of the light"),
            ("Zoë Quartermain", "keeper, of the light"),
        ]
