"""Benchmark: what searching encrypted contacts and call history costs, since neither can be
searched in the database (names and numbers are ciphertext under the account's key).

Method. On SQLite in a scratch data directory (and PostgreSQL too when
``RINGFENCE_BENCH_POSTGRES_URL`` or ``RINGFENCE_TEST_POSTGRES_URL`` is set, in a scratch database
created and dropped here), one account gets ``C`` contacts and ``N`` calls through the real code
(``ContactBook.add_all``; calls encrypted with the same ``Vault`` the service uses). Then, each
timed as the median of 5 runs of the service methods the routes call: the dial page's history
(the newest 50, no search), a history search by a contact's name (decrypts up to ``SEARCHED``
calls), a history search by digits, and a contact search. Each checks what it found.

Run: ``PYTHONPATH=src .venv/bin/python bench/dial_history.py [N] [C]`` (defaults 5000 and 300).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ringfence.accounts.models import Account
from ringfence.privacy.core import Privacy
from ringfence.services.dial.contacts import ContactIn
from ringfence.services.dial.models import DialCall
from ringfence.services.dial.service import DialService, HistorySearch
from ringfence.settings import Settings
from ringfence.store import Database, migrate
from ringfence.testing.postgres import create_database, drop_database

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)


async def _median(run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    times, found = [], None
    for _ in range(5):
        start = time.perf_counter()
        found = await run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


async def _bench(url: str, data_dir: Path, calls: int, contacts: int) -> list[tuple[str, float]]:
    settings = Settings(data_dir=data_dir, database_url=url)
    db = Database(url)
    try:
        privacy = Privacy(settings, db)
        dial = DialService(settings, privacy, lambda: None)
        account = Account(id="a" * 32, subject_ref="account:bench", email="b@example.org")
        book = [
            ContactIn(f"Person {i:04d}", f"+4420794{i:05d}", f"note {i}") for i in range(contacts)
        ]
        await dial.contacts.add_all(account, book)
        async with db.session() as session:
            for i in range(calls):
                number = f"+4420794{i % (contacts * 2):05d}".encode()
                session.add(
                    DialCall(
                        subject_ref=account.subject_ref,
                        number=await privacy.vault.encrypt(session, account.subject_ref, number),
                        number_tail="***",
                        started_at=NOW - dt.timedelta(minutes=i),
                        status="answered",
                        duration=60.0,
                        cost=60,
                        currency="EUR",
                    )
                )
        out = []
        page, rows = await _median(lambda: dial.history(account, limit=50))
        assert len(rows) == 50
        out.append(("history page (newest 50)", page))
        by_name, rows = await _median(
            lambda: dial.history(account, HistorySearch("person 0007"), limit=50)
        )
        assert rows and all(r["contact"] == "Person 0007" for r in rows)
        out.append((f"history search by name ({min(calls, 5000)} decrypted)", by_name))
        digits, rows = await _median(
            lambda: dial.history(account, HistorySearch("79400042"), limit=50)
        )
        assert rows and all("79400042" in r["number"] for r in rows)
        out.append(("history search by digits", digits))
        found, hits = await _median(lambda: dial.contacts.search(account, "person 0042"))
        assert [c.name for c in hits] == ["Person 0042"]
        out.append((f"contact search ({contacts} decrypted)", found))
        return out
    finally:
        await db.dispose()


async def main(calls: int, contacts: int) -> None:
    engines: list[tuple[str, str | None]] = [("sqlite", None)]
    pg = os.environ.get("RINGFENCE_BENCH_POSTGRES_URL") or os.environ.get(
        "RINGFENCE_TEST_POSTGRES_URL"
    )
    if pg:
        engines.append(("postgresql", pg))
    print(f"{calls} calls, {contacts} contacts, one account; median of 5 runs")
    for name, server in engines:
        with tempfile.TemporaryDirectory() as tmp:
            url = (
                f"sqlite+aiosqlite:///{tmp}/bench.db"
                if server is None
                else await create_database(server, "rf_bench")
            )
            try:
                await asyncio.to_thread(migrate, url)
                for what, seconds in await _bench(url, Path(tmp) / "data", calls, contacts):
                    print(f"{name:10} {what:45} {seconds * 1000:9.1f} ms")
            finally:
                if server is not None:
                    await drop_database(server, url)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(args + [5000, 300][len(args) :])))
