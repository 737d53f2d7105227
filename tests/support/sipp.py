"""SIPp (Debian's sip-tester) as the carrier or the phone, on loopback ports of its own."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.server import free_port

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "sipp"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"


def free_rtp_range() -> tuple[int, int]:
    """A private even-aligned RTP range per test, so parallel tests never share ports."""
    base = random.randrange(20000, 29000, 100)
    return base, base + 98


@dataclass
class SippRun:
    process: asyncio.subprocess.Process
    port: int
    media_port: int
    messages: Path  # every SIP message SIPp sent and received (-trace_msg)

    async def finish(self) -> tuple[int, str]:
        """SIPp's exit status and screen; SIPp's own -timeout bounds the wait."""
        out, _ = await asyncio.wait_for(self.process.communicate(), 90)
        return self.process.returncode or 0, out.decode(errors="replace")

    async def listening_tcp(self) -> None:
        """Wait until SIPp listens on its TCP port, read from /proc/net/tcp (connecting to it
        would count as a call). A subprocess's bind has no event to await: this polls."""
        wanted = f":{self.port:04X} "
        for _ in range(500):
            table = await asyncio.to_thread(Path("/proc/net/tcp").read_text)
            if any(wanted in line and line.split()[3] == "0A" for line in table.splitlines()[1:]):
                return
            if self.process.returncode is not None:
                raise RuntimeError("SIPp exited before listening")
            await asyncio.sleep(0.01)
        raise TimeoutError("SIPp never listened")

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


def _command(
    scenario: str,
    remote: str | None,
    fill: dict[str, str] | None,
    extra: list[str] | None,
    calls: int,
    port: int | None,
    timeout: str = "60s",
    source: str = "127.0.0.1",
) -> tuple[list[str], int, int, Path]:
    port, media = port or free_port(), free_port()
    args = [SIPP, "-i", source, "-p", str(port), "-mp", str(media), "-m", str(calls)]
    args += ["-nostdin", "-timeout", timeout, "-timeout_error", "-max_retrans", "3"]
    messages = tempfile.NamedTemporaryFile(suffix=".log", delete=False).name
    args += ["-trace_msg", "-message_file", messages]
    if scenario in ("uas", "uac"):
        args += ["-sn", scenario]
    else:
        text = (SCENARIOS / f"{scenario}.xml").read_text()
        for name, value in (fill or {}).items():
            text = text.replace("{" + name + "}", value)
        handle = tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False)
        with handle:
            handle.write(text)
        args += ["-sf", handle.name]
    args += extra or []
    if remote:
        args.append(remote)
    return args, port, media, Path(messages)


async def start_sipp(
    scenario: str,
    *,
    remote: str | None = None,
    fill: dict[str, str] | None = None,
    extra: list[str] | None = None,
    calls: int = 1,
    port: int | None = None,
    limit: str = "60s",
    source: str = "127.0.0.1",
) -> SippRun:
    """Start SIPp with a built-in scenario (``uas``, ``uac``) or a file from tests/data/sipp.

    ``fill`` replaces ``{name}`` placeholders in the file before SIPp reads it: SIPp's own
    ``-key`` values are not substituted where it parses a response code. ``port``: a SIP port
    chosen in advance (when the carrier's address must be configured before SIPp starts).
    ``limit``: SIPp's own limit on the whole run. ``source``: the address SIPp binds and sends
    from (127.0.0.2 plays a party outside a trunk's 127.0.0.1/32)."""
    args, port, media, messages = _command(
        scenario, remote, fill, extra, calls, port, limit, source
    )
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    return SippRun(process, port, media, messages)


@contextmanager
def sipp_process(
    scenario: str, **options: Any
) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    """SIPp for synchronous tests (the browser's): the process, its SIP port, its message log;
    killed on exit if still running."""
    args, port, _, messages = _command(
        scenario,
        options.get("remote"),
        options.get("fill"),
        options.get("extra"),
        options.get("calls", 1),
        options.get("port"),
        options.get("timeout", "60s"),
        options.get("source", "127.0.0.1"),
    )
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield process, port, messages
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


@asynccontextmanager
async def sipp_peer(scenario: str, **options: Any) -> AsyncIterator[SippRun]:
    """SIPp for the length of a block that must leave it finished with success (exit 0)."""
    run = await start_sipp(scenario, **options)
    try:
        yield run
        rc, out = await run.finish()
        assert rc == 0, out
    finally:
        await run.kill()


def dials_per_number(run: SippRun) -> Counter[str]:
    """Distinct INVITEs SIPp received (by Call-ID: retransmissions aside), per dialled number."""
    text = run.messages.read_text(errors="replace") if run.messages.exists() else ""
    seen: dict[str, str] = {}
    for block in re.split(r"\n-{10,}", text):
        request = re.search(r"^\s*INVITE sip:\+?(\d+)@", block, re.M)
        call_id = re.search(r"^\s*Call-ID:\s*(\S+)", block, re.M | re.I)
        if request and call_id:
            seen[call_id.group(1)] = "+" + request.group(1)
    return Counter(seen.values())
