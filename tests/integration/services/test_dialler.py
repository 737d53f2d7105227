"""The campaign dialler on both engines, with scripted callees in place of SIP (the SIPp tests
in test_campaign_calls.py place the real calls): two workers share a campaign without calling
anyone twice, within its concurrency and calls-per-second caps; retries follow the policy;
the rules refuse with their reasons; a dead worker's dialled call is interrupted, never
repeated, and what it had claimed but not dialled is dialled by the others."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.errors import Conflict
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.outbound import Dial, DialResult
from ringfence.services.agents.campaigns.contacts import NATIONAL
from ringfence.services.agents.campaigns.dialler import Dialler
from ringfence.services.agents.models import CampaignAttempt, CampaignCall
from ringfence.services.agents.testing import CONSENTED, Shop, open_shop
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.clock import FakeClock
from tests.conftest import ENGINES, SettingsFactory

pytestmark = pytest.mark.integration

ALL_DAY = {"calling_hours": (0, 24)}


@dataclass
class Callees:
    """Scripted callees: each number's outcomes in order (then "answered"), each call lasting
    ``seconds``; counts how many calls were up at once."""

    script: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.05
    placed: list[tuple[str, float]] = field(default_factory=list)
    wall: list[tuple[str, dt.datetime]] = field(default_factory=list)
    active: int = 0
    most: int = 0

    async def __call__(
        self, dial: Dial, commit: Callable[[], Awaitable[bool]]
    ) -> DialResult | None:
        if not await commit():
            return None
        before = sum(1 for n, _ in self.placed if n == dial.e164)
        self.placed.append((dial.e164, time.monotonic()))
        self.wall.append((dial.e164, dt.datetime.now(dt.UTC)))
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            await asyncio.sleep(self.seconds)  # the call's length
        finally:
            self.active -= 1
        outcomes = self.script.get(dial.e164, [])
        return DialResult(outcomes[before] if before < len(outcomes) else "answered", 200)

    def count(self) -> Counter[str]:
        return Counter(n for n, _ in self.placed)


def _numbers(n: int) -> list[str]:
    return [f"+1212555{100 + i:04d}" for i in range(n)]


async def _dialler(settings: Settings, url: str, callees: Callees, name: str) -> Dialler:
    db = Database(url)  # a worker of its own: its own connections
    return Dialler(settings, db, Privacy(settings, db), SystemClock(), callees, worker=name)


async def _until_done(dialler: Dialler, shop: Shop, campaign: str) -> None:
    """Run a slice as the queue would: again whenever it says when."""
    for _ in range(200):
        later = await dialler.run(shop.tenant_id, campaign)
        progress = await shop.campaigns.progress_of(shop.tenant_id, campaign)
        if later is None or progress["campaign"]["state"] == "done":
            return
        # The queue's delay before the job runs again (sooner here: the other worker may
        # finish the campaign first).
        await asyncio.sleep(min(later, 0.2))
    raise AssertionError("the campaign never ended")


async def _rows(db: Database, shop: Shop) -> list[CampaignCall]:
    async with tenant_session(db, shop.tenant_id) as session:
        return list((await session.scalars(select(CampaignCall))).all())


@ENGINES
async def test_two_workers_share_a_campaign_within_its_caps(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url, agents=ALL_DAY)
    numbers = _numbers(12)
    shop = await open_shop(settings, db, SystemClock(), [(n, CONSENTED) for n in numbers])
    campaign = await shop.campaign(max_concurrent=3, calls_per_second=20)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    assert [j[0] for j in shop.enqueued.jobs] == ["agents.campaign_dial"] * 2
    callees = Callees()
    workers = [await _dialler(settings, database_url, callees, f"w{i}") for i in range(2)]
    try:
        await asyncio.gather(*(_until_done(w, shop, campaign) for w in workers))
    finally:
        for w in workers:
            await w.db.dispose()
    assert callees.count() == Counter({n: 1 for n in numbers})  # everyone once, nobody twice
    assert callees.most <= 3
    # 20 a second across both workers: each dial has its reserved time, 50 ms after the one
    # before whichever worker reserved it, and starts then or later (after its database write).
    rows = await _rows(db, shop)
    reserved = sorted(r.dial_at for r in rows if r.dial_at is not None)
    gaps = [(b - a).total_seconds() for a, b in zip(reserved, reserved[1:], strict=False)]
    assert len(reserved) == 12 and min(gaps) >= 0.0499, gaps
    dialled = {n[-2:]: at for n, at in callees.wall}
    assert all(dialled[r.number_tail] >= r.dial_at for r in rows if r.dial_at is not None)
    assert {(r.state, r.outcome, r.attempts) for r in rows} == {("done", "answered", 1)}
    progress = await shop.campaigns.progress(shop.owner, shop.tenant_id, campaign)
    assert progress["campaign"]["state"] == "done"
    assert (progress["dialled"], progress["answered"]) == (12, 12)
    async with tenant_session(db, shop.tenant_id) as session:
        workers_used = set((await session.scalars(select(CampaignAttempt.worker))).all())
    assert workers_used == {"w0", "w1"}


async def test_busy_and_no_answer_are_retried_with_backoff(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url, agents=ALL_DAY)
    busy_then_answers, never, machine, gone = _numbers(4)
    rows = [(n, CONSENTED) for n in (busy_then_answers, never, machine, gone)]
    shop = await open_shop(settings, db, SystemClock(), rows)
    campaign = await shop.campaign(max_attempts=3, retry_seconds=0.2, retry_backoff=2.0)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    callees = Callees({busy_then_answers: ["busy"], never: ["no_answer"] * 5,
                       machine: ["machine", "machine"], gone: ["rejected"]})  # fmt: skip
    worker = await _dialler(settings, database_url, callees, "w")
    try:
        await _until_done(worker, shop, campaign)
    finally:
        await worker.db.dispose()
    assert callees.count() == Counter({busy_then_answers: 2, never: 3, machine: 3, gone: 1})
    times = [t for n, t in callees.placed if n == never]
    assert times[1] - times[0] >= 0.2 * 0.9 and times[2] - times[1] >= 0.4 * 0.9  # backoff
    states = {r.number_tail: (r.state, r.outcome, r.attempts) for r in await _rows(db, shop)}
    assert states == {
        busy_then_answers[-2:]: ("done", "answered", 2),
        never[-2:]: ("done", "no_answer", 3),
        machine[-2:]: ("done", "answered", 3),
        gone[-2:]: ("done", "rejected", 1),  # a 404 is not worth another call
    }


async def test_the_rules_refuse_with_reasons_and_wait_for_the_window(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    # 14:00 UTC: 09:00 in New York, 23:00 in Tokyo (outside 8-21 until 08:00 there).
    clock = FakeClock(dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC))
    settings = make_settings(database_url=database_url)
    ok, no_consent, stopped, business_dnc, national_dnc = _numbers(5)
    tokyo = "+81312345678"
    later_window = "+14155550123"  # California: 06:00 now, its window opens at 08:00 local
    rows = [(ok, CONSENTED), (no_consent, None), (stopped, CONSENTED),
            (business_dnc, CONSENTED), (national_dnc, CONSENTED), (tokyo, CONSENTED),
            (later_window, CONSENTED)]  # fmt: skip
    shop = await open_shop(settings, db, clock, rows)
    await shop.contacts.opt_out(shop.tenant_id, stopped)
    await shop.contacts.do_not_call(shop.tenant_id, [business_dnc], "import")
    await shop.contacts.do_not_call(NATIONAL, [national_dnc], "import")
    # The campaign ends at 17:00 UTC: California's window (16:00 UTC) opens before, Tokyo's not.
    ends = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    campaign = await shop.campaign(ends_at=ends)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    callees = Callees()
    worker = Dialler(settings, db, Privacy(settings, db, clock), clock, callees, worker="w")
    assert await worker.run(shop.tenant_id, campaign) == pytest.approx(2 * 3600)
    assert callees.count() == Counter({ok: 1})
    reasons = {r.number_tail: (r.state, r.reason) for r in await _rows(db, shop)}
    assert reasons[no_consent[-2:]] == (
        "refused", "no prior express written consent to AI-voice calls"
    )  # fmt: skip
    assert reasons[stopped[-2:]][0] == "refused" and "opted out" in reasons[stopped[-2:]][1]
    assert reasons[business_dnc[-2:]] == ("refused", "on the business do-not-call list")
    assert reasons[national_dnc[-2:]] == ("refused", "on the national do-not-call list")
    state, why = reasons[tokyo[-2:]]
    assert state == "refused" and "outside the calling window" in why and "Asia/Tokyo" in why
    state, why = reasons[later_window[-2:]]
    assert state == "pending" and why.startswith("waiting: outside the calling window")
    clock.set(dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC))  # 08:00 in California
    assert await worker.run(shop.tenant_id, campaign) is None
    assert callees.count() == Counter({ok: 1, later_window: 1})
    progress = await shop.campaigns.progress(shop.owner, shop.tenant_id, campaign)
    assert progress["campaign"]["state"] == "done"
    assert progress["states"] == {"done": 2, "refused": 5}


async def test_a_dead_workers_dialled_call_is_not_repeated(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    clock = FakeClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    settings = make_settings(
        database_url=database_url, agents={"campaign_lease_seconds": 30, "campaign_slices": 1}
    )
    numbers = _numbers(4)
    shop = await open_shop(settings, db, clock, [(n, CONSENTED) for n in numbers])
    campaign = await shop.campaign(max_concurrent=2, calls_per_second=100)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    privacy = Privacy(settings, db, clock)
    callees = Callees()
    dead = Dialler(settings, db, privacy, clock, callees, worker="dead")
    claim = await dead.claim(shop.tenant_id, campaign)
    assert len(claim.calls) == 2
    dialled, undialled = claim.calls
    assert await dead._begin(shop.tenant_id, campaign, dialled) is not None  # committed...
    # ...and the worker is killed: nobody renews its hold.
    alive = Dialler(settings, db, privacy, clock, callees, worker="alive")
    assert (await alive.claim(shop.tenant_id, campaign)).calls == []  # the cap is still taken
    clock.advance(seconds=31)
    assert await alive.run(shop.tenant_id, campaign) is None
    placed = callees.count()
    assert dialled.e164 not in placed
    assert placed == Counter({n: 1 for n in numbers if n != dialled.e164})
    assert undialled.e164 in placed
    rows = {r.id: r for r in await _rows(db, shop)}
    assert (rows[dialled.row_id].state, rows[dialled.row_id].attempts) == ("interrupted", 1)
    async with tenant_session(db, shop.tenant_id) as session:
        record = (
            await session.scalars(
                select(CampaignAttempt).where(CampaignAttempt.campaign_call_id == dialled.row_id)
            )
        ).one()
    assert (record.worker, record.outcome) == ("dead", "interrupted")


async def test_a_campaign_starts_only_when_its_checks_pass(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url, agents=ALL_DAY)
    numbers = _numbers(2)
    shop = await open_shop(settings, db, SystemClock(), [(numbers[0], None), (numbers[1], None)],
                           disclosure="Hi there, calling about your appointment.")  # fmt: skip
    campaign = await shop.campaign(caller_number=None)
    checks = {c["name"]: c for c in await shop.campaigns.checks(shop.owner, shop.tenant_id,
                                                                  campaign)}  # fmt: skip
    failing = sorted(n for n, c in checks.items() if not c["ok"])
    assert failing == ["caller_id_verified", "disclosure_automated", "disclosure_names_business",
                       "someone_callable"]  # fmt: skip
    assert "2 no prior express written consent" in checks["someone_callable"]["detail"]
    with pytest.raises(Conflict, match="caller id"):
        await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    assert shop.enqueued.jobs == []
    with pytest.raises(Conflict, match="a draft campaign cannot be paused"):
        await shop.campaigns.pause(shop.owner, shop.tenant_id, campaign)
    cancelled = await shop.campaigns.cancel(shop.owner, shop.tenant_id, campaign)
    assert cancelled["states"] == {"cancelled": 2}
    subject = phone_ref(numbers[0], settings.signing_key())
    async with db.session() as session:
        exported = await Privacy(settings, db).rights("test").export(session, subject)
    record = exported["data"]["campaign_call"]["records"][0]
    assert record["state"] == "cancelled" and record["reason"] == "the campaign was cancelled"
    async with db.session() as session:
        await Privacy(settings, db).rights("test").erase(session, subject)
    assert len(await _rows(db, shop)) == 1


async def test_a_call_that_could_not_be_prepared_goes_back_to_the_queue(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url, agents=ALL_DAY)
    (number,) = _numbers(1)
    shop = await open_shop(settings, db, SystemClock(), [(number, CONSENTED)])
    campaign = await shop.campaign(retry_seconds=0.3)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    callees = Callees()
    failures = [RuntimeError("database is locked")]

    async def flaky(dial: Dial, commit: Callable[[], Awaitable[bool]]) -> DialResult | None:
        if failures:
            raise failures.pop()  # before anything was dialled
        return await callees(dial, commit)

    worker = Dialler(settings, db, Privacy(settings, db), SystemClock(), flaky, worker="w")
    later = await worker.run(shop.tenant_id, campaign)  # it failed: the call waits, not refused
    assert later is not None and 0 < later <= 0.3
    (row,) = await _rows(db, shop)
    assert (row.state, row.reason) == ("pending", "not placed (RuntimeError): tried again later")
    await _until_done(worker, shop, campaign)
    assert callees.count() == Counter({number: 1})
    (row,) = await _rows(db, shop)
    assert (row.state, row.outcome, row.attempts) == ("done", "answered", 1)


@dataclass
class CallsBack:
    """A callee who asks to be called back at ``at`` on the first call (its ``first`` outcome:
    the promise, or a failure after it), and answers the next."""

    at: dt.datetime
    first: str = "call_back"
    placed: list[dt.datetime] = field(default_factory=list)
    clock: FakeClock | None = None

    async def __call__(
        self, dial: Dial, commit: Callable[[], Awaitable[bool]]
    ) -> DialResult | None:
        if not await commit():
            return None
        assert self.clock is not None
        self.placed.append(self.clock.now())
        if len(self.placed) == 1:
            return DialResult(self.first, 200, call_back_at=self.at)
        return DialResult("answered", 200)


@ENGINES
@pytest.mark.parametrize("first", ["call_back", "failed_after_answer"])
async def test_a_call_back_is_dialled_at_the_promised_time_and_kept_as_the_contacts(
    make_settings: SettingsFactory, database_url: str, db: Database, first: str
) -> None:
    """Dialled again at the time promised (even when the call failed after the promise), not
    before; the time is the contact's data: exported with it, erased with it, swept."""
    settings = make_settings(database_url=database_url)
    clock = FakeClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))  # 10:00 in New York
    number = _numbers(1)[0]
    shop = await open_shop(settings, db, clock, [(number, CONSENTED)])
    campaign = await shop.campaign(max_attempts=1)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    promised = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)
    callee = CallsBack(promised, first, clock=clock)
    worker = Dialler(settings, db, Privacy(settings, db, clock), clock, callee, worker="w")
    assert await worker.run(shop.tenant_id, campaign) == pytest.approx(29 * 3600)
    (row,) = await _rows(db, shop)
    assert (row.state, row.next_at, row.call_back_at) == ("retry", promised, promised)
    subject = phone_ref(number, settings.signing_key())
    async with db.session() as session:
        exported = await Privacy(settings, db, clock).rights("test").export(session, subject)
    (record,) = exported["data"]["campaign_call"]["records"]
    assert dt.datetime.fromisoformat(record["call_back_at"]) == promised

    clock.set(promised - dt.timedelta(minutes=1))
    assert await worker.run(shop.tenant_id, campaign) == pytest.approx(60)
    assert len(callee.placed) == 1
    clock.set(promised)
    assert await worker.run(shop.tenant_id, campaign) is None
    assert callee.placed == [dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC), promised]
    (row,) = await _rows(db, shop)
    assert (row.state, row.outcome, row.attempts, row.call_back_at) == (
        "done", "answered", 2, None
    )  # fmt: skip

    later = FakeClock(row.keep_until + dt.timedelta(days=1))
    swept = await Privacy(settings, db, later).sweeper().sweep()
    assert swept.counts["campaign_call"] == 1
    assert await _rows(db, shop) == []
