"""A policy-change notice the SMTP server does not take is tried again, the wait doubling, and
is never lost: delivered once the server takes it, or kept as a failed job (the account's id and
the version, never the address) after the last try. The real job queue on both backends, a
real SMTP server that answers 451 (try later) to the first mails, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from huey.exceptions import TaskException

from ringfence.accounts.jobs import ANNOUNCE_JOB, NOTICE_JOB, NOTICE_TRIES
from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import PolicyVersion
from ringfence.privacy.policy import current_stamp
from ringfence.settings import Settings
from ringfence.store import Database
from tests.conftest import ENGINES, REDIS_URL, SettingsFactory
from tests.support.accounts import add_account
from tests.support.mail import Inbox, smtp_server

pytestmark = pytest.mark.integration

EMAIL = "reader.retry@example.org"
RETRY_S = 0.2


class Refusing(Inbox):
    """Answers 451 to the first ``refuse`` mails (all of them with -1), noting when each came."""

    def __init__(self, refuse: int) -> None:
        super().__init__()
        self.refuse = refuse
        self.tries: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.tries.append(time.monotonic())
        if self.refuse < 0 or len(self.tries) <= self.refuse:
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(params=["embedded", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "redis" and not REDIS_URL:
        pytest.skip("RINGFENCE_TEST_REDIS_URL is not set")
    return str(request.param)


async def _a_change_to_announce(settings: Settings, db: Database) -> tuple[str, str]:
    """A verified account, and a policy in force that changed since an older one; the
    account's id and the version."""
    clock = SystemClock()
    now = clock.now()
    account = await add_account(settings, db, EMAIL, verified_at=now)
    async with db.session() as session:
        session.add(PolicyVersion(fingerprint="older", first_seen=now - dt.timedelta(days=30)))
        stamp = await current_stamp(session, Privacy(settings, db, clock).inventory, clock)
        await session.flush()
        return account.id, stamp.version


@pytest.fixture
def run_queue() -> Iterator[list[JobQueue]]:
    started: list[JobQueue] = []
    yield started
    for queue in started:
        queue.stop()
        queue.huey.flush()


def _queue(settings: Settings, started: list[JobQueue]) -> JobQueue:
    queue = JobQueue(settings)
    queue.huey.flush()
    queue.start(workers=2)
    started.append(queue)
    return queue


def _settings(make_settings: SettingsFactory, url: str, backend: str, port: int) -> Settings:
    extra = {"redis_url": REDIS_URL} if backend == "redis" else {}
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False,
            "retry_seconds": RETRY_S}  # fmt: skip
    return make_settings(database_url=url, mail=mail, **extra)


@ENGINES
async def test_a_refused_notice_is_retried_with_backoff_until_it_is_taken(
    make_settings: SettingsFactory, database_url: str, backend: str, run_queue: list[JobQueue]
) -> None:
    with smtp_server(inbox=Refusing(2)) as (inbox, port):
        assert isinstance(inbox, Refusing)
        settings = _settings(make_settings, database_url, backend, port)
        db = Database(database_url)
        try:
            await _a_change_to_announce(settings, db)
            queue = _queue(settings, run_queue)
            announced = queue.enqueue_now(ANNOUNCE_JOB)
            assert await asyncio.to_thread(queue.result, announced, timeout=60) == 1
            mail = await inbox.next()  # the third try, after two refusals
            assert mail["To"] == EMAIL and mail["Subject"] == "Our privacy policy changed"
            assert len(inbox.tries) == 3
            first, second = (b - a for a, b in zip(inbox.tries, inbox.tries[1:], strict=False))
            assert first >= RETRY_S and second >= 2 * RETRY_S  # the wait doubles
            assert await queue.failures(db) == []
        finally:
            await db.dispose()


@ENGINES
async def test_a_notice_never_taken_is_kept_as_a_failed_job_to_send_again(
    make_settings: SettingsFactory, database_url: str, backend: str, run_queue: list[JobQueue]
) -> None:
    with smtp_server(inbox=Refusing(-1)) as (inbox, port):
        assert isinstance(inbox, Refusing)
        settings = _settings(make_settings, database_url, backend, port)
        db = Database(database_url)
        try:
            account_id, version = await _a_change_to_announce(settings, db)
            queue = _queue(settings, run_queue)
            last = queue.enqueue_now(NOTICE_JOB, account_id, version, NOTICE_TRIES)
            with pytest.raises(TaskException):
                await asyncio.to_thread(queue.result, last, timeout=60)
            (failure,) = await queue.failures(db)
            assert failure.job_name == NOTICE_JOB
            assert failure.args == [account_id, version, NOTICE_TRIES]
            assert EMAIL not in repr(failure.args) + failure.error_message
            assert len(inbox.tries) == 1
            # The server takes mail again: the operator's retry delivers it.
            inbox.refuse = 0
            again = await queue.retry_failure(db, failure.id)
            assert await asyncio.to_thread(queue.result, again, timeout=60) is True
            assert (await inbox.next())["To"] == EMAIL
        finally:
            await db.dispose()
