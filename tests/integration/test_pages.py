"""The pages' shared layout and their errors, against the real app: a browser's navigation gets
HTML in the site's layout (with who is signed in), a program gets JSON, and the credit page and
rights receipts read as pages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import SettingsFactory
from tests.support.accounts import site, verified_login

pytestmark = pytest.mark.integration
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_errors_are_pages_for_browsers_and_json_for_programs(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, _, _):
        page = await client.get("/no-such-page", headers=BROWSER)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "Page not found" in page.text and 'href="/account/login"' in page.text
        assert 'rel="icon" href="/static/favicon.svg"' in page.text
        data = await client.get("/no-such-page")
        assert data.status_code == 404
        assert data.json() == {"error": {"code": "not_found", "message": "Not Found"}}
        # /api/ is always JSON, even to a browser.
        api = await client.get("/api/no-such-thing", headers=BROWSER)
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"

        wrong_method = await client.delete("/", headers=BROWSER)
        assert wrong_method.status_code == 405 and "That does not work here" in wrong_method.text
        # The app's own errors: the page says the error's own words.
        forbidden = await client.get("/account/credit", headers=BROWSER, follow_redirects=False)
        assert forbidden.status_code == 303  # not signed in: to the sign-in page
        refused = await client.post("/account/logout", data={"csrf": "x"}, headers=BROWSER)
        assert refused.status_code == 403 and "Log in first" in refused.text
        assert "<pre" not in refused.text and '"error"' not in refused.text
        # A form a browser posts with a field missing: a page, not a validation document.
        invalid = await client.post("/account/login", data={"email": "a@b.c"}, headers=BROWSER)
        assert invalid.status_code == 422 and "Something in the form is not right" in invalid.text
        # Markup in the message is shown, never run.
        crafted = await client.get("/<script>alert(1)</script>", headers=BROWSER)
        assert crafted.status_code == 404 and "<script>alert" not in crafted.text
        favicon = await client.get("/static/favicon.svg")
        assert favicon.status_code == 200 and favicon.headers["content-type"] == "image/svg+xml"


async def test_the_layout_says_who_is_signed_in_and_the_credit_page_says_why_not(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        home = await client.get("/", headers=BROWSER)
        assert "Sign in" in home.text and "Sign out" not in home.text
        nav = re.search(r'<nav aria-label="Services">(.*?)</nav>', home.text, re.S)
        assert nav and 'href="/ring"' in nav.group(1) and "Ring my phone" in nav.group(1)

        csrf = await verified_login(client, inbox)
        home = await client.get("/", headers=BROWSER)
        assert "Your account" in home.text and 'form="sign-out"' in home.text
        assert f'name="csrf" value="{csrf}"' in home.text
        # Its own error pages too.
        missing = await client.get("/nothing-here", headers=BROWSER)
        assert missing.status_code == 404 and "Your account" in missing.text

        credit = await client.get("/account/credit", headers=BROWSER)
        assert credit.status_code == 200 and 'id="balance"' in credit.text
        assert "Card payments are not set up on this server" in credit.text
        bought = await client.post(
            "/account/credit", data={"csrf": csrf, "amount": 1000}, headers=BROWSER
        )
        assert bought.status_code == 503 and "text/html" in bought.headers["content-type"]
        assert "Payments are not set up on this server" in bought.text

        # Signing out from the layout's form ends the session.
        out = await client.post("/account/logout", data={"csrf": csrf}, headers=BROWSER)
        assert out.status_code == 303
        assert "Sign in" in (await client.get("/", headers=BROWSER)).text


async def test_a_receipt_reads_as_a_page_and_stays_signed_json(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, _, _):
        made = await client.post("/privacy/requests", json={"kind": "access"})
        request_id = made.json()["request"]
        url = f"/privacy/requests/{request_id}/receipt"
        page = await client.get(url, headers={**BROWSER, "Accept-Language": "en-GB"})
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "Access: See and download everything held" in page.text
        assert re.search(r"<dd>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC</dd>", page.text)
        assert "Exported: " in page.text and "consent_record" not in page.text.split("<pre")[0]
        signed = await client.get(url + "?format=json", headers=BROWSER)
        assert signed.json()["receipt"]["kind"] == "access" and signed.json()["signature"]
        assert (await client.get(url)).json() == signed.json()


async def test_the_policy_says_lengths_in_words(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, _, _):
        policy = await client.get("/privacy", headers=BROWSER)
        retentions = re.findall(r'<dd class="retention">([^<]*)</dd>', policy.text)
        assert retentions and not [r for r in retentions if re.search(r"\d{3,} days", r)]
