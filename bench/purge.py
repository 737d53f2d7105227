"""Benchmark: the retention sweeper against a raw ``DELETE`` on the same data.

Method. For each engine (SQLite always; PostgreSQL when ``RINGFENCE_BENCH_POSTGRES_URL`` or
``RINGFENCE_TEST_POSTGRES_URL`` is set, in a scratch database created and dropped here), a fresh
schema is migrated and ``consent_records`` is filled by one ``INSERT ... SELECT`` with ``N`` rows
older than the category's retention and ``N`` recent ones, then ``ANALYZE``d. First the floor: one
raw ``DELETE FROM consent_records WHERE at < cutoff`` in one transaction, timed; the table is then
emptied and filled again the same way. Then the real ``Sweeper`` (the code the periodic job and
``ringfence purge`` run, default batch size) sweeps with a clock fixed at "now"; wall time is
measured around ``sweep()`` only. Both run back to back in the same process on the same machine,
so the ratio (sweeper rows/s over raw rows/s) holds even when the machine is loaded. Each checks
that exactly the expired rows went and every live row survived.

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


async def _fill(db: Database, fill: str, n: int) -> None:
    async with db.session() as session:
        await session.execute(text("DELETE FROM consent_records"))
        await session.execute(text(fill), {"total": 2 * n, "expired": n})
    # VACUUMed (outside a transaction) so both fills start from the same clean table.
    engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text("VACUUM ANALYZE consent_records"))
        else:
            await conn.execute(text("VACUUM"))
            await conn.execute(text("ANALYZE consent_records"))


async def _live(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(text("select count(*) from consent_records")) or 0)


async def run(url: str, fill: str, n: int, data_dir: Path) -> dict[str, tuple[float, int, int]]:
    """Seconds, rows removed and live rows kept, for the raw DELETE and for the sweeper."""
    await asyncio.to_thread(migrate, url)
    db = Database(url)
    inventory = build_inventory()
    cutoff = inventory.expires_before(inventory["consent_record"], NOW)
    assert cutoff is not None
    try:
        await _fill(db, fill, n)
        start = time.perf_counter()
        async with db.session() as session:
            result = await session.execute(
                text("DELETE FROM consent_records WHERE at < :cutoff"), {"cutoff": cutoff}
            )
        raw = time.perf_counter() - start
        figures = {"raw DELETE": (raw, int(result.rowcount or 0), await _live(db))}  # type: ignore[attr-defined]

        await _fill(db, fill, n)
        sweeper = Sweeper(
            db, inventory, FakeClock(NOW), data_dir=data_dir, batch=PrivacySettings().sweep_batch
        )
        start = time.perf_counter()
        report = await sweeper.sweep()
        swept = time.perf_counter() - start
        figures["sweeper"] = (swept, report.counts["consent_record"], await _live(db))
        return figures
    finally:
        await db.dispose()


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    columns = ("expired", "removed", "live kept")
    print(
        f"{'engine':10} {'method':10} "
        + " ".join(f"{c:>10}" for c in columns)
        + f" {'seconds':>8} {'rows/s':>10} {'of raw':>7}"
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
        for engine, figures in results:
            raw_rate = figures["raw DELETE"][1] / figures["raw DELETE"][0]
            for method, (elapsed, removed, live) in figures.items():
                ok = "" if (removed == n and live == n) else "  MISMATCH"
                rate = removed / elapsed
                print(
                    f"{engine:10} {method:10} {n:10,} {removed:10,} {live:10,} {elapsed:8.2f} "
                    f"{rate:10,.0f} {rate / raw_rate:6.0%}{ok}"
                )
        if not pg:
            print("(PostgreSQL skipped: set RINGFENCE_BENCH_POSTGRES_URL)")


if __name__ == "__main__":
    asyncio.run(main())
