"""Fault experiments on the database: the first requests on a fresh database, PostgreSQL
backends terminated under reads, and 20 concurrent writers on SQLite.

Method. Each runs a real ``ringfence serve`` (``fault_rig.serving``) in a temporary directory.

1. ``first_requests_5xx``: on a freshly migrated database (SQLite; PostgreSQL too when
   ``RINGFENCE_TEST_POSTGRES_URL`` is set), 20 concurrent first requests for pages that record
   the policy version in force; the number of 5xx answers.
2. ``pg_terminate_5xx``: 4 clients read pages back to back while every backend of the server's
   database is terminated (``pg_terminate_backend``) 20 times, each time after every client had
   two more answers; the number of 5xx answers and of terminated backends (PostgreSQL only).
3. ``sqlite_*``: 20 concurrent clients for 60 s on the default install (embedded SQLite, jobs
   in process), each alternating a rights request (access, answered at once, with its receipt)
   and a sign-up (the form, then its post; mail to a local sink); the 50th/99th percentile and
   the longest of the posts' seconds, those over 1 s, the 5xx answers, and how many times the
   server's output says ``database is locked``.

Run: ``.venv/bin/python bench/faults_database.py`` (or through ``bench/faults.py``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from fault_rig import csrf_of, load, locked_in, mail_sink, serving
from ringfence.testing.postgres import create_database, drop_database

POSTGRES = os.environ.get("RINGFENCE_TEST_POSTGRES_URL")
FIRST = 20
WRITERS, WRITE_SECONDS = 20, 60.0
READERS, TERMINATIONS = 4, 20
PAGES = ["/privacy.json", "/privacy", "/privacy/now.json", "/privacy.json?service=ring"]
TERMINATE = (
    "select count(pg_terminate_backend(pid)) from pg_stat_activity"
    " where datname = $1 and pid <> pg_backend_pid()"
)


async def first_requests(base: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        answers = await asyncio.gather(*(client.get(PAGES[i % 4]) for i in range(FIRST)))
    return sum(a.status_code >= 500 for a in answers)


async def first_requests_5xx(folder: Path) -> dict[str, int]:
    out = {}
    async with serving(folder / "sqlite") as (base, _):
        out["first_requests_5xx_sqlite"] = await first_requests(base)
    if POSTGRES:
        url = await create_database(POSTGRES, "rf_faults")
        try:
            async with serving(folder / "pg", RINGFENCE_DATABASE_URL=url) as (base, _):
                out["first_requests_5xx_postgresql"] = await first_requests(base)
        finally:
            await drop_database(POSTGRES, url)
    return out


async def pg_terminate_5xx(folder: Path) -> dict[str, int | str]:
    if not POSTGRES:
        return {"pg_terminate": "skipped: RINGFENCE_TEST_POSTGRES_URL is not set"}
    url = await create_database(POSTGRES, "rf_faults")
    try:
        async with serving(folder / "terminate", RINGFENCE_DATABASE_URL=url) as (base, _):
            parsed = make_url(url)
            admin = await asyncpg.connect(
                host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                database=parsed.database,
            )  # fmt: skip
            answered = [0] * READERS
            statuses: list[int] = []
            progress, done = asyncio.Event(), asyncio.Event()

            async def read(index: int) -> None:
                async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                    while not done.is_set():
                        page = PAGES[(index + answered[index]) % len(PAGES)]
                        statuses.append((await client.get(page)).status_code)
                        answered[index] += 1
                        progress.set()

            async def each_read_twice_more() -> None:
                marks = list(answered)
                while any(n < m + 2 for n, m in zip(answered, marks, strict=True)):
                    progress.clear()
                    await progress.wait()

            readers = [asyncio.ensure_future(read(i)) for i in range(READERS)]
            killed = 0
            try:
                for _ in range(TERMINATIONS):
                    await each_read_twice_more()
                    killed += await admin.fetchval(TERMINATE, parsed.database)
                await each_read_twice_more()
            finally:
                done.set()
                await asyncio.gather(*readers)
                await admin.close()
    finally:
        await drop_database(POSTGRES, url)
    return {
        "pg_terminated_backends": killed,
        "pg_terminate_reads": len(statuses),
        "pg_terminate_5xx": sum(s >= 500 for s in statuses),
    }


async def write(client: httpx.AsyncClient, n: int) -> httpx.Response:
    """A rights request or a sign-up: the requests of the issue's measurement."""
    if n % 2:
        return await client.post("/privacy/requests", json={"kind": "access"})
    form = await client.get("/account/signup")
    return await client.post(
        "/account/signup",
        data={"email": f"writer{n}@example.org", "password": "correct horse battery",
              "adult": "true", "terms": "true", "csrf": csrf_of(form)},
    )  # fmt: skip


async def sqlite_writers(
    folder: Path, clients: int = WRITERS, seconds: float = WRITE_SECONDS
) -> dict[str, float | int]:
    with mail_sink() as mail:
        env = {**mail, "RINGFENCE_ACCOUNTS__SIGNUPS_PER_IP": "1000000"}
        async with serving(folder / "writers", **env) as (base, log):
            tally = await load(base, clients, seconds, write)
    return {
        "sqlite_requests": len(tally.statuses),
        "sqlite_rights_p50_s": round(tally.percentile(50, "/privacy/requests"), 3),
        "sqlite_rights_p99_s": round(tally.percentile(99, "/privacy/requests"), 3),
        "sqlite_signup_p50_s": round(tally.percentile(50, "/account/signup"), 3),
        "sqlite_signup_p99_s": round(tally.percentile(99, "/account/signup"), 3),
        "sqlite_max_s": round(max(tally.seconds, default=0.0), 3),
        "sqlite_over_1s": sum(s > 1.0 for s in tally.seconds),
        "sqlite_5xx": tally.server_errors,
        "sqlite_no_answer": tally.dropped,
        "sqlite_locked": locked_in(log),
    }


async def experiment() -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        return {
            **await first_requests_5xx(folder),
            **await pg_terminate_5xx(folder),
            **await sqlite_writers(folder),
        }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    for name, value in asyncio.run(experiment()).items():
        print(f"{name:32} {value}")
