"""The accounts' work on the job queue: announcing a changed privacy policy (at start-up, when
the web app enqueues it, and hourly in case no worker ran then)."""

from __future__ import annotations

from ringfence.accounts.policy_notice import announce_policy_change
from ringfence.jobs import JobContext, crontab, registry
from ringfence.privacy.core import job_privacy

ANNOUNCE_JOB = "accounts.announce_policy_change"


async def _announce(ctx: JobContext) -> int:
    return await announce_policy_change(await job_privacy(ctx))


@registry.job(name=ANNOUNCE_JOB, retries=3, retry_delay=30.0, backoff=2.0)
async def announce(ctx: JobContext) -> int:
    return await _announce(ctx)


@registry.periodic(crontab(minute="7"), name="accounts.announce_policy_change_hourly")
async def announce_hourly(ctx: JobContext) -> int:
    return await _announce(ctx)
