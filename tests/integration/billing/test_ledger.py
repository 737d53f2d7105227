"""The ledger on SQLite and PostgreSQL: balanced transactions, balances that are sums, and
wallets that concurrent calls never drive below zero."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ringfence.billing.ledger import (
    AlreadyPosted,
    InsufficientCredit,
    Ledger,
    Reservation,
    hold,
    wallet,
)
from ringfence.billing.models import LedgerEntry
from ringfence.store import Database
from ringfence.testing import FakeClock
from tests.conftest import ENGINES

LEDGER = Ledger(FakeClock())

# A credit of n, a call that reserves r and is charged c (at most what it held).
Op = tuple[str, int, int]
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.integers(1, 5000), st.just(0)),
        st.tuples(st.just("call"), st.integers(1, 3000), st.integers(0, 3000)),
    ),
    max_size=25,
)


async def _apply(db: Database, account: str, ops: list[Op]) -> tuple[int, int, int]:
    credited = charged = 0
    for i, (kind, amount, charge) in enumerate(ops):
        async with db.session() as session:
            if kind == "credit":
                await LEDGER.credit(session, account, amount, "EUR", f"{account}:c{i}")
                credited += amount
                continue
            try:
                held = await LEDGER.reserve(session, account, amount, "EUR", f"{account}:h{i}")
            except InsufficientCredit:
                continue
            await LEDGER.settle(session, held, charge)
            charged += min(charge, held.amount)
        async with db.session() as session:
            assert await LEDGER.balance(session, wallet(account), "EUR") >= 0
    async with db.session() as session:
        balance = await LEDGER.balance(session, wallet(account), "EUR")
        on_hold = await LEDGER.balance(session, hold(account), "EUR")
    return balance, credited - charged, on_hold


@ENGINES
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_balances_are_the_sum_of_their_history(database_url: str, ops: list[Op]) -> None:
    async def run() -> None:
        db = Database(database_url)
        try:
            account = uuid.uuid4().hex
            balance, expected, on_hold = await _apply(db, account, ops)
            assert balance == expected and on_hold == 0
            async with db.session() as session:
                unbalanced = await session.scalar(
                    select(func.count()).select_from(
                        select(LedgerEntry.transaction_id)
                        .group_by(LedgerEntry.transaction_id)
                        .having(func.sum(LedgerEntry.amount) != 0)
                        .subquery()
                    )
                )
            assert unbalanced == 0
        finally:
            await db.dispose()

    asyncio.run(run())


@ENGINES
async def test_parallel_calls_never_overspend(db: Database) -> None:
    account = uuid.uuid4().hex
    async with db.session() as session:
        await LEDGER.credit(session, account, 1000, "EUR", "stripe:evt_1")

    async def call(i: int) -> Reservation | None:
        try:
            async with db.session() as session:
                return await LEDGER.reserve(session, account, 150, "EUR", f"call:{i}", minimum=150)
        except InsufficientCredit:
            return None

    held = [r for r in await asyncio.gather(*(call(i) for i in range(20))) if r is not None]
    assert len(held) == 6 and all(r.amount == 150 for r in held)
    async with db.session() as session:
        assert await LEDGER.balance(session, wallet(account), "EUR") == 100
        assert await LEDGER.balance(session, hold(account), "EUR") == 900
    async with db.session() as session:
        for reservation in held:
            await LEDGER.settle(session, reservation, 60)
    async with db.session() as session:
        assert await LEDGER.balance(session, wallet(account), "EUR") == 1000 - 6 * 60
        assert await LEDGER.balance(session, "revenue", "EUR") >= 360
        assert await LEDGER.balance(session, hold(account), "EUR") == 0


@ENGINES
async def test_a_reference_posts_once_and_unbalanced_lines_are_refused(db: Database) -> None:
    account = uuid.uuid4().hex
    async with db.session() as session:
        await LEDGER.credit(session, account, 500, "EUR", "evt_same")
        with pytest.raises(AlreadyPosted):
            await LEDGER.credit(session, account, 500, "EUR", "evt_same")
        with pytest.raises(ValueError, match="unbalanced"):
            await LEDGER.post(
                session,
                kind="x",
                reference="bad",
                account_id=account,
                currency="EUR",
                lines={wallet(account): 5},
            )
    async with db.session() as session:
        assert await LEDGER.balance(session, wallet(account), "EUR") == 500
