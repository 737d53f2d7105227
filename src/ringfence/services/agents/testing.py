"""A business with an agent and a contact list, for the campaign tests and bench (no HTTP)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.models import Account
from ringfence.billing.ledger import Ledger
from ringfence.clock import Clock
from ringfence.privacy.core import Privacy
from ringfence.services.agents.campaigns.contacts import Columns, ContactLists
from ringfence.services.agents.campaigns.service import Campaigns, CampaignSpec
from ringfence.services.agents.models import Agent
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.tenants.numbers import TenantNumbers
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

BUSINESS = "Harbour Dental"
DISCLOSURE = f"Hello, this is an automated assistant calling for {BUSINESS}."
CONSENTED = "2026-10-01"
CALLER_ID = "+442079460999"  # the shop's verified number, shown on its campaigns' calls


# A rate table for the numbers the agents' tests call: the UK, North America, Cuba.
RATES = """prefix,price_per_minute,increment,connection_fee,currency,name
44,60,1/1,10,EUR,United Kingdom
1,6,60/60,0,EUR,North America
53,120,60/60,0,EUR,Cuba
"""


async def fund(
    settings: Settings, db: Database, clock: Clock, account_id: str, amount: int
) -> None:
    """Credit ``amount`` (minor units of the settings' currency) to the account's wallet, as a
    payment does."""
    async with db.session() as session:
        await Ledger(clock).credit(
            session, account_id, amount, settings.billing.currency, f"test:{uuid.uuid4().hex}"
        )


async def verify_number(
    settings: Settings, db: Database, clock: Clock, tenant_id: str, e164: str
) -> None:
    """Keep ``e164`` as one of the business's verified numbers, as a typed code does, for
    tests that are not about proving it (``tests/security/test_business_numbers.py`` is)."""
    await TenantNumbers(settings, Privacy(settings, db, clock)).add(tenant_id, e164)


@dataclass
class Enqueued:
    """The queue as the campaign service sees it: what it was asked to run."""

    jobs: list[tuple[Any, ...]] = field(default_factory=list)

    async def __call__(self, job: str, *args: Any, delay: float | None = None) -> str:
        self.jobs.append((job, *args))
        return uuid.uuid4().hex


@dataclass
class Shop:
    owner: Account
    tenant_id: str
    agent_id: str
    list_id: str
    campaigns: Campaigns
    contacts: ContactLists
    enqueued: Enqueued

    def spec(self, **fields: Any) -> CampaignSpec:
        values: dict[str, Any] = {
            "name": "Reminders",
            "agent_id": self.agent_id,
            "list_id": self.list_id,
            "opening": "I am calling to remind you of your check-up next week.",
            "caller_number": CALLER_ID,
        }
        values.update(fields)
        return CampaignSpec(**values)

    async def campaign(self, **fields: Any) -> str:
        made = await self.campaigns.create(self.owner, self.tenant_id, self.spec(**fields))
        return str(made["id"])


async def _rows(text: str) -> AsyncIterator[bytes]:
    yield text.encode()


def contacts_csv(rows: list[tuple[str, str | None]]) -> str:
    """``(number, consent date or None)`` rows as the CSV a business uploads."""
    lines = ["phone,name,consent"]
    lines += [f"{number},Person {i},{consent or ''}" for i, (number, consent) in enumerate(rows)]
    return "\n".join(lines) + "\n"


async def open_shop(
    settings: Settings,
    db: Database,
    clock: Clock,
    rows: list[tuple[str, str | None]],
    *,
    disclosure: str = DISCLOSURE,
    voice: str = "espeak",
) -> Shop:
    privacy = Privacy(settings, db, clock)
    now = clock.now()
    async with db.session() as session:
        owner = Account(id=uuid.uuid4().hex, password_hash="x", created_at=now, verified_at=now)
        owner.subject_ref = f"account:{owner.id}"
        await Addresses.of(privacy).write(session, owner, f"{uuid.uuid4().hex[:8]}@example.org")
        session.add(owner)
    tenant = await Tenants(db, clock).create(owner, BUSINESS)
    await verify_number(settings, db, clock, tenant.id, CALLER_ID)
    async with tenant_session(db, tenant.id) as session:
        agent = Agent(name="Reminders", greeting="How can I help?", disclosure=disclosure,
                      voice=voice, created_at=now, updated_at=now)  # fmt: skip
        session.add(agent)
    contacts = ContactLists(db, privacy, clock, settings.signing_key())
    report = await contacts.import_csv(
        owner, tenant.id, "patients", Columns("phone", "name", "consent"), None,
        _rows(contacts_csv(rows)),
    )  # fmt: skip
    assert report.rejected == 0, report.errors
    enqueued = Enqueued()
    campaigns = Campaigns(settings, db, privacy, clock, enqueued)
    return Shop(owner, tenant.id, agent.id, report.list_id, campaigns, contacts, enqueued)


def at_local_hour(zone_hour: int, utc_offset: int) -> dt.datetime:
    """A UTC time at which a zone ``utc_offset`` hours from UTC reads ``zone_hour``:00."""
    return dt.datetime(2026, 12, 1, (zone_hour - utc_offset) % 24, 0, tzinfo=dt.UTC)
