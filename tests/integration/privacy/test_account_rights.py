"""A signed-in person's privacy requests act on their account and what is linked to it (its
credit, consents, caller ids, and a business's records of the number it proved it answers),
through the real routes on both engines: the export (JSON, and the page that reads it out), a
correction of a correctable field, a restriction, and the erasure, which keeps what accounting
law requires and says so. The e-mail address changes only from a link mailed to the new one."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.accounts.callerids import CallerIds
from ringfence.accounts.email_change import PURPOSE
from ringfence.accounts.models import Account, AccountSession, CallerId
from ringfence.billing.models import LedgerTransaction, LowBalanceAlert
from ringfence.clock import SystemClock
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import AuditEntry, ProcessingRestriction
from ringfence.privacy.rights import WITHHELD
from ringfence.privacy.sealed import seal
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.models import Contact
from ringfence.services.agents.testing import CONSENTED, fund, open_shop
from ringfence.settings import Settings
from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import (
    EMAIL,
    PASSWORD,
    account_of,
    address_of,
    path_of,
    site,
    verified_login,
)
from tests.support.mail import Inbox

pytestmark = pytest.mark.integration

MINE = "+12125550101"  # the account holder's own phone, proved as a caller id
OTHER = "+12125550102"  # someone else on the same calling list


async def _account(settings: Settings, db: Database, email: str = EMAIL) -> Account:
    found = await account_of(settings, db, email)
    assert found is not None
    return found


async def _linked_data(settings: Settings, db: Database, account: Account) -> None:
    """Credit bought, a verified caller id, and a business's calling list holding that number."""
    await fund(settings, db, SystemClock(), account.id, 2_000)
    async with db.session() as session:
        await CallerIds(Privacy(settings, db)).add(session, account, MINE)
    await open_shop(settings, db, SystemClock(), [(MINE, CONSENTED), (OTHER, CONSENTED)])


async def _contacts(db: Database, e164: str, settings: Settings) -> list[Contact]:
    ref = phone_ref(e164, settings.signing_key())
    async with db.session() as session:
        found = await session.scalars(select(Contact).where(Contact.subject_ref == ref))
        return list(found.all())


