"""The browser-facing headers and cookies of a real server: CSP, framing, sniffing, referrer,
devices (the microphone only where a page captures it), HSTS and ``__Host-``/``Secure`` cookies
when the request came over HTTPS through a trusted proxy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.accounts import PASSWORD, verified_login
from tests.support.mail import smtp_server
from tests.support.server import running_server
from tests.support.web import serving

pytestmark = pytest.mark.integration

PAGES = ["/", "/account/login", "/account/signup", "/privacy", "/privacy/requests", "/ring",
         "/numbers", "/account"]  # fmt: skip
API = ["/api/billing/balance", "/openapi.json", "/healthz", "/static/ringfence.css", "/nowhere"]
MICROPHONE_PAGES = ["/roulette", "/dial"]


def _directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def _assert_hardened(response: httpx.Response, microphone: bool = False) -> None:
    where = f"{response.request.method} {response.url.path} ({response.status_code})"
    policy = _directives(response.headers.get("content-security-policy", ""))
    assert policy.get("script-src") == "'self'", where
    assert "unsafe-inline" not in policy.get("default-src", "") and "unsafe-eval" not in str(policy)
    assert policy.get("frame-ancestors") == "'none'", where
    assert policy.get("object-src") == "'none'" and policy.get("base-uri") == "'none'", where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    devices = response.headers.get("permissions-policy", "")
    assert "camera=()" in devices and "geolocation=()" in devices, where
    expected = "microphone=(self)" if microphone else "microphone=()"
    assert expected in devices, where
    assert "strict-transport-security" not in response.headers, where  # plain http


async def test_every_page_and_api_answer_carries_the_security_headers(
    make_settings: SettingsFactory, database_url: str
) -> None:
    with smtp_server() as (inbox, port):
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False},
            web={"public_url": "http://testserver"},
        )
        async with (
            serving(create_app(settings, run_workers=False)) as base,
            httpx.AsyncClient(base_url=base) as client,
        ):
            for path in PAGES + API + MICROPHONE_PAGES:
                _assert_hardened(await client.get(path), microphone=path == "/roulette")
            refused = await client.post("/privacy/consent", json={"choices": "no"})
            assert refused.status_code == 422
            _assert_hardened(refused)
            await verified_login(client, inbox)
            for path in PAGES + API:
                _assert_hardened(await client.get(path))
            for path in MICROPHONE_PAGES:
                page = await client.get(path)
                assert page.status_code == 200, path
                _assert_hardened(page, microphone=True)
            docs = await client.get("/docs")
            scripts = _directives(docs.headers["content-security-policy"])["script-src"]
            inline = re.findall(r"'sha256-[A-Za-z0-9+/=]+'", scripts)
            assert scripts == " ".join(["'self'", *inline]) and len(inline) == 1, scripts
            assert docs.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def proxied_server(tmp_path: Path) -> Iterator[str]:
    """A real ``ringfence serve`` that trusts the loopback proxy in front of it."""
    with running_server(tmp_path / "data", RINGFENCE_WEB__TRUSTED_PROXIES='["127.0.0.1"]') as base:
        yield base


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_cookies_are_host_prefixed_and_secure_over_https_and_plain_over_http(
    proxied_server: str,
) -> None:
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=proxied_server) as client:
        page = client.get("/account/login", headers=https)
        cookies = _set_cookies(page)
        assert set(cookies) == {"__Host-rf_csrf"}, cookies
        attributes = cookies["__Host-rf_csrf"].lower()
        assert "; secure" in attributes and "; path=/" in attributes and "domain" not in attributes
        assert "httponly" in attributes and "samesite=strict" in attributes
        assert page.headers["strict-transport-security"].startswith("max-age=")
        # The form's token is checked against the cookie of the same name: the CSRF check
        # passes and the wrong password is what is refused. (The proxy forwards the browser's
        # Cookie header; httpx itself keeps a Secure cookie off a plain-http hop.)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        sent = {**https, "Cookie": f"__Host-rf_csrf={token.group(1)}"}
        form = {"csrf": token.group(1), "email": "nobody@example.org", "password": PASSWORD}
        answer = client.post("/account/login", data=form, headers=sent)
        assert "wrong e-mail, password" in answer.text and "form expired" not in answer.text
        consent = client.post(
            "/privacy/consent", json={"choices": {"preferences": True}}, headers=https
        )
        names = set(_set_cookies(consent))
        assert names == {"__Host-rf_anon", "__Host-rf_consent"}, names
        assert all("; secure" in c.lower() for c in _set_cookies(consent).values())

    with httpx.Client(base_url=proxied_server) as plain:
        page = plain.get("/account/login")
        cookies = _set_cookies(page)
        assert set(cookies) == {"rf_csrf"} and "secure" not in cookies["rf_csrf"].lower()
        assert "strict-transport-security" not in page.headers
        declined = _set_cookies(plain.post("/privacy/consent", json={"choices": {}}))
        # Declining every choice also expires the cookies those choices covered.
        kept = {n for n, c in declined.items() if "max-age=0" not in c.lower()}
        assert kept == {"rf_anon", "rf_consent"}, declined
