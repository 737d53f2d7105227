"""What the fault experiments (``bench/faults_*.py``) share: a real ``ringfence serve`` on a
free port, a mail sink, and a load of concurrent clients that counts what they got back.

Not an experiment itself (``bench/faults.py`` runs only ``faults_*.py``).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE, STDOUT
from typing import Any

import httpx
from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Discard:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "250 OK"


@contextmanager
def mail_sink() -> Iterator[dict[str, str]]:
    """A local SMTP server that accepts and drops every mail; the settings that point at it."""
    port = free_port()
    controller = Controller(_Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield {
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(port),
            "RINGFENCE_MAIL__STARTTLS": "false",
        }
    finally:
        controller.stop()


@asynccontextmanager
async def serving(data_dir: Path, **env: str) -> AsyncIterator[tuple[str, Path]]:
    """``ringfence migrate`` then ``ringfence serve`` in a subprocess; its base URL (once
    ``/readyz`` answers) and the file its output goes to."""
    port = free_port()
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    output = data_dir.parent / f"serve-{port}.log"
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")},
        "RINGFENCE_DATA_DIR": str(data_dir),
        "RINGFENCE_WEB__PORT": str(port),
        **env,
    }
    cli = [sys.executable, "-m", "ringfence"]
    migrate = await asyncio.create_subprocess_exec(
        *cli, "migrate", env=full, cwd=REPO, stdout=PIPE, stderr=STDOUT
    )
    printed, _ = await migrate.communicate()
    if migrate.returncode:
        raise RuntimeError(printed.decode())
    sink = await asyncio.to_thread(output.open, "ab")
    proc = await asyncio.create_subprocess_exec(
        *cli, "serve", env=full, cwd=REPO, stdout=sink, stderr=STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            deadline = time.monotonic() + 60
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"the server stopped; its output is in {output}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the server did not become ready")
                await asyncio.sleep(0.1)  # a subprocess's port: there is no event to await
        yield base, output
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
        sink.close()


@dataclass
class Tally:
    """What a load got back: every status, and every request's seconds."""

    statuses: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # bodies of the 5xx answers
    dropped: int = 0  # requests that got no answer at all (the connection closed under them)

    by_path: dict[str, list[float]] = field(default_factory=dict)

    def add(self, response: httpx.Response, seconds: float) -> None:
        self.statuses.append(response.status_code)
        self.seconds.append(seconds)
        self.by_path.setdefault(response.request.url.path, []).append(seconds)
        if response.status_code >= 500:
            self.failures.append(response.text[:300])

    @property
    def server_errors(self) -> int:
        return sum(s >= 500 for s in self.statuses)

    def percentile(self, p: float, path: str | None = None) -> float:
        """The ``p``-th percentile of the seconds (of the requests for ``path``, if given)."""
        ordered = sorted(self.seconds if path is None else self.by_path.get(path, []))
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def load(base: str, clients: int, seconds: float, request: Request) -> Tally:
    """``clients`` clients, each with its own cookies, calling ``request(client, n)`` back to back
    for ``seconds``."""
    tally = Tally()
    stop = time.monotonic() + seconds

    async def one(index: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            n = 0
            while time.monotonic() < stop:
                started = time.monotonic()
                try:
                    response = await request(client, index * 1_000_000 + n)
                except httpx.TransportError:
                    tally.dropped += 1
                else:
                    tally.add(response, time.monotonic() - started)
                n += 1

    await asyncio.gather(*(one(i) for i in range(clients)))
    return tally


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if found is None:
        raise ValueError(f"no CSRF field on {page.url}")
    return found.group(1)


def locked_in(log: Path) -> int:
    """How many times the server's output says ``database is locked``."""
    return log.read_text(errors="replace").count("database is locked")


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 60.0) -> None:
    """Ask ``check`` every 50 ms until it holds: for state outside this loop (another process's,
    a queue's threads'), which sends no event to await."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.05) + 1):
        if await check():
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{check.__name__} did not hold within {seconds} s")
