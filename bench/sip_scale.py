"""Benchmark: does a second process on the same SIP port add capacity? (SO_REUSEPORT)

Method. The same inbound load as ``bench/sip_load.py`` (SIPp's ``uac`` with ``-rtp_echo``, each
call 12 s of full-duplex G.711) is run twice at one rate: against one engine process, then
against N engine processes bound to the same UDP port with ``SO_REUSEPORT``
(``RINGFENCE_TELEPHONY__REUSE_PORT``), each with its own RTP port range. SIPp uses one socket
per call (``-t un``), so the kernel's 4-tuple hash spreads calls over the processes while every
message of one call reaches the same process. Each engine process reports the calls it took,
the most it held at once, RTP loss of the echoed stream and its own CPU seconds. Printed: SIPp's
successful and failed calls, calls per process, loss, and CPU per call.

Measured here (2 cores shared with SIPp, quiet machine, 2026-11-22), 50 calls/s, 500 calls:

    processes    ok failed calls per process peak held  loss % cpu ms/call
            1   437     63               500       494    0.03        36.7
            2   500      0           249/251       500    0.14        33.8

Run: ``.venv/bin/python bench/sip_scale.py [rate] [processes]`` (default 50 calls/s, 2).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
from pathlib import Path

from sipp_bench import free_port, sipp_counter, tone_second

SECONDS = 10
HOLD = 12.0


async def child(port: int, rtp_low: int, rtp_high: int, host: str = "127.0.0.1") -> None:
    """One engine process on ``host:port``: answer, stream a tone, report on "report" (also
    the engines behind the proxy of ``bench/sip_dispatch.py``)."""
    from ringfence.errors import InvalidInput
    from ringfence.logging import configure_logging
    from ringfence.settings import LogSettings, Settings
    from ringfence.telephony import Call, TelephonyEngine

    configure_logging(LogSettings(level="ERROR", format="console"))
    tone = tone_second()
    tally = {"calls": 0, "active": 0, "peak": 0, "received": 0, "lost": 0, "hung_up": 0}

    async def answer(call: Call) -> None:
        try:
            await call.answer()
        except InvalidInput:
            return  # the caller gave up (or the engine is stopping) before the answer
        tally["calls"] += 1
        tally["active"] += 1
        tally["peak"] = max(tally["peak"], tally["active"])
        try:
            while not call.ended:
                call.play(tone)
                await call.played()
        finally:
            tally["active"] -= 1
            if call.media is not None:
                stats = call.media.stats
                tally["received"] += int(stats.get("packets_received", 0))
                tally["lost"] += max(int(stats.get("packets_lost", 0)), 0)

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            data_dir=Path(data),
            telephony={
                "enabled": True,
                "sip_host": host,
                "sip_port": port,
                "reuse_port": True,
                "rtp_port_min": rtp_low,
                "rtp_port_max": rtp_high,
                "max_duration": 600,
                # SIPp on loopback is the trunk, and it brings a whole load from one address.
                "carriers": [{"name": "sipp", "host": "127.0.0.1"}],
                "inbound_invites_per_minute": 1_000_000,
            },
        )
        engine = TelephonyEngine(settings)
        engine.route(None, answer, service="bench")
        await engine.start()
        start = resource.getrusage(resource.RUSAGE_SELF)
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        tally["hung_up"] = len(engine.active_calls())  # calls still up: we end them
        for call in engine.active_calls():
            await call.hangup()
        await engine.idle()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        # CPU of the load only, not of start-up and imports.
        tally["cpu"] = usage.ru_utime + usage.ru_stime - start.ru_utime - start.ru_stime
        print(json.dumps(tally), flush=True)
        await engine.stop()


async def run(rate: int, processes: int) -> dict[str, float]:
    port = free_port()
    children = []
    for i in range(processes):
        low = 40000 + i * 5000
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            str(port),
            str(low),
            str(low + 4998),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        assert line.strip() == b"ready", line
        children.append(proc)
    calls = rate * SECONDS
    with tempfile.TemporaryDirectory() as tmp:
        sipp = await asyncio.create_subprocess_exec(
            "/usr/bin/sipp",
            "-sn",
            "uac",
            "-i",
            "127.0.0.1",
            "-t",
            "un",
            "-p",
            str(free_port()),
            "-mp",
            str(free_port()),
            "-r",
            str(rate),
            "-m",
            str(calls),
            "-d",
            str(int(HOLD * 1000)),
            "-rtp_echo",
            "-nostdin",
            "-timeout",
            f"{SECONDS + HOLD + 60}s",
            "-max_socket",
            "8192",
            "-s",
            "+15550100",
            f"127.0.0.1:{port}",
            cwd=tmp,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await sipp.communicate()
    reports = []
    for proc in children:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"report\n")
        await proc.stdin.drain()
        reports.append(json.loads(await proc.stdout.readline()))
        await proc.wait()
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
    }


async def main() -> None:
    rate = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    print(f"{rate} calls/s for {SECONDS} s, {HOLD:.0f} s each ({rate * SECONDS} calls)")
    print(
        f"{'processes':>9} {'ok':>5} {'failed':>6} {'calls per process':>17} {'peak held':>9} "
        f"{'loss %':>7} {'cpu ms/call':>11}"
    )
    for n in (1, processes):
        row = await run(rate, n)
        print(
            f"{n:>9} {row['ok']:>5.0f} {row['failed']:>6.0f} {row['split']:>17} "
            f"{row['peak']:>9} {row['loss']:>7.2f} {row['cpu_ms']:>11.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        asyncio.run(child(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6]))
    else:
        asyncio.run(main())
