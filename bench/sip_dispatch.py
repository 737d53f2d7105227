"""Benchmark: engines past one machine, behind Kamailio's dispatcher.

Method. Kamailio runs the deployment's own configuration (``deploy/kamailio/kamailio.cfg``) on
127.0.0.1, dispatching round-robin to two engine processes on their own addresses, 127.0.0.2 and
127.0.0.3 (``bench/sip_scale.py``'s engine: it answers and streams a tone until the caller hangs
up), each probed with SIP OPTIONS every second. SIPp (``tests/data/sipp/uac_routed.xml``, as a
carrier behind a proxy: its ACK and BYE follow the answer's Record-Route) places ``rate * SECONDS``
calls of ``HOLD`` seconds each with ``-rtp_echo`` at ``rate`` calls/s, so at the default 50 calls/s
500 calls are up at once, 250 per engine.

Two runs: **both engines up** all along; then **one engine stopped** (it hangs up the calls it
holds and leaves) when half the calls have been placed. Printed per run: SIPp's successful and
failed calls, the calls each engine took, the most held at once, RTP loss of the echoed stream, and
CPU per call of the engines. With one engine stopped, the calls it held end (SIPp counts them
failed: it meant to hang up itself); every call placed after the stop must reach the live engine,
and no call of the live engine may fail: ``failed`` must equal the stopped engine's calls up at
the stop ("cut").

Everything (SIPp, Kamailio, both engines) shares this machine's cores: it measures the path, not
a deployment's capacity, which grows with machines.

Run: ``.venv/bin/python bench/sip_dispatch.py [rate]`` (default 50 calls/s; needs kamailio).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from ringfence.testing.dispatcher_proxy import available, dispatcher
from sipp_bench import free_port, sipp_counter

SECONDS = 10
HOLD = 12.0
ENGINES = ("127.0.0.2", "127.0.0.3")
SCENARIO = Path(__file__).resolve().parents[1] / "tests" / "data" / "sipp" / "uac_routed.xml"
SCALE = Path(__file__).resolve().with_name("sip_scale.py")


async def _engine(host: str, port: int, low: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCALE),
        "--child",
        str(port),
        str(low),
        str(low + 4998),
        host,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    assert line.strip() == b"ready", line
    return proc


async def _report(proc: asyncio.subprocess.Process) -> dict[str, float]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"report\n")
    await proc.stdin.drain()
    report: dict[str, float] = json.loads(await proc.stdout.readline())
    await proc.wait()
    return report


async def run(rate: int, stop_one: bool) -> dict[str, object]:
    port = free_port()
    engines = [await _engine(host, port, 40000 + i * 5000) for i, host in enumerate(ENGINES)]
    proxy_port = free_port()
    calls = rate * SECONDS
    async with dispatcher("127.0.0.1", proxy_port, [(h, port) for h in ENGINES]):
        with tempfile.TemporaryDirectory() as tmp:
            scenario = Path(tmp) / "uac.xml"
            scenario.write_text(SCENARIO.read_text().replace("{hold_ms}", str(int(HOLD * 1000))))
            sipp = await asyncio.create_subprocess_exec(
                "/usr/bin/sipp",
                "-sf",
                str(scenario),
                "-i",
                "127.0.0.1",
                "-p",
                str(free_port()),
                "-mp",
                str(free_port()),
                "-r",
                str(rate),
                "-m",
                str(calls),
                "-rtp_echo",
                "-nostdin",
                "-timeout",
                f"{SECONDS + HOLD + 60}s",
                "-max_socket",
                "4096",
                "-s",
                "+15550100",
                f"127.0.0.1:{proxy_port}",
                cwd=tmp,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            stopped: dict[str, float] | None = None
            if stop_one:
                await asyncio.sleep(SECONDS / 2)  # half the calls placed: the moment is the point
                stopped = await _report(engines[1])  # it hangs up what it holds and stops
            try:
                out, _ = await asyncio.wait_for(sipp.communicate(), SECONDS + HOLD + 120)
            except TimeoutError:
                sipp.kill()
                out = b"SIPp did not end by the deadline: killed"
    reports = [
        stopped if proc is engines[1] and stopped else await _report(proc) for proc in engines
    ]
    screen = out.decode(errors="replace")
    received = sum(r["received"] for r in reports)
    lost = sum(r["lost"] for r in reports)
    taken = sum(r["calls"] for r in reports) or 1
    return {
        "ok": sipp_counter(screen, "Successful call"),
        "failed": sipp_counter(screen, "Failed call"),
        "split": "/".join(str(r["calls"]) for r in reports),
        "peak": sum(r["peak"] for r in reports),
        "loss": 100 * lost / (received + lost) if received + lost else float("nan"),
        "cpu_ms": 1000 * sum(r["cpu"] for r in reports) / taken,
        "cut": stopped["hung_up"] if stopped else 0,
    }


async def main() -> None:
    if not available():
        sys.exit("kamailio is not installed (scripts/system-deps.sh test installs it)")
    rate = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print(f"SIPp -> Kamailio -> 2 engines: {rate} calls/s for {SECONDS} s, {HOLD:.0f} s each")
    print(
        f"{'run':>16} {'ok':>5} {'failed':>6} {'calls per engine':>16} {'peak held':>9} "
        f"{'loss %':>7} {'cpu ms/call':>11} {'cut':>5}"
    )
    for name, stop_one in (("both up", False), ("one stopped", True)):
        row = await run(rate, stop_one)
        print(
            f"{name:>16} {row['ok']:>5.0f} {row['failed']:>6.0f} {row['split']:>16} "
            f"{row['peak']:>9} {row['loss']:>7.2f} {row['cpu_ms']:>11.1f} {row['cut']:>5.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
