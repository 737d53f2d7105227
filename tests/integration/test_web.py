"""The web shell: health, readiness, errors as JSON, metrics, OpenAPI, the home page."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter

from ringfence.errors import InvalidInput
from ringfence.web.app import create_app
from tests.conftest import REDIS_URL, SettingsFactory
from tests.support.web import client_for

pytestmark = pytest.mark.integration
# The operator's endpoints need the operator token (the test client is a remote address).
OPERATOR_TOKEN = "operator-token-for-the-web-tests"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


async def test_health_ready_home_docs_metrics(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url, web={"operator_token": OPERATOR_TOKEN})
    app = create_app(settings, run_workers=False)
    async with client_for(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok"}
        home = await client.get("/")
        assert home.status_code == 200 and "ringfence" in home.text
        assert 'href="/numbers"' in home.text
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "ringfence"
        metrics = (await client.get("/metrics", headers=OPERATOR)).text
        assert 'ringfence_http_requests_total{method="GET",route="/readyz",status="200"}' in metrics
        assert "ringfence_jobs_pending" in metrics


async def test_readyz_checks_redis_when_configured(
    make_settings: SettingsFactory, database_url: str
) -> None:
    if not REDIS_URL:
        pytest.skip("RINGFENCE_TEST_REDIS_URL is not set")
    settings = make_settings(database_url=database_url, redis_url=REDIS_URL)
    async with client_for(create_app(settings, run_workers=False)) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_down(
    make_settings: SettingsFactory, database_url: str
) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    settings = make_settings(database_url=database_url, redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings, run_workers=False, queue=None)
    async with client_for(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("unreachable")
        assert ready.json()["checks"]["database"] == "ok"


async def test_errors_are_json_with_code_and_message(
    make_settings: SettingsFactory, database_url: str
) -> None:
    app = create_app(make_settings(database_url=database_url), run_workers=False)
    router = APIRouter()

    @router.get("/boom/{n}")
    async def boom(n: int) -> None:
        if n == 1:
            raise InvalidInput("that number cannot be rung")
        raise RuntimeError("secret internals +14155550123")

    app.include_router(router)
    async with client_for(app) as client:
        missing = await client.get("/no/such/page")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
        bad = await client.get("/boom/1")
        assert bad.status_code == 422
        assert bad.json() == {
            "error": {"code": "invalid_input", "message": "that number cannot be rung"}
        }
        invalid = await client.get("/boom/x")
        assert invalid.status_code == 422
        assert invalid.json()["error"]["code"] == "invalid_input"
        assert "n:" in invalid.json()["error"]["message"]
        crash = await client.get("/boom/2")
        assert crash.status_code == 500
        assert crash.json() == {"error": {"code": "internal", "message": "internal server error"}}
        wrong_method = await client.post("/healthz")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_app_refuses_to_start_on_an_outdated_schema(
    make_settings: SettingsFactory, empty_database_url: str
) -> None:
    app = create_app(make_settings(database_url=empty_database_url), run_workers=False)
    with pytest.raises(Exception, match="run `ringfence migrate`"):
        async with client_for(app):
            pass


async def test_serve_runs_the_sip_engine_when_enabled(
    make_settings: SettingsFactory, database_url: str
) -> None:
    operator = {"operator_token": OPERATOR_TOKEN}
    no_phone = {"test_phone": {"enabled": False}}
    off = create_app(
        make_settings(database_url=database_url, web=operator, telephony=no_phone),
        run_workers=False,
    )
    async with client_for(off) as client:
        status = (await client.get("/api/telephony/status", headers=OPERATOR)).json()
        assert status == {
            "running": False,
            "sip": None,
            "carriers": [],
            "registrations": {},
            "calls": {},
        }
    settings = make_settings(
        database_url=database_url,
        web=operator,
        telephony={
            "enabled": True,
            "sip_port": 0,
            "carriers": [{"name": "t", "host": "127.0.0.1", "password": "never-shown"}],
        },
    )
    app = create_app(settings, run_workers=False)
    async with client_for(app) as client:
        body = (await client.get("/api/telephony/status", headers=OPERATOR)).json()
        assert body["running"] is True and body["sip"].startswith("127.0.0.1:")
        assert body["carriers"] == [
            {"name": "t", "host": "127.0.0.1", "port": 5060, "prefixes": [], "builtin": False}
        ]
        assert "never-shown" not in json.dumps(body)
    assert app.state.telephony.running is False


async def test_a_default_install_runs_the_engine_on_loopback_for_the_test_phone(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url, web={"operator_token": OPERATOR_TOKEN})
    async with client_for(create_app(settings, run_workers=False)) as client:
        body = (await client.get("/api/telephony/status", headers=OPERATOR)).json()
    assert body["running"] is True and body["sip"].startswith("127.0.0.1:")
    assert not body["sip"].endswith(":5060")  # any free port: nothing outside dials in
    (carrier,) = body["carriers"]
    assert carrier["name"] == "test-phone" and carrier["builtin"] is True
    assert carrier["host"] == "127.0.0.1" and carrier["prefixes"] == ["441134960"]
    assert body["registrations"] == {"test-phone": "built in"}


async def test_a_disabled_service_adds_no_route_page_link_or_policy(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url, services={"disabled": ["roulette"]})
    async with client_for(create_app(settings, run_workers=False)) as client:
        for path in ("/roulette", "/roulette/privacy", "/static/roulette/roulette.js"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.get("/socket.io/?EIO=4&transport=polling")).status_code == 404
        assert 'href="/roulette"' not in (await client.get("/")).text
        assert 'href="/ring"' in (await client.get("/")).text
        policy = (await client.get("/privacy.json")).json()
        assert policy["categories"]
        assert not [c for c in policy["categories"] if c["service"] == "roulette"]
        assert (
            await client.get("/privacy.json", params={"service": "roulette"})
        ).status_code == 404
        assert (await client.get("/ring")).status_code == 200
