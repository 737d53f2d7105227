"""Benchmark: the retention sweeper purging 1,000,000 expired rows among 1,000,000 live ones.

Method. For each engine (SQLite always; PostgreSQL when ``RINGFENCE_BENCH_POSTGRES_URL`` or
``RINGFENCE_TEST_POSTGRES_URL`` is set, in a scratch database created and dropped here), a fresh
schema is migrated and ``consent_records`` is filled by one ``INSERT ... SELECT`` with ``N`` rows
older than the category's retention and ``N`` recent ones. The real ``Sweeper`` (the code the
periodic job and ``ringfence purge`` run, default batch size) then sweeps with a clock fixed at
"now"; wall time is measured around ``sweep()`` only. It prints rows removed per second, and
checks that exactly the expired rows went and every live row survived.

Run: ``.venv/bin/python bench/purge.py [N]`` (default N = 1,000,000).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from ringfence.privacy.categories import build_inventory
from ringfence.privacy.retention import Sweeper
from ringfence.settings import PrivacySettings
from ringfence.store import Database, migrate
from ringfence.testing import FakeClock
from ringfence.testing.postgres import create_database, drop_database

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :total)
INSERT INTO consent_records (id, subject_ref, purpose, granted, method, service, policy_version, at)
SELECT printf('%032x', i), 'anon:bench' || i, 'preferences', 1, 'banner', 'platform', 'v',
       CASE WHEN i <= :expired THEN '2025-01-01 00:00:00.000000'
            ELSE '2026-05-25 00:00:00.000000' END
FROM n
"""
POSTGRES_FILL = """
INSERT INTO consent_records (id, subject_ref, purpose, granted, method, service, policy_version, at)
SELECT lpad(to_hex(i), 32, '0'), 'anon:bench' || i, 'preferences', true, 'banner', 'platform', 'v',
       CASE WHEN i <= :expired THEN timestamptz '2025-01-01 00:00:00+00'
            ELSE timestamptz '2026-05-25 00:00:00+00' END
FROM generate_series(1, :total) AS i
"""


async def run(url: str, fill: str, n: int, data_dir: Path) -> tuple[float, int, int]:
    await asyncio.to_thread(migrate, url)
    db = Database(url)
    try:
        async with db.session() as session:
            await session.execute(text(fill), {"total": 2 * n, "expired": n})
        if db.dialect == "postgresql":
            async with db.engine.connect() as conn:
                await conn.execute(text("ANALYZE consent_records"))
        sweeper = Sweeper(
            db,
            build_inventory(),
            FakeClock(NOW),
            data_dir=data_dir,
            batch=PrivacySettings().sweep_batch,
        )
        start = time.perf_counter()
        report = await sweeper.sweep()
        elapsed = time.perf_counter() - start
        async with db.session() as session:
            live = int(await session.scalar(text("select count(*) from consent_records")) or 0)
        return elapsed, report.counts["consent_record"], live
    finally:
        await db.dispose()


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    columns = ("expired", "removed", "live kept")
    print(
        f"{'engine':10} "
        + " ".join(f"{c:>10}" for c in columns)
        + f" {'seconds':>8} {'rows/s':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = [
            ("sqlite", await run(f"sqlite+aiosqlite:///{tmp}/bench.db", SQLITE_FILL, n, Path(tmp)))
        ]
        pg = os.environ.get("RINGFENCE_BENCH_POSTGRES_URL") or os.environ.get(
            "RINGFENCE_TEST_POSTGRES_URL"
        )
        if pg:
            url = await create_database(pg, "rf_bench")
            try:
                results.append(("postgresql", await run(url, POSTGRES_FILL, n, Path(tmp))))
            finally:
                await drop_database(pg, url)
        for engine, (elapsed, removed, live) in results:
            ok = "" if (removed == n and live == n) else "  MISMATCH"
            print(
                f"{engine:10} {n:10,} {removed:10,} {live:10,} {elapsed:8.2f} "
                f"{removed / elapsed:10,.0f}{ok}"
            )
        if not pg:
            print("(PostgreSQL skipped: set RINGFENCE_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    asyncio.run(main())
