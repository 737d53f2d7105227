"""The agents pages' forms: a post that works goes on with a 303, a refusal the person can fix
shows the form's page again with the message and the refusal's status, and a post without the
session's token is refused outright."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import SettingsFactory
from tests.support.accounts import site, verified_login

pytestmark = pytest.mark.integration


def _error(page: httpx.Response) -> str:
    found = re.search(r'<p id="error"[^>]*>([^<]*)</p>', page.text)
    assert found, page.text
    return found.group(1)


async def test_page_forms_go_on_or_show_their_page_again_with_the_refusal(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        csrf = await verified_login(client, inbox, "owner@example.org")

        made = await client.post("/agents/businesses", data={"csrf": csrf, "name": "Corner Shop"})
        assert made.status_code == 303
        tenant = made.headers["location"].removeprefix("/agents/b/")
        forged = await client.post("/agents/businesses", data={"csrf": "x", "name": "Forged"})
        assert forged.status_code == 403 and "form expired" in forged.text

        agent = await client.post(
            f"/agents/b/{tenant}/agents",
            data={"csrf": csrf, "name": "Desk", "greeting": "Hello"},
        )
        assert agent.status_code == 303
        agent_url = agent.headers["location"]
        assert agent_url.startswith(f"/agents/b/{tenant}/a/")
        # This form's page has no place for a refusal: it leaves as the error it is.
        bad_voice = {"csrf": csrf, "name": "Desk", "greeting": "Hello", "voice": "nope"}
        unshown = await client.post(f"/agents/b/{tenant}/agents", data=bad_voice)
        assert unshown.status_code == 422
        assert unshown.json()["error"]["message"].startswith("unknown voice 'nope'")

        # The agent's own form shows its page again, with the message and the status.
        refused = await client.post(agent_url, data=bad_voice)
        assert refused.status_code == 422 and 'id="edit-agent"' in refused.text
        assert _error(refused).startswith("unknown voice")
        saved = await client.post(agent_url, data={**bad_voice, "voice": "default"})
        assert saved.status_code == 303 and saved.headers["location"] == agent_url
        knowledge = {"csrf": csrf, "question": "Open?", "answer": "From 9."}
        added = await client.post(f"{agent_url}/knowledge", data=knowledge)
        assert added.status_code == 303 and added.headers["location"] == agent_url

        # The business page's forms: members and retention.
        stranger = {"csrf": csrf, "email": "nobody@example.org", "role": "viewer"}
        invited = await client.post(f"/agents/b/{tenant}/members", data=stranger)
        assert invited.status_code == 303
        assert invited.headers["location"] == f"/agents/b/{tenant}#invitations"
        listed = await client.get(f"/agents/b/{tenant}")
        assert 'id="pending"' in listed.text and "n…@example.org" in listed.text
        again = await client.post(f"/agents/b/{tenant}/members", data=stranger)
        assert again.status_code == 409 and 'id="new-member"' in again.text
        assert "already pending" in _error(again)
        keep = {"csrf": csrf, "days": "1", "reason": "our letter of 1 November"}
        retention = await client.post(f"/agents/b/{tenant}/retention", data=keep)
        assert retention.status_code == 422 and 'id="retention"' in retention.text
        assert _error(retention).startswith("retention must be from")
        kept = await client.post(f"/agents/b/{tenant}/retention", data={**keep, "days": "400"})
        assert kept.status_code == 303 and kept.headers["location"] == f"/agents/b/{tenant}"
        forged_member = await client.post(
            f"/agents/b/{tenant}/members", data={**stranger, "csrf": "x"}
        )
        assert forged_member.status_code == 403

        # The evaluations page's form.
        ask = {"csrf": csrf, "number": "not a number", "business": "Corner Shop"}
        evaluation = await client.post(f"/agents/b/{tenant}/evaluations", data=ask)
        assert evaluation.status_code == 422 and 'id="new-evaluation"' in evaluation.text
        assert _error(evaluation)

        # The campaigns page's form: an unknown caller id is refused on the page.
        campaign = {"csrf": csrf, "name": "Reminders", "agent_id": "x", "list_id": "x",
                    "opening": "Hello", "caller_id": "not-mine"}  # fmt: skip
        refused_campaign = await client.post(f"/agents/b/{tenant}/campaigns", data=campaign)
        assert refused_campaign.status_code == 422 and "<h1>Campaigns</h1>" in refused_campaign.text
        assert _error(refused_campaign) == "that caller id is not a number this business verified"
