"""A bounded fuzz of the whole JSON API from its own OpenAPI document, signed in, against a real
`ringfence serve`: no server error (a documented 503, "not set up on this server", is an
answer), and every response has a documented status, content type and body schema."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.accounts import PASSWORD
from tests.support.mail import link_in, smtp_server
from tests.support.server import free_port, running_server

pytestmark = pytest.mark.integration
EMAIL = "fuzz@example.org"


@dataclass(frozen=True)
class Site:
    base: str
    cookies: dict[str, str]
    csrf: str
    tenant_id: str  # a business the account owns, so its routes are fuzzed past the role check


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A served app with a signed-in account (its session cookie and CSRF token)."""
    with smtp_server() as (inbox, smtp_port):
        port = free_port()
        env = {
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(smtp_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        data_dir: Path = tmp_path_factory.mktemp("fuzz")
        # The server's output goes to a file: a pipe nobody reads would fill and stop it.
        output = tmp_path_factory.mktemp("fuzz-output") / "serve.txt"
        with (
            running_server(data_dir, port, output=output, **env) as base,
            httpx.Client(base_url=base) as web,
        ):
            form = {"email": EMAIL, "password": PASSWORD, "adult": "true", "terms": "true"}
            web.post("/account/signup", data={"csrf": _csrf(web.get("/account/signup")), **form})
            link = httpx.URL(link_in(inbox.received.get(timeout=30)))
            web.get(link.raw_path.decode())
            login = {"email": EMAIL, "password": PASSWORD}
            signed = web.post(
                "/account/login", data={"csrf": _csrf(web.get("/account/login")), **login}
            )
            assert signed.status_code == 303, signed.text
            csrf = _csrf(web.get("/account"))
            business = web.post(
                "/api/tenants", json={"name": "Fuzz"}, headers={"X-CSRF-Token": csrf}
            )
            assert business.status_code == 201, business.text
            yield Site(base, dict(web.cookies.items()), csrf, business.json()["id"])


CHECKS = [status_code_conformance, response_schema_conformance, content_type_conformance]


def test_every_operation_answers_as_documented(site: Site) -> None:
    schema = schemathesis.openapi.from_url(f"{site.base}/openapi.json")
    failures: list[str] = []
    for found in schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def exercise(case: Any) -> None:
            if case.path_parameters and "tenant_id" in case.path_parameters:
                case.path_parameters["tenant_id"] = site.tenant_id
            response = case.call(
                base_url=site.base,
                headers={"X-CSRF-Token": site.csrf},
                cookies=site.cookies,
                timeout=60,
            )
            assert response.status_code < 500 or response.status_code == 503, (
                f"{response.status_code} {response.text[:300]}"
            )
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # every operation is tried; the failures are listed at the end
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
