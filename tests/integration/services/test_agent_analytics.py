"""An agent's and a campaign's figures on the JSON API, against calls seeded as the call
records hold them: calls per day, outcomes, average handle time, resolved without a transfer,
opt-outs and evaluation scores match the seeded calls exactly, on both engines, for a member
and for the business's API key (agents:read); bad input gets a 422 with its reason."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import httpx
import pytest

from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import site, verified_login
from tests.support.analytics import AGENT_CALLS, CAMPAIGN_DIALS, seed

pytestmark = [pytest.mark.integration, ENGINES]


def _per_day(agos: list[int], days: int) -> list[dict[str, object]]:
    """Calls per day of the last ``days`` days, for calls ``agos`` days old."""
    today = dt.datetime.now(dt.UTC).date()
    seen = Counter(today - dt.timedelta(days=ago) for ago in agos)
    return [
        {"day": (d := today - dt.timedelta(days=days - 1 - i)).isoformat(), "calls": seen[d]}
        for i in range(days)
    ]


async def test_the_figures_match_the_seeded_calls(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        csrf = await verified_login(client, inbox, "owner@example.org")
        h = {"X-CSRF-Token": csrf}
        tenant = (await client.post("/api/tenants", json={"name": "Shop"}, headers=h)).json()["id"]
        made = await client.post(f"/api/tenants/{tenant}/agents",
                                 json={"name": "Desk", "greeting": "Hello"}, headers=h)  # fmt: skip
        agent = made.json()["id"]
        db = Database(database_url)
        try:
            seeded = await seed(db, tenant, agent, "+442079460123")
        finally:
            await db.dispose()
        key = await client.post(f"/api/tenants/{tenant}/api-keys",
                                json={"name": "dashboard", "scopes": ["agents:read"]},
                                headers=h)  # fmt: skip
        bearer = {"Authorization": f"Bearer {key.json()['key']}"}

        async with httpx.AsyncClient(transport=client._transport,
                                     base_url="http://testserver") as system:  # fmt: skip
            by_key = await system.get(f"/api/tenants/{tenant}/agents/{agent}/analytics",
                                      headers=bearer)  # fmt: skip
        assert by_key.status_code == 200, by_key.text
        figures = (await client.get(f"/api/tenants/{tenant}/agents/{agent}/analytics")).json()
        assert figures == by_key.json()
        inbound = [r for r in AGENT_CALLS if r[0] < 30]
        outbound = [r for r in CAMPAIGN_DIALS if r[2] is not None]
        assert figures["calls"] == len(inbound) + len(outbound) == 9
        assert figures["outcomes"] == {
            "answered": 2, "booked": 1, "call_back": 1, "message_taken": 1, "opted_out": 2,
            "transferred": 1, "unresolved": 1,
        }  # fmt: skip
        assert figures["average_handle_seconds"] == round(335 / 9, 1)
        assert figures["resolved_without_transfer"] == 5
        assert (figures["transferred"], figures["opt_outs"]) == (1, 2)
        assert [e["score"] for e in figures["evaluations"]] == [62.0, 81.5]
        assert len(figures["per_day"]) == 30
        kept = [r[0] for r in inbound] + [r[0] for r in outbound]
        assert figures["per_day"] == _per_day(kept, 30)

        dials = await client.get(
            f"/api/tenants/{tenant}/campaigns/{seeded.campaign_id}/analytics?days=7"
        )
        assert dials.status_code == 200, dials.text
        campaign = dials.json()
        assert campaign["calls"] == 5 and campaign["days"] == 7
        assert campaign["outcomes"] == {"answered": 1, "busy": 1, "call_back": 1,
                                        "no_answer": 1, "opted_out": 1}  # fmt: skip
        assert campaign["average_handle_seconds"] == 25.0
        assert (campaign["resolved_without_transfer"], campaign["opt_outs"]) == (2, 1)
        assert campaign["per_day"] == _per_day([r[0] for r in CAMPAIGN_DIALS], 7)

        one_day = await client.get(f"/api/tenants/{tenant}/agents/{agent}/analytics?days=1")
        assert one_day.json()["calls"] == 5  # today's: three inbound, two campaign calls

        for bad in ("0", "367", "many"):
            refused = await client.get(f"/api/tenants/{tenant}/agents/{agent}/analytics?days={bad}")
            assert refused.status_code == 422, refused.text
        missing = await client.get(f"/api/tenants/{tenant}/agents/nope/analytics")
        assert missing.status_code == 404 and "no such agent" in missing.text
