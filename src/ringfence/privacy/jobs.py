"""The periodic retention sweep, on the job queue (so one worker of many runs each tick)."""

from __future__ import annotations

from ringfence.jobs import JobContext, crontab, registry
from ringfence.privacy.core import job_privacy


@registry.periodic(crontab(minute="*/15"), name="privacy.retention_sweep")
async def retention_sweep(ctx: JobContext) -> int:
    report = await (await job_privacy(ctx)).sweeper().sweep()
    return report.total
