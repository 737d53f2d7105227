"""Attack: a business reads another business's figures. Its member or its API key asks for the
other's agent and campaign analytics by the other's tenant id, or by its own tenant id with the
other's agent or campaign id; nothing of the other's calls comes back, and each business's
figures count its own calls only (row-level security on PostgreSQL, the scoped queries on
SQLite)."""

from __future__ import annotations

import httpx
import pytest

from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import site, verified_login
from tests.support.analytics import Seeded, seed

pytestmark = [pytest.mark.integration, ENGINES]


async def _business(
    client: httpx.AsyncClient, csrf: str, db: Database, name: str, number: str
) -> tuple[str, Seeded, dict[str, str]]:
    h = {"X-CSRF-Token": csrf}
    tenant = (await client.post("/api/tenants", json={"name": name}, headers=h)).json()["id"]
    made = await client.post(f"/api/tenants/{tenant}/agents",
                             json={"name": "Desk", "greeting": "Hello"}, headers=h)  # fmt: skip
    seeded = await seed(db, tenant, made.json()["id"], number)
    scopes = {"name": "dash", "scopes": ["agents:read"]}
    key = await client.post(f"/api/tenants/{tenant}/api-keys", json=scopes, headers=h)
    return tenant, seeded, {"Authorization": f"Bearer {key.json()['key']}"}


async def test_a_business_never_sees_another_businesss_figures(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (alice, inbox, _):
        db = Database(database_url)
        async with httpx.AsyncClient(transport=alice._transport,
                                     base_url="http://testserver") as mallory:  # fmt: skip
            try:
                a_csrf = await verified_login(alice, inbox, "alice@example.org")
                m_csrf = await verified_login(mallory, inbox, "mallory@example.org")
                a, a_seed, a_key = await _business(alice, a_csrf, db, "Alice", "+442079460001")
                m, m_seed, m_key = await _business(mallory, m_csrf, db, "Mal", "+442079460002")
            finally:
                await db.dispose()
            theirs = [
                f"/api/tenants/{a}/agents/{a_seed.agent_id}/analytics",
                f"/api/tenants/{a}/campaigns/{a_seed.campaign_id}/analytics",
            ]
            swapped = [
                f"/api/tenants/{m}/agents/{a_seed.agent_id}/analytics",
                f"/api/tenants/{m}/campaigns/{a_seed.campaign_id}/analytics",
            ]
            for url in theirs:
                by_member = await mallory.get(url)
                assert by_member.status_code in (403, 404), by_member.text
                async with httpx.AsyncClient(transport=alice._transport,
                                             base_url="http://testserver") as system:  # fmt: skip
                    by_key = await system.get(url, headers=m_key)
                    anonymous = await system.get(url)
                assert by_key.status_code in (403, 404), by_key.text
                assert anonymous.status_code == 403 and "log in first" in anonymous.text
                assert "per_day" not in by_member.text + by_key.text
            for url in swapped:
                by_member = await mallory.get(url)
                assert by_member.status_code == 404, by_member.text
                async with httpx.AsyncClient(transport=alice._transport,
                                             base_url="http://testserver") as system:  # fmt: skip
                    by_key = await system.get(url, headers=m_key)
                assert by_key.status_code == 404, by_key.text
            # Both businesses hold the same seeded calls: each counts its own nine only.
            own = await alice.get(theirs[0])
            assert own.status_code == 200 and own.json()["calls"] == 9
            mine = await mallory.get(f"/api/tenants/{m}/agents/{m_seed.agent_id}/analytics",
                                     headers=m_key)  # fmt: skip
            assert mine.status_code == 200 and mine.json()["calls"] == 9
            assert [e["score"] for e in mine.json()["evaluations"]] == [62.0, 81.5]
            # Alice's key works on Alice's figures, and only there.
            async with httpx.AsyncClient(transport=alice._transport,
                                         base_url="http://testserver") as system:  # fmt: skip
                assert (await system.get(theirs[1], headers=a_key)).json()["calls"] == 5
