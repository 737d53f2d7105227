"""Kamailio with the deployment's own configuration (``deploy/kamailio/kamailio.cfg``) in front
of engines on this machine, for the test and the benchmark of engines behind a SIP proxy: the
configuration they run is the one an operator deploys, only its address, engine list and
timers given on the command line."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "kamailio" / "kamailio.cfg"
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
READY_WITHIN = 30.0  # seconds for Kamailio to answer OPTIONS on a loaded machine


def available() -> bool:
    return Path(KAMAILIO).exists() and CONFIG.exists()


@asynccontextmanager
async def dispatcher(
    host: str,
    port: int,
    engines: Sequence[tuple[str, int]],
    *,
    carrier: tuple[str, int] | None = None,
    ping_seconds: int = 1,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Kamailio on ``host:port`` dispatching to ``engines`` (and their calls out to
    ``carrier``, when given), answering OPTIONS (ready) when this yields; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="ringfence-kamailio-") as folder:
        engine_list = Path(folder) / "engines.list"
        engine_list.write_text("".join(f"1 sip:{h}:{p}\n" for h, p in engines))
        process = await asyncio.create_subprocess_exec(
            KAMAILIO,
            "-DD",  # foreground, no daemon: a child this process owns
            "-E",
            "-f",
            str(CONFIG),
            "-Y",
            folder,  # its runtime directory
            "-A",
            f"LISTEN=udp:{host}:{port}",
            "-A",
            f'ENGINES="{engine_list}"',
            "-A",
            f"PING_SECONDS={ping_seconds}",
            "-A",
            "CHILDREN=2",
            *(["-A", f'CARRIER="sip:{carrier[0]}:{carrier[1]}"'] if carrier else []),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await _answers_options(host, port, process)
            yield process
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _answers_options(host: str, port: int, process: asyncio.subprocess.Process) -> None:
    """Wait until the proxy answers an OPTIONS: it then listens and has read its list."""
    loop = asyncio.get_running_loop()
    answered = loop.create_future()

    class Probe(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if data.startswith(b"SIP/2.0 200") and not answered.done():
                answered.set_result(None)

    transport, _ = await loop.create_datagram_endpoint(Probe, local_addr=(host, 0))
    local = transport.get_extra_info("sockname")
    try:
        async with asyncio.timeout(READY_WITHIN):
            branch = 0
            while not answered.done():
                if process.returncode is not None:
                    raise RuntimeError(f"kamailio exited with {process.returncode}")
                branch += 1
                transport.sendto(_options(host, port, local, branch), (host, port))
                await asyncio.wait([answered], timeout=0.2)
    finally:
        transport.close()


def _options(host: str, port: int, local: tuple[str, int], branch: int) -> bytes:
    return (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch=z9hG4bK-ready-{branch}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@{local[0]}>;tag=ready\r\n"
        f"To: <sip:{host}:{port}>\r\n"
        f"Call-ID: ready-{branch}@{local[0]}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
