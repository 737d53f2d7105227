"""The privacy policy, rendered from the inventory and settings, so it cannot drift from the code.

The version is the inventory's fingerprint (with retention overrides applied); its "last updated"
date is when that fingerprint was first served, kept in ``policy_versions``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence import composition, humanize
from ringfence.clock import Clock
from ringfence.privacy.consent import PURPOSES, SENSITIVE_USES
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


async def history(session: AsyncSession) -> list[PolicyStamp]:
    """Every version the policy has had, newest first."""
    rows = await session.scalars(select(PolicyVersion).order_by(PolicyVersion.first_seen.desc()))
    return [PolicyStamp(row.fingerprint, row.first_seen) for row in rows]


def service_categories(
    inventory: Inventory, service: str | None, hidden: Collection[str] = ()
) -> list[Category]:
    """The categories a service's policy lists: its own, the platform's, and those of the core
    capabilities its manifest ``uses``; every category for the platform's policy (``None``)."""
    if service is None:
        return [c for c in inventory if c.service not in hidden]
    uses = next((spec.uses for spec in composition.installed() if spec.name == service), ())
    return [c for c in inventory if c.service in (service, "platform", *uses)]


def document(
    inventory: Inventory,
    settings: PrivacySettings,
    stamp: PolicyStamp,
    *,
    service: str | None = None,
    hidden: Collection[str] = (),
    versions: Sequence[PolicyStamp] = (),
) -> dict[str, Any]:
    """The machine-readable policy (``/privacy.json``); the pages render the same data. The
    categories of ``hidden`` services (installed but disabled) are left out."""
    categories = service_categories(inventory, service, hidden)
    names = {c.name for c in categories}
    titles = {c.name: c.title for c in categories}
    processors = [
        {**p.to_dict(), "receives": [titles[n] for n in p.categories if n in names]}
        for p in inventory.processors
        if names & set(p.categories)
    ]
    answer_days, extension = DEADLINES[settings.jurisdiction]
    return {
        "controller": {"name": settings.operator_name, "contact": settings.operator_contact},
        "service": service or "all",
        "version": stamp.version,
        "last_updated": stamp.last_updated.date().isoformat(),
        "categories": [{**c.to_dict(), "processors": inventory.receivers(c)} for c in categories],
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
        "sensitive_uses": SENSITIVE_USES,
        "global_privacy_control": "honoured as an opt-out of sale, sharing and optional cookies",
        "sections": sections(settings, processors, answer_days),
        "versions": [
            {"version": v.version, "from": v.last_updated.date().isoformat()} for v in versions
        ],
    }


def sections(
    settings: PrivacySettings, processors: Sequence[dict[str, Any]], answer_days: int
) -> dict[str, str]:
    """The policy's sections that are not a category: plain words, with this installation's
    settings in them."""
    authority = settings.supervisory_authority or (
        "the California Privacy Protection Agency (cppa.ca.gov) or the California Attorney General"
        if settings.jurisdiction == "ccpa"
        else "the data protection authority of the country where you live, work or think the "
        "problem happened"
    )
    where = settings.data_location or "the country where its operator runs its server"
    abroad = (
        "The processors listed above may handle it in other countries. Where one is outside "
        "your country and that country's law is not recognised as protecting it as well, we "
        "rely on the standard contractual clauses approved for such transfers (GDPR art. 46), "
        "and you can ask us for a copy."
        if processors
        else "No processor outside this installation receives it, so it is not sent abroad."
    )
    return {
        "complaints": f"If you think we mishandled your data, tell us first and we will answer "
        f"within {humanize.duration(answer_days * humanize.DAY)}. You also have the right to "
        f"complain to a supervisory authority at any time: {authority}.",
        "law_enforcement": "We give data to the police, a court or another authority only when "
        "the law obliges us to: a valid order, checked before we act, answered with the least "
        "data it requires. We tell you unless the law forbids it, and every disclosure is "
        "written to our audit log. Much of what we hold is a keyed hash or encrypted with a key "
        "of your own, so there is little we could give.",
        "transfers": f"Your data is kept on this installation's server, in {where}. {abroad}",
        "children": "These services are not meant for children. Accounts are for people aged "
        "18 or over, and we do not knowingly keep a child's data: if you think we hold data "
        "about a child, make an erasure request and we delete it.",
        "security": "Recordings, transcripts and voice samples are encrypted at rest with a key "
        "of their subject's own (AES-256-GCM); records are found by keyed hashes of numbers; every "
        "action on personal data is audited; logs hold nothing of what you say or type. If a "
        "breach puts your data at risk, we record it, tell the supervisory "
        "authority within 72 hours of finding it (GDPR art. 33), and tell you without undue "
        "delay when it is likely to harm you (art. 34): what happened, what it means for you "
        "and what we are doing about it.",
        "changes": "This policy is generated from the software's own data inventory, so it "
        "changes only when what we keep, why, for how long or who receives it changes. Each "
        "change gives it a new version and date below; if you have an account we e-mail you "
        "once about each change.",
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
    if doc["processors"]:
        lines += ["", "Who else receives your data:"]
        lines += [
            f"  {p['name']}: {p['does']} ({', '.join(p['receives'])})" for p in doc["processors"]
        ]
    rights = doc["rights"]
    lines += [
        "",
        "Your rights: " + ", ".join(rights["requests"]) + f". We acknowledge within "
        f"{rights['acknowledged_within_business_days']} business days and answer within "
        f"{rights['answered_within_days']} days (extendable once by {rights['extension_days']}).",
        "Global Privacy Control: " + doc["global_privacy_control"] + ".",
    ]
    for title, key in SECTION_TITLES:
        lines += ["", title, "  " + doc["sections"][key]]
    return "\n".join(lines)


# The policy's sections after its categories, in the order both renderings give them.
SECTION_TITLES = (
    ("Complaints", "complaints"),
    ("Requests from the police and other authorities", "law_enforcement"),
    ("Where your data is kept", "transfers"),
    ("Children", "children"),
    ("Security and breaches", "security"),
    ("Changes to this policy", "changes"),
)
