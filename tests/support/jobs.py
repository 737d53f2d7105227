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


_left_behind: set[asyncio.Task[None]] = set()


@registry.job(name="test.writes_after_returning", retries=0)
async def writes_after_returning(ctx: JobContext) -> str:
    """Returns while a task it started is inside a write transaction, as a call's record is
    still being written by the engine when a call's job is done."""
    inside = asyncio.Event()

    async def write() -> None:
        async with ctx.db.session() as session:
            session.add(
                JobFailure(
                    job_name="test.left_behind", task_id="left", args=[], attempts=1,
                    error_type="", error_message="", failed_at=dt.datetime.now(dt.UTC),
                )
            )  # fmt: skip
            await session.flush()  # SQLite's write lock is this transaction's now
            inside.set()
            await asyncio.sleep(0.2)  # the rest of its work (closing a call's media)

    task = asyncio.ensure_future(write())
    _left_behind.add(task)
    task.add_done_callback(_left_behind.discard)
    await inside.wait()
    return "returned"  # huey keeps no result of None
