"""Benchmark: how long a call takes to reach a test phone's tab, through both SIP engines.

Method. In this process, the platform's ``TelephonyEngine`` and the built-in ``TestPhone`` start
on loopback exactly as ``ringfence serve`` starts them (``start_telephony`` without a database).
One line is registered whose tab is a coroutine: when told of an incoming call it notes the time
and declines it at once. Then ``CALLS`` calls are placed one after the other through the
platform's ``OutboundGate`` (policy, carrier rule, caller-ID rule), as ring places them: each is
an INVITE over loopback, the test phone's inbound gate, its routing, the line's message, a 603
back and the call's end on the platform. Printed: the time from asking the gate to the tab's
message (median, 95th percentile, worst), the time to the platform's ``ended`` event, and the
CPU time this process spent per call. No browser takes part: WebRTC's own set-up (ICE on
loopback) comes on top, and the browser tests measure that only as "answered in time".

Measured here (2 cores shared with five other test runs, load average about 20, 2026-12-02):

    to the tab: median 0.79 ms, p95 1.57 ms, worst 21.18 ms (200 calls)
    to the end: median 1.37 ms, p95 2.70 ms, worst 22.30 ms (200 calls)
    cpu per call: 1.45 ms

Run: ``.venv/bin/python bench/test_phone.py [calls]`` (default 200).
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ringfence.settings import Settings
from ringfence.telephony.dialing import parse
from ringfence.telephony.engine import TelephonyEngine
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate
from ringfence.telephony.testphone import TestPhone


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(calls: int, data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, secret_key="b" * 32)
    engine = TelephonyEngine(settings, host="127.0.0.1", port=0)
    phone = TestPhone(settings, engine)
    await phone.start()
    await engine.start()
    phone.connect()
    told: asyncio.Queue[float] = asyncio.Queue()
    line_holder: list[Any] = []

    async def tab(message: dict[str, Any]) -> None:
        if message["type"] == "incoming":
            told.put_nowait(time.perf_counter())
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(phone.hang_up(line_holder[0], message["call"]))
            )

    line = await phone.register("bench-browser", "127.0.0.1", tab)
    line_holder.append(line)
    gate = OutboundGate(engine, None, engine.clock, settings)
    number = parse(line.number, None)
    to_tab: list[float] = []
    to_end: list[float] = []
    cpu = _cpu()
    try:
        for _ in range(calls):
            start = time.perf_counter()
            call = await gate.place(number, Caller("bench"), AnyNumber())
            to_tab.append(await asyncio.wait_for(told.get(), 10) - start)
            await asyncio.wait_for(call.wait_ended(), 10)
            to_end.append(time.perf_counter() - start)
    finally:
        spent = _cpu() - cpu
        await phone.stop()
        await engine.stop()
    for name, values in (("to the tab", to_tab), ("to the end", to_end)):
        ms = sorted(v * 1000 for v in values)
        p95 = ms[int(len(ms) * 0.95) - 1]
        print(
            f"{name}: median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, "
            f"worst {ms[-1]:.2f} ms ({len(ms)} calls)"
        )
    print(f"cpu per call: {spent / calls * 1000:.2f} ms")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(calls, Path(tmp)))


if __name__ == "__main__":
    main()
