"""The privacy policy, rendered from the inventory and settings, so it cannot drift from the code.

The version is the inventory's fingerprint (with retention overrides applied); its "last updated"
date is when that fingerprint was first served, kept in ``policy_versions``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.privacy.consent import PURPOSES
from ringfence.privacy.inventory import Category, Inventory
from ringfence.privacy.models import PolicyVersion
from ringfence.privacy.rights import DEADLINES, KINDS
from ringfence.settings import PrivacySettings
from ringfence.store.base import Base
from ringfence.store.schema import target_metadata
from ringfence.store.upsert import insert_missing


@dataclass(frozen=True)
class PolicyStamp:
    version: str
    last_updated: dt.datetime


async def current_stamp(session: AsyncSession, inventory: Inventory, clock: Clock) -> PolicyStamp:
    """The policy version now in force, recording its first appearance (once, however many
    requests and processes see it first at the same time)."""
    fingerprint = inventory.fingerprint()
    row = await session.get(PolicyVersion, fingerprint)
    if row is None:
        row = await insert_missing(
            session, PolicyVersion, {"fingerprint": fingerprint, "first_seen": clock.now()}
        )
    return PolicyStamp(fingerprint, row.first_seen)


def document(
    inventory: Inventory,
    settings: PrivacySettings,
    stamp: PolicyStamp,
    *,
    service: str | None = None,
    hidden: Collection[str] = (),
) -> dict[str, Any]:
    """The machine-readable policy (``/privacy.json``); the pages render the same data. The
    categories of ``hidden`` services (installed but disabled) are left out."""
    categories = [
        c
        for c in inventory
        if c.service not in hidden and (service is None or c.service in (service, "platform"))
    ]
    processors = sorted({p for c in categories for p in c.processors})
    answer_days, extension = DEADLINES[settings.jurisdiction]
    return {
        "controller": {"name": settings.operator_name, "contact": settings.operator_contact},
        "service": service or "all",
        "version": stamp.version,
        "last_updated": stamp.last_updated.date().isoformat(),
        "categories": [c.to_dict() for c in categories],
        "processors": processors,
        "never_stored": [c.name for c in categories if not c.stored],
        "rights": {
            "requests": KINDS,
            "acknowledged_within_business_days": 5,
            "answered_within_days": answer_days,
            "extension_days": extension,
            "jurisdiction": settings.jurisdiction,
        },
        "consent_purposes": PURPOSES,
        "global_privacy_control": "honoured as an opt-out of sale, sharing and optional cookies",
    }


@dataclass(frozen=True)
class Holding:
    category: Category
    records: int
    oldest_expires: dt.datetime | None


async def holdings(session: AsyncSession, inventory: Inventory, now: dt.datetime) -> list[Holding]:
    """How many records of each stored category exist right now, and when the oldest expires."""
    target_metadata()
    out = []
    for category in inventory:
        if not category.table:
            continue
        table = Base.metadata.tables[category.table]
        scope = [] if category.rows is None else [table.c[category.rows[0]] == category.rows[1]]
        found = await session.scalar(select(func.count()).select_from(table).where(*scope))
        count = int(found or 0)
        expires = None
        if category.timestamp and category.retention.days and count:
            oldest = await session.scalar(
                select(func.min(table.c[category.timestamp])).where(*scope)
            )
            if oldest is not None:
                if oldest.tzinfo is None:
                    oldest = oldest.replace(tzinfo=dt.UTC)
                expires = oldest + dt.timedelta(days=category.retention.days)
        out.append(Holding(category, count, expires))
    return out


def render_text(doc: dict[str, Any]) -> str:
    """The policy as plain text, for ``ringfence policy``."""
    lines = [
        f"Privacy policy of {doc['controller']['name']} (ringfence), version {doc['version']}, "
        f"last updated {doc['last_updated']}",
    ]
    if doc["controller"]["contact"]:
        lines.append(f"Contact: {doc['controller']['contact']}")
    for c in doc["categories"]:
        lines += [
            "",
            f"{c['title']} [{c['name']}, {c['service']}]",
            f"  why: {c['purpose']}",
            f"  legal basis: {c['legal_basis']}",
            f"  kept: {c['retention']}; then {c['at_expiry']}",
            f"  encrypted at rest: {'yes' if c['encrypted_at_rest'] else 'no'}",
            f"  shared with: {', '.join(c['processors']) or 'nobody'}",
        ]
        if c["legal_hold"]:
            lines.append(f"  kept on erasure: {c['legal_hold']}")
    rights = doc["rights"]
    lines += [
        "",
        "Your rights: " + ", ".join(rights["requests"]) + f". We acknowledge within "
        f"{rights['acknowledged_within_business_days']} business days and answer within "
        f"{rights['answered_within_days']} days (extendable once by {rights['extension_days']}).",
        "Global Privacy Control: " + doc["global_privacy_control"] + ".",
    ]
    return "\n".join(lines)
