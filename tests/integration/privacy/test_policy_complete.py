"""The rendered policies of a real ``ringfence serve`` against the store and the inventory: every
table that holds personal data is in the policy of each service that writes it, every processor
the settings configure is named, and every section a policy owes is there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from ringfence import composition
from ringfence.privacy.categories import build_inventory
from ringfence.store.base import Base
from ringfence.store.columns import PERSONAL_DATA
from ringfence.store.schema import target_metadata
from tests.support.server import free_port, running_server

pytestmark = pytest.mark.integration

SRC = Path(__file__).resolve().parents[3] / "src" / "ringfence"
SECTIONS = ("complaints", "law-enforcement", "transfers", "children", "security", "changes")


def _imports(service: str, capability: str) -> bool:
    """Whether the service's code imports the capability (so its work can write its tables)."""
    pattern = re.compile(rf"^\s*(from|import) ringfence\.{capability}\b", re.MULTILINE)
    return any(pattern.search(p.read_text()) for p in (SRC / "services" / service).rglob("*.py"))


def _writers() -> dict[str, set[str]]:
    """category -> the services whose policy must list it: walked from the store's tables (each
    column's declared category) and the inventory (each category's owner), and, for a core
    capability's category, from which services' code imports that capability."""
    target_metadata()
    inventory = build_inventory()
    services = {spec.name for spec in composition.installed()}
    out: dict[str, set[str]] = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            name = column.info.get(PERSONAL_DATA)
            if not name:
                continue
            owner = inventory[name].service
            if owner == "platform":
                out[name] = set(services)
            elif owner in services:
                out[name] = {owner}
            else:
                out[name] = {s for s in services if _imports(s, owner)}
    return out


async def test_every_personal_table_is_in_the_policy_of_each_service_that_writes_it(
    tmp_path: Path,
) -> None:
    env = {
        "RINGFENCE_TELEPHONY__ENABLED": "true",
        "RINGFENCE_TELEPHONY__SIP_PORT": str(free_port()),
        "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(
            [{"name": "trunk", "host": "sip.carrier.example", "port": 5060}]
        ),
        "RINGFENCE_BILLING__STRIPE_SECRET_KEY": "sk_test_policy",
        "RINGFENCE_MAIL__SMTP_HOST": "localhost",
        "RINGFENCE_AGENTS__LLM_URL": "https://llm.example.net/v1",
        "RINGFENCE_AGENTS__STT": "hosted",
        "RINGFENCE_AGENTS__STT_URL": "https://stt.example.net/v1",
        "RINGFENCE_PRIVACY__SUPERVISORY_AUTHORITY": "the ICO, ico.org.uk",
    }
    writers = _writers()
    assert writers["call_record"] >= {"ring", "dial", "agents"}, writers["call_record"]
    pages: dict[str, str] = {}
    with running_server(tmp_path / "data", **env) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for spec in composition.installed():
                found = await client.get(f"/{spec.name}/privacy")
                assert found.status_code == 200, found.text
                pages[spec.name] = found.text
            platform = await client.get("/privacy")
            dial = (await client.get("/privacy.json", params={"service": "dial"})).json()
    missing = [
        f"{category} not in /{service}/privacy"
        for category, services in sorted(writers.items())
        for service in sorted(services)
        if f'id="{category}"' not in pages[service]
    ]
    assert not missing, missing
    assert all(f'id="{category}"' in platform.text for category in writers)
    # The processors these settings configure, each in the policies of the data it receives.
    assert "SIP carrier trunk (sip.carrier.example)" in pages["dial"]
    assert "SIP carrier trunk" not in pages["numbers"]
    assert "Stripe" in pages["dial"] and "SMTP relay localhost" in pages["roulette"]
    agents = pages["agents"]
    assert "Hosted language model at llm.example.net" in agents
    assert "it receives the call&#39;s transcript as the call goes" in agents or (
        "it receives the call's transcript as the call goes" in agents
    )
    assert "Hosted speech-to-text at stt.example.net" in agents
    assert "llm.example.net" not in pages["ring"]
    calls = next(c for c in dial["categories"] if c["name"] == "call_record")
    assert "SIP carrier trunk (sip.carrier.example)" in calls["processors"]
    # The sections every policy owes, in plain words with this installation's settings.
    for page in (*pages.values(), platform.text):
        assert all(f'<h2 id="{key}">' in page for key in SECTIONS)
    assert "the ICO, ico.org.uk" in platform.text
    assert "within 72 hours" in platform.text and "within 30 days" in platform.text
    assert 'id="versions"' in platform.text and dial["version"] in platform.text
