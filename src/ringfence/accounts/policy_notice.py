"""Telling account holders that the privacy policy changed, once per change.

The policy's version is the fingerprint of the inventory and its processors
(``privacy.policy.current_stamp``); a new one appears when an upgrade or a setting changes what
is kept, why, for how long or who receives it. Whichever process first claims the new version
(``announced_at`` set where it was empty, one UPDATE) e-mails every verified, unsuspended account
through the mail backend (the outbox by default); the others find it claimed. The first version
an installation ever has is not announced: nobody had read another.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence import humanize
from ringfence.accounts.addresses import Addresses
from ringfence.accounts.mail import Mailer
from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.inventory import Inventory
from ringfence.privacy.models import PolicyVersion
from ringfence.privacy.policy import current_stamp
from ringfence.settings import Settings

log = get_logger(__name__)


async def announce_policy_change(privacy: Privacy) -> int:
    """E-mail every account holder about the policy now in force if it is a change not yet
    announced; how many were told (0 when there was nothing to announce)."""
    told = await _announce(privacy)
    log.info("policy_announcement_checked", version=privacy.inventory.fingerprint(), told=told)
    return told


async def unannounced(session: AsyncSession, inventory: Inventory, clock: Clock) -> bool:
    """Whether the policy in force is a change nobody has announced yet (so a start-up queues
    the announcement only then)."""
    stamp = await current_stamp(session, inventory, clock)
    row = await session.get(PolicyVersion, stamp.version)
    if row is None or row.announced_at is not None:
        return False
    older = await session.scalar(
        select(func.count())
        .select_from(PolicyVersion)
        .where(PolicyVersion.first_seen < stamp.last_updated)
    )
    return bool(older)


async def _announce(privacy: Privacy) -> int:
    settings, db, inventory, clock = privacy.settings, privacy.db, privacy.inventory, privacy.clock
    addresses = Addresses.of(privacy)
    async with db.session() as session:
        if not await unannounced(session, inventory, clock):
            return 0
        stamp = await current_stamp(session, inventory, clock)
        claimed = await session.execute(
            update(PolicyVersion)
            .where(PolicyVersion.fingerprint == stamp.version, PolicyVersion.announced_at.is_(None))
            .values(announced_at=clock.now())
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return 0
        accounts = (
            await session.scalars(
                select(Account).where(
                    Account.verified_at.is_not(None), Account.suspended_at.is_(None)
                )
            )
        ).all()
        people = [(await addresses.read(session, a), a.subject_ref) for a in accounts]
    mailer = Mailer(settings, clock)
    subject, body = _message(settings, stamp.version, stamp.last_updated)
    told = 0
    for email, subject_ref in people:
        try:
            await mailer.send(email, subject, body, subject_ref=subject_ref)
            told += 1
        except ServiceUnavailable:  # logged by the mailer; the others are still told
            continue
    log.info("policy_change_announced", version=stamp.version, told=told, of=len(people))
    return told


def _message(settings: Settings, version: str, since: dt.datetime) -> tuple[str, str]:
    link = settings.web.public_url.rstrip("/") + "/privacy"
    return (
        "Our privacy policy changed",
        f"The privacy policy of {settings.privacy.operator_name} changed on "
        f"{humanize.date(since)} (version {version}).\n\n"
        "It changes only when what we keep about you, why, for how long or who receives it "
        f"changes. Read it here:\n\n{link}\n\n"
        f"You can change your privacy choices at {link}/choices, or ask for your data or its "
        f"erasure at {link}/requests. You get this e-mail once for each change.",
    )
