"""Jobs that exist only for the test suite; ``ringfence worker --import tests.support.jobs``
registers them in a worker process too."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from ringfence.jobs import JobContext, registry
from ringfence.store.models import JobFailure


@registry.job(name="test.echo", retries=0)
async def echo(ctx: JobContext, value: str) -> dict[str, str]:
    """Returns its argument and the id of the backend that ran it."""
    return {"value": value, "backend": ctx.settings.jobs_backend}


@registry.job(name="test.count_failures", retries=0)
async def count_failures(ctx: JobContext) -> int:
    async with ctx.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(JobFailure)) or 0)


def _append(path: Path, line: str) -> None:
    with path.open("a") as out:
        out.write(line)


@registry.job(name="test.always_fails", retries=2, retry_delay=0.2, backoff=2.0)
async def always_fails(ctx: JobContext, attempts_file: str) -> None:
    """Appends the time of each attempt to a file, then fails with a number in its message."""
    stamp = dt.datetime.now(dt.UTC).isoformat() + "\n"
    await asyncio.to_thread(_append, Path(attempts_file), stamp)
    raise RuntimeError("carrier refused +14155550123")


@registry.job(name="test.fails_until_file", retries=0)
async def fails_until_file(ctx: JobContext, flag_file: str) -> str:
    """Fails while ``flag_file`` does not exist; used to show a failed job can be re-run."""
    if not await asyncio.to_thread(Path(flag_file).exists):
        raise RuntimeError("not yet")
    return "ran"
