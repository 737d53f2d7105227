"""The accounts' work on the job queue: announcing a changed privacy policy (at start-up, when
the web app enqueues it, and hourly in case no worker ran then), and sending each account's
notice of it, tried again with a doubling wait while the mail server does not take it."""

from __future__ import annotations

from ringfence.accounts.policy_notice import announce_policy_change, send_policy_notice
from ringfence.errors import ServiceUnavailable
from ringfence.jobs import JobContext, crontab, registry
from ringfence.logging import get_logger
from ringfence.privacy.core import job_privacy

log = get_logger(__name__)
ANNOUNCE_JOB = "accounts.announce_policy_change"
NOTICE_JOB = "accounts.send_policy_notice"
NOTICE_TRIES = 8  # with the default minute, the last is tried about four hours after the first


async def _announce(ctx: JobContext) -> int:
    privacy = await job_privacy(ctx)
    enqueue = ctx.enqueue
    if enqueue is None:
        raise RuntimeError("announcing needs the job queue")  # every worker is given it

    async def queue_notice(account_id: str, version: str) -> object:
        return await enqueue(NOTICE_JOB, account_id, version, 1)

    return await announce_policy_change(privacy, queue_notice)


@registry.job(name=ANNOUNCE_JOB, retries=3, retry_delay=30.0, backoff=2.0)
async def announce(ctx: JobContext) -> int:
    return await _announce(ctx)


@registry.periodic(crontab(minute="7"), name="accounts.announce_policy_change_hourly")
async def announce_hourly(ctx: JobContext) -> int:
    return await _announce(ctx)


@registry.job(name=NOTICE_JOB, retries=0)
async def send_notice(ctx: JobContext, account_id: str, version: str, attempt: int) -> bool:
    """One account's notice. Not taken, it is queued again after ``mail.retry_seconds``, the
    wait doubling each time; the last try raises, so the job is kept in ``job_failures`` with
    its arguments and ``ringfence jobs retry`` (or the console) sends it later: never lost."""
    try:
        return await send_policy_notice(await job_privacy(ctx), account_id, version)
    except ServiceUnavailable:
        if attempt >= NOTICE_TRIES or ctx.enqueue is None:
            raise
        delay = ctx.settings.mail.retry_seconds * 2 ** (attempt - 1)
        log.warning("policy_notice_retrying", account=account_id, attempt=attempt, delay=delay)
        await ctx.enqueue(NOTICE_JOB, account_id, version, attempt + 1, delay=delay)
        return False