@ENGINES
async def test_an_account_exports_corrects_restricts_and_erases_what_is_linked_to_it(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    async with site(make_settings, database_url) as (client, inbox, settings):
        csrf = await verified_login(client, inbox)
        account = await _account(settings, db)
        await _linked_data(settings, db, account)
        chosen = await client.post(
            "/account/credit/low-balance", data={"csrf": csrf, "choice": "own", "amount": "7.50"}
        )
        assert chosen.status_code == 303
        header = {"X-CSRF-Token": csrf}

        # The JSON API, signed in, needs the session's token: a cookie alone is not enough.
        refused = await client.post("/privacy/requests", json={"kind": "access"})
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["error"]["message"]
        access = await client.post("/privacy/requests", json={"kind": "access"}, headers=header)
        assert access.status_code == 200, access.text
        export = access.json()["export"]
        data = export["data"]
        assert export["subject"] == account.subject_ref
        assert export["linked_subjects"] == [phone_ref(MINE, settings.signing_key())]
        assert data["account"]["records"][0]["email"] == EMAIL.lower()
        # Secrets that sign the person in stay out of a copy that could leak.
        assert data["account"]["records"][0]["password_hash"] == WITHHELD
        assert "$argon2" not in json.dumps(export) and csrf not in json.dumps(export)
        assert data["account_session"]["records"][0]["token_hash"] == WITHHELD
        assert {r["purpose"] for r in data["consent_record"]["records"]} >= {"adult", "terms"}
        assert data["caller_id"]["records"][0]["number"] == MINE  # decrypted, with its own key
        assert len(data["ledger_transaction"]["records"]) == 1
        assert data["low_balance_alert"]["records"][0]["threshold"] == 750
        # The business's list holds the proved number: the holder sees that record, decrypted,
        # and nothing of the other person on the list.
        listed = data["campaign_contact"]["records"]
        assert [c["number"] for c in listed] == [MINE] and OTHER not in json.dumps(export)

        # The page that reads the export out: plain titles, human dates, no hashes.
        page = await client.post("/account/privacy/export", data={"csrf": csrf, "format": "page"})
        assert page.status_code == 200
        assert "Your account" in page.text and "Credit movements" in page.text
        assert "Your number on a business&#39;s calling list" in page.text
        year = str(dt.datetime.now(dt.UTC).year)
        assert re.search(r"\d:\d\d.{0,4}UTC", page.text) and year in page.text
        assert not re.search(r"\d{4}-\d\d-\d\dT", page.text) and "$argon2" not in page.text
        assert "accounting law requires" in page.text  # what erasure would keep, said plainly
        download = await client.post(
            "/account/privacy/export", data={"csrf": csrf, "format": "json"}
        )
        assert "attachment" in download.headers["content-disposition"]
        assert download.json()["data"]["account"]["records"][0]["email"] == EMAIL.lower()
        forged = await client.post("/account/privacy/export", data={"csrf": "nope"})
        assert forged.status_code == 403

        # Correct: the page shows the correctable fields; a contact's name is re-encrypted.
        requests_page = await client.get("/privacy/requests")
        assert 'name="field" value="name"' in requests_page.text
        assert 'href="/account/email"' in requests_page.text  # the address: with proof
        fixed = await client.post(
            "/account/privacy/rectify",
            data={"csrf": csrf, "category": "campaign_contact", "field": "name",
                  "value": "Ada Lovelace"},
        )  # fmt: skip
        assert fixed.status_code == 303, fixed.text
        receipt = await client.get(fixed.headers["location"], params={"format": "json"})
        assert receipt.json()["receipt"]["actions"][0]["action"] == "rectified"
        again = await client.post("/privacy/requests", json={"kind": "access"}, headers=header)
        assert again.json()["export"]["data"]["campaign_contact"]["records"][0]["name"] == (
            "Ada Lovelace"
        )
        direct = await client.post(
            "/privacy/requests",
            json={"kind": "rectify",
                  "payload": {"category": "account", "field": "email", "value": "x@y.org"}},
            headers=header,
        )  # fmt: skip
        assert direct.status_code == 422 and "/account/email" in direct.json()["error"]["message"]
        bad = await client.post(
            "/account/privacy/rectify",
            data={"csrf": csrf, "category": "account", "field": "password_hash", "value": "x"},
        )
        assert bad.status_code == 422 and "cannot be rectified" in bad.text
        async with db.session() as session:
            audit = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "rights.rectify.applied")
                )
            ).all()
        assert len(audit) == 1 and "Ada" not in json.dumps(audit[0].detail)

        # Restrict: recorded for the account and for the number it proved.
        restricted = await client.post(
            "/account/privacy/request", data={"csrf": csrf, "kind": "restrict"}
        )
        assert restricted.status_code == 303
        async with db.session() as session:
            refs = set((await session.scalars(select(ProcessingRestriction.subject_ref))).all())
        assert refs == {account.subject_ref, phone_ref(MINE, settings.signing_key())}

        # Lifted by the person, for the account and the number alike; the receipt says what
        # stood. Restricted again, so the erasure below takes the restriction with it.
        lifted = await client.post(
            "/account/privacy/request", data={"csrf": csrf, "kind": "lift_restriction"}
        )
        assert lifted.status_code == 303
        receipt = await client.get(lifted.headers["location"] + "?format=page")
        assert "Restriction lifted: restrict" in receipt.text
        async with db.session() as session:
            assert (await session.scalars(select(ProcessingRestriction))).all() == []
        again = await client.post(
            "/account/privacy/request", data={"csrf": csrf, "kind": "restrict"}
        )
        assert again.status_code == 303

        # Erase: the password again; the ledger is kept, said so; the rest goes.
        wrong = await client.post(
            "/privacy/requests",
            json={"kind": "erase", "payload": {"password": "not it at all"}},
            headers=header,
        )
        assert wrong.status_code == 403
        erased = await client.post(
            "/privacy/requests",
            json={"kind": "erase", "payload": {"password": PASSWORD}},
            headers=header,
        )
        assert erased.status_code == 200, erased.text
        signed = json.loads(erased.json()["receipt"])["receipt"]
        kept = {h["category"]: h["why"] for h in signed["kept_under_legal_hold"]}
        assert "accounting law" in kept["ledger_transaction"]
        done = {a["category"] for a in signed["actions"]}
        assert {"account", "caller_id", "campaign_contact", "consent_record"} <= done
        assert "low_balance_alert" in done
        assert PASSWORD not in json.dumps(erased.json())
        assert (await client.get("/account")).status_code in (303, 403)  # signed out
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Account).where(
            Account.id == account.id)) == 0  # fmt: skip
        assert await session.scalar(select(func.count()).select_from(AccountSession)) == 0
        assert await session.scalar(select(func.count()).select_from(CallerId)) == 0
        assert await session.scalar(select(func.count()).select_from(LowBalanceAlert)) == 0
        assert await session.scalar(
            select(func.count()).select_from(LedgerTransaction).where(
                LedgerTransaction.subject_ref == account.subject_ref)
        ) == 1  # fmt: skip
    assert await _contacts(db, MINE, settings) == []
    assert len(await _contacts(db, OTHER, settings)) == 1  # someone else's stays


