"""roulette's signalling under load: connections held, joins matched per second, join-to-match
latency, for one server process and for two processes sharing Redis.

Method: ``ringfence serve`` runs in its own process(es) (SQLite store; Redis for the matcher and
python-socketio's message queue in the two-process run; the abuse limits on joins are raised for
the run, since every client shares 127.0.0.1). The clients live in this process and speak the
Socket.IO protocol directly over aiohttp websockets (Engine.IO 4: ``40`` to connect, ``42`` events,
``43`` acks, ``2``/``3`` pings), which is far lighter than one python-socketio client each, so the
server is what is measured. Three figures:

1. held: ``--connections`` clients connect (in batches), then every one must still answer after
   ``--hold`` seconds (a server ping round or an event);
2. burst: half of them join at once; matched pairs per second until all are matched;
3. steady: fresh clients join at ``--rate`` joins/s for ``--seconds``; the time from a client's
   join to its ``matched`` event, p50/p99, for the client that completes a pair (the server's
   latency: the first of a pair must wait for someone to arrive, which at 200 joins/s is ~5 ms
   on average, reported separately).

With two processes, clients alternate between them, so half of all pairs span processes.
Run: ``.venv/bin/python bench/roulette.py [--connections 5000 --rate 200 --seconds 10]``.

Soak (``--soak``): one server process; for ``--duration`` seconds (default 600), cycles of
``--connections`` clients that connect, join (and are matched in pairs), then leave; after each
cycle, once the server's connection gauge is back to zero, the server process's resident memory
(VmRSS from /proc) is printed with the time. The slope is the least-squares fit of RSS over
time after the first cycle (which pays for one-off allocations: imports, pools, caches), in MB
per hour and per cycle; a server that returns what connections took shows a slope near zero.
Run: ``.venv/bin/python bench/roulette.py --soak [--duration 120 --connections 5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Client:
    url: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    matched: asyncio.Event = field(default_factory=asyncio.Event)
    matched_at: float = 0.0
    joined_at: float = 0.0
    alive: bool = False
    task: asyncio.Task[None] | None = None

    async def open(self, session: aiohttp.ClientSession) -> None:
        self.ws = await session.ws_connect(self.url, heartbeat=None, max_msg_size=0)
        opening = await self.ws.receive_str()  # 0{"sid":...}
        assert opening.startswith("0"), opening
        await self.ws.send_str("40")
        while not (await self.ws.receive_str()).startswith("40"):
            pass
        self.alive = True
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = msg.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith('42["matched"'):
                self.matched_at = time.perf_counter()
                self.matched.set()
        self.alive = False

    async def join(self) -> None:
        assert self.ws is not None
        self.joined_at = time.perf_counter()
        await self.ws.send_str('42["join",{"adult":true}]')

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


def _server(
    port: int, data_dir: Path, redis_url: str | None, queue: str
) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")},
        "RINGFENCE_DATA_DIR": str(data_dir),
        "RINGFENCE_WEB__PORT": str(port),
        "RINGFENCE_LOG__LEVEL": "WARNING",
        "RINGFENCE_ROULETTE__JOINS_PER_MINUTE": "100000000",
        "RINGFENCE_JOBS__QUEUE_NAME": queue,
        "RINGFENCE_JOBS__IN_PROCESS": "false",
        "RINGFENCE_SECRET_KEY": "bench-" + queue,  # one key for all processes, as in production
    }
    if redis_url:
        env["RINGFENCE_REDIS_URL"] = redis_url
    return subprocess.Popen(
        [sys.executable, "-m", "ringfence", "serve"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180  # start-up imports every service; a loaded machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # a subprocess's readiness has no event to await
    raise TimeoutError("server not ready")


async def _connect_all(clients: list[Client], session: aiohttp.ClientSession) -> int:
    batch = 200
    for start in range(0, len(clients), batch):
        results = await asyncio.gather(
            *(c.open(session) for c in clients[start : start + batch]), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            print(f"  connect errors: {len(failed)} (first: {failed[0]!r})")
    return sum(c.alive for c in clients)


async def _settled(urls: list[str]) -> None:
    """Wait until every server has processed the closed connections (its connection gauge is
    back to zero), so the next measurement does not pay for the last one's clean-up."""
    bases = sorted({u.split("/socket.io")[0].replace("ws://", "http://") for u in urls})
    async with httpx.AsyncClient(timeout=60) as client:
        for base in bases:
            for _ in range(600):
                text = (await client.get(base + "/metrics")).text
                line = next(x for x in text.splitlines() if x.startswith("ringfence_roulette_conn"))
                if float(line.split()[-1]) == 0:
                    break
                await asyncio.sleep(0.1)  # a gauge read over HTTP: nothing to await but time


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(urls: list[str], args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # 1. connections held
        held = [Client(urls[i % len(urls)]) for i in range(args.connections)]
        began = time.perf_counter()
        figures["connected"] = await _connect_all(held, session)
        figures["connect_s"] = time.perf_counter() - began
        await asyncio.sleep(args.hold)  # holding is the measurement: time must pass
        figures["held"] = sum(c.alive for c in held)

        # 2. burst: every held client joins at once; pairs matched per second
        began = time.perf_counter()
        await asyncio.gather(*(c.join() for c in held if c.alive))
        joined = [c for c in held if c.alive]
        waits = [asyncio.wait_for(c.matched.wait(), 60) for c in joined]
        await asyncio.gather(*waits, return_exceptions=True)
        done = [c for c in joined if c.matched.is_set()]
        last = max((c.matched_at for c in done), default=began)
        figures["burst_matched"] = len(done)
        figures["burst_pairs_per_s"] = (len(done) / 2) / max(last - began, 1e-9)
        await asyncio.gather(*(c.close() for c in held))
        await _settled(urls)

        # 3. steady rate: fresh clients, connected ahead, join at --rate per second
        total = int(args.rate * args.seconds)
        fresh = [Client(urls[i % len(urls)]) for i in range(total)]
        await _connect_all(fresh, session)
        began = time.perf_counter()
        for i, client in enumerate(fresh):
            due = began + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the offered load
            if client.alive:
                await client.join()
        await asyncio.gather(
            *(asyncio.wait_for(c.matched.wait(), 30) for c in fresh if c.alive),
            return_exceptions=True,
        )
        completing, first = [], []
        for i in range(0, len(fresh) - 1, 2):  # joins alternate: the second completes a pair
            a, b = fresh[i], fresh[i + 1]
            if a.matched.is_set() and b.matched.is_set():
                completing.append((b.matched_at - b.joined_at) * 1000)
                first.append((a.matched_at - a.joined_at) * 1000)
        figures["steady_pairs"] = len(completing)
        figures["p50_ms"] = statistics.median(completing) if completing else float("nan")
        figures["p99_ms"] = _pct(completing, 0.99)
        figures["first_p50_ms"] = statistics.median(first) if first else float("nan")
        await asyncio.gather(*(c.close() for c in fresh))
    return figures


def _rss_mb(pid: int) -> float:
    """The process's resident set (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points."""
    if len(points) < 2:
        return float("nan")
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


async def soak(url: str, pid: int, args: argparse.Namespace) -> list[tuple[float, int, float]]:
    """Cycles of connect, join, leave for ``args.duration`` s: (seconds, cycle, RSS MB) each."""
    samples = [(0.0, 0, _rss_mb(pid))]
    print(f"  t={0:6.0f} s  cycle {0:3d}  rss {samples[0][2]:7.1f} MB (before any connection)")
    began = time.perf_counter()
    cycle = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        while time.perf_counter() - began < args.duration:
            cycle += 1
            clients = [Client(url) for _ in range(args.connections)]
            await _connect_all(clients, session)
            joined = [c for c in clients if c.alive]
            await asyncio.gather(*(c.join() for c in joined))
            await asyncio.gather(
                *(asyncio.wait_for(c.matched.wait(), 60) for c in joined),
                return_exceptions=True,
            )
            matched = sum(c.matched.is_set() for c in joined)
            await asyncio.gather(*(c.close() for c in clients))
            del clients, joined
            await _settled([url])
            at = time.perf_counter() - began
            rss = _rss_mb(pid)
            samples.append((at, cycle, rss))
            print(f"  t={at:6.0f} s  cycle {cycle:3d}  rss {rss:7.1f} MB  ({matched} matched)")
    return samples


def _soak_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "ringfence", "migrate"],
            env={**os.environ, "RINGFENCE_DATA_DIR": str(data)},
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        port = _free_port()
        server = _server(port, data, None, f"rf-soak-{uuid.uuid4().hex[:8]}")
        try:
            _wait_ready(f"http://127.0.0.1:{port}", server)
            print(
                f"soak: {args.connections} connections per cycle, joining and leaving, "
                f"for {args.duration:.0f} s"
            )
            url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
            samples = asyncio.run(soak(url, server.pid, args))
        finally:
            server.terminate()
            server.wait(timeout=120)
    after_first = samples[1:]
    per_hour = _slope([(t / 3600, rss) for t, _, rss in after_first])
    per_cycle = _slope([(float(c), rss) for _, c, rss in after_first])
    grew = after_first[-1][2] - after_first[0][2] if after_first else float("nan")
    print(
        f"  slope after the first cycle: {per_hour:+.1f} MB/hour, {per_cycle:+.2f} MB per "
        f"cycle of {args.connections}; {grew:+.1f} MB from cycle 1 to {after_first[-1][1]}"
    )
    print(
        json.dumps(
            {
                "setup": "soak",
                "cycles": after_first[-1][1],
                "rss_mb": [round(r, 1) for _, _, r in samples],
                "mb_per_hour": round(per_hour, 2),
                "mb_per_cycle": round(per_cycle, 3),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--hold", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--redis", default=os.environ.get("RINGFENCE_TEST_REDIS_URL"))
    parser.add_argument("--soak", action="store_true", help="connections joining and leaving")
    parser.add_argument("--duration", type=float, default=600.0, help="soak seconds")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # servers inherit it
    if args.soak:
        _soak_main(args)
        return

    setups = [("one process", 1)]
    if args.redis:
        setups.append(("two processes on Redis", 2))
    else:
        print("(no --redis / RINGFENCE_TEST_REDIS_URL: the two-process run is skipped)")
    for name, count in setups:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            subprocess.run(
                [sys.executable, "-m", "ringfence", "migrate"],
                env={**os.environ, "RINGFENCE_DATA_DIR": str(data)},
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            queue = f"rf-bench-{uuid.uuid4().hex[:8]}"
            ports = [_free_port() for _ in range(count)]
            servers = [_server(p, data, args.redis if count > 1 else None, queue) for p in ports]
            try:
                for port, process in zip(ports, servers, strict=True):
                    _wait_ready(f"http://127.0.0.1:{port}", process)
                urls = [f"ws://127.0.0.1:{p}/socket.io/?EIO=4&transport=websocket" for p in ports]
                figures = asyncio.run(run(urls, args))
            finally:
                for process in servers:
                    process.terminate()
                    process.wait(timeout=30)
        print(f"{name}:")
        print(
            f"  connections: {figures['connected']:.0f} of {args.connections} connected in "
            f"{figures['connect_s']:.1f} s, {figures['held']:.0f} still held "
            f"after {args.hold:.0f} s"
        )
        print(
            f"  burst: {figures['burst_matched']:.0f} joined at once, "
            f"{figures['burst_pairs_per_s']:.0f} pairs matched per second"
        )
        print(
            f"  steady {args.rate:.0f} joins/s for {args.seconds:.0f} s: "
            f"{figures['steady_pairs']:.0f} pairs; join to matched for the one completing a pair "
            f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms "
            f"(the first of a pair waited p50 {figures['first_p50_ms']:.1f} ms for a partner)"
        )
        print(json.dumps({"setup": name, **{k: round(v, 2) for k, v in figures.items()}}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
