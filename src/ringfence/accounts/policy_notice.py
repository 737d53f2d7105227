"""Telling account holders that the privacy policy changed, once per change.

The policy's version is the fingerprint of the inventory and its processors
(``privacy.policy.current_stamp``); a new one appears when an upgrade or a setting changes what
is kept, why, for how long or who receives it. Whichever process first claims the new version
(``announced_at`` set where it was empty, one UPDATE) queues one notice per verified,
unsuspended account; the others find it claimed. The first version an installation ever has is
not announced: nobody had read another.

Each notice is its own job (``accounts.jobs``), so one SMTP failure loses nobody's: a notice the
server did not take is tried again later, the wait doubling, and after the last try it stays in
``job_failures`` (the account's id and the version, never the address) for the operator to send
again. The claim and the queued notices are one step: a crash between them would announce the
change to nobody, so the notices are queued before the claim is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence import humanize
from ringfence.accounts.addresses import Addresses
from ringfence.accounts.mail import Mailer
from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.inventory import Inventory
from ringfence.privacy.models import PolicyVersion
from ringfence.privacy.policy import current_stamp
from ringfence.settings import Settings

log = get_logger(__name__)
# Queues the notice of one account (its id) about one version (``accounts.jobs``).
QueueNotice = Callable[[str, str], Awaitable[object]]


async def announce_policy_change(privacy: Privacy, queue_notice: QueueNotice) -> int:
    """Queue a notice to every account holder about the policy now in force if it is a change
    not yet announced; how many are to be told (0 when there was nothing to announce)."""
    told = await _announce(privacy, queue_notice)
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


async def _announce(privacy: Privacy, queue_notice: QueueNotice) -> int:
    db, inventory, clock = privacy.db, privacy.inventory, privacy.clock
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
        people = (await session.scalars(select(Account.id).where(*_READERS))).all()
        for account_id in people:
            await queue_notice(account_id, stamp.version)
    log.info("policy_change_announced", version=stamp.version, queued=len(people))
    return len(people)


_READERS = (Account.verified_at.is_not(None), Account.suspended_at.is_(None))


async def send_policy_notice(privacy: Privacy, account_id: str, version: str) -> bool:
    """Mail one account the notice of ``version``; False when there is nobody to tell any
    more (erased, suspended). Raises ``ServiceUnavailable`` when the mail was not taken, for
    the job to try again."""
    async with privacy.db.session() as session:
        account = await session.scalar(select(Account).where(Account.id == account_id, *_READERS))
        row = await session.get(PolicyVersion, version)
        email = await Addresses.of(privacy).read(session, account) if account else None
    if account is None or row is None or email is None:
        return False
    subject, body = _message(privacy.settings, version, row.first_seen)
    await Mailer(privacy.settings, privacy.clock).send(
        email, subject, body, subject_ref=account.subject_ref
    )
    return True


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