async def _mails(inbox: Inbox, count: int) -> dict[str, str]:
    """The next ``count`` mails, by recipient: their bodies."""
    out = {}
    for _ in range(count):
        mail = await inbox.next()
        body = mail.get_payload(decode=True)
        assert isinstance(body, bytes)
        out[str(mail["To"])] = body.decode()
    return out


@ENGINES
async def test_the_email_address_changes_only_from_the_link_sent_to_the_new_one(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    async with site(make_settings, database_url) as (client, inbox, settings):
        csrf = await verified_login(client, inbox)
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await verified_login(other, inbox, "taken@example.org")
        form = {"csrf": csrf, "password": PASSWORD}

        page = await client.get("/account/email")
        assert page.status_code == 200 and EMAIL.lower() in page.text
        wrong_password = {**form, "email": "new@example.org", "password": "nope nope nope"}
        wrong = await client.post("/account/email", data=wrong_password)
        assert wrong.status_code == 422 and "wrong password" in wrong.text
        taken = await client.post("/account/email", data={**form, "email": "taken@example.org"})
        assert taken.status_code == 409 and "has an account already" in taken.text
        invalid = await client.post("/account/email", data={**form, "email": "not-an-address"})
        assert invalid.status_code == 422 and "not-an-address" in invalid.text  # kept typed
        forged = await client.post(
            "/account/email", data={**form, "csrf": "x", "email": "new@example.org"}
        )
        assert forged.status_code == 403

        asked = await client.post("/account/email", data={**form, "email": "New@Example.org"})
        assert asked.status_code == 200 and 'id="sent"' in asked.text
        mails = await _mails(inbox, 2)
        assert set(mails) == {"new@example.org", EMAIL.lower()}
        assert "/account/email/confirm?token=" not in mails[EMAIL.lower()]  # the old: a notice
        link = re.search(r"https?://\S+", mails["new@example.org"])
        assert link is not None
        assert await account_of(settings, db, EMAIL)  # nothing changes before the link

        confirmed = await client.get(path_of(link.group(0)))
        assert confirmed.status_code == 200 and "new@example.org" in confirmed.text
        changed = await _account(settings, db, "new@example.org")
        assert await address_of(settings, db, changed) == "new@example.org"
        assert await account_of(settings, db, EMAIL) is None
        used = await client.get(path_of(link.group(0)))
        assert used.status_code == 403 and "already used" in used.text
        # An expired link changes nothing.
        account = await _account(settings, db, "new@example.org")
        stale = seal(
            {"account": account.id, "old": "new@example.org", "new": "later@example.org"},
            key=settings.signing_key(),
            purpose=PURPOSE,
            expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
        )
        expired = await client.get("/account/email/confirm", params={"token": stale})
        assert expired.status_code == 403 and "expired" in expired.text
        async with db.session() as session:
            actions = (await session.scalars(select(AuditEntry.action))).all()
        assert actions.count("accounts.email_change.asked") == 1
        assert actions.count("accounts.email_change.applied") == 1

        # A few asks an hour at most (each one counted, refused ones included).
        for n in range(4):
            last = await client.post("/account/email", data={**form, "email": f"x{n}@example.org"})
        assert last.status_code == 429 and "wait an hour" in last.text
        await other.aclose()
