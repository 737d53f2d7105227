"""The relay roulette runs itself: coturn as a child process, when no TURN server is configured.

With ``roulette.turn_urls`` unset, ``managed_turn`` on and coturn's ``turnserver`` installed
(``make run`` installs it), the server starts coturn on ``managed_turn_ip`` with a secret made
for this run, in its use-auth-secret mode (the "TURN REST API", see ``turn``), and stops it with
the server. coturn keeps no user database and writes no log here: its output goes nowhere,
since it would name every person's address. Without coturn the page says it runs in direct mode.

Readiness is a STUN Binding request (RFC 8489, section 6) answered by the child, not a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass

from ringfence.logging import get_logger
from ringfence.settings import RouletteSettings

log = get_logger(__name__)

READY_WITHIN = 15.0  # seconds coturn has to answer its first STUN Binding request
STOP_WITHIN = 10.0
MAGIC_COOKIE = 0x2112A442  # RFC 8489, section 5
BINDING_REQUEST, BINDING_SUCCESS = 0x0001, 0x0101


@dataclass(frozen=True)
class Turn:
    """A TURN server the page may use: its URLs and the secret its passwords are made with."""

    urls: tuple[str, ...]
    secret: str


def configured(settings: RouletteSettings) -> Turn | None:
    """The operator's own TURN server, if one is set."""
    if settings.turn_urls and settings.turn_secret is not None:
        return Turn(tuple(settings.turn_urls), settings.turn_secret.get_secret_value())
    return None


def _free_port(ip: str) -> int:
    """A port free for both UDP and TCP on ``ip`` (coturn listens on both)."""
    family = socket.AF_INET6 if ipaddress.ip_address(ip).version == 6 else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.bind((ip, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(family, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((ip, port))
                except OSError:
                    continue
                return port
    raise OSError(f"no free port on {ip}")


def _host(ip: str) -> str:
    return f"[{ip}]" if ipaddress.ip_address(ip).version == 6 else ip


def binding_request(transaction: bytes) -> bytes:
    """A STUN Binding request without attributes (RFC 8489, section 5: the 20-byte header)."""
    return (
        BINDING_REQUEST.to_bytes(2, "big")
        + (0).to_bytes(2, "big")
        + MAGIC_COOKIE.to_bytes(4, "big")
        + transaction
    )


class _Answered(asyncio.DatagramProtocol):
    def __init__(self, transaction: bytes) -> None:
        self.transaction = transaction
        self.answered = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if data[:2] == BINDING_SUCCESS.to_bytes(2, "big") and data[8:20] == self.transaction:
            self.answered.set()


async def stun_answers(ip: str, port: int, within: float) -> bool:
    """Whether a STUN server at ``ip``:``port`` answers a Binding request within ``within`` s
    (sent again every 100 ms, as UDP may drop it, and is dropped before the port is open)."""
    transaction = secrets.token_bytes(12)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Answered(transaction), remote_addr=(ip, port)
    )
    try:
        async with asyncio.timeout(within):
            while not protocol.answered.is_set():
                transport.sendto(binding_request(transaction))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(protocol.answered.wait(), 0.1)
        return True
    except TimeoutError:
        return False
    finally:
        transport.close()


class ManagedTurn:
    """coturn as this server's child: ``start`` returns the relay the page may use (or None
    when coturn is missing or would not start), ``stop`` ends it."""

    def __init__(self, settings: RouletteSettings, binary: str | None = None) -> None:
        self.settings = settings
        self.binary = binary or shutil.which("turnserver")
        self._process: asyncio.subprocess.Process | None = None

    def arguments(self, port: int, config: str) -> list[str]:
        """coturn's command line; the secret is in ``config`` (a file only this user reads),
        never on the command line, which every local user may list."""
        ip = self.settings.managed_turn_ip
        first, last = self.settings.managed_turn_relay_ports
        args = [
            "-c",
            config,
            f"--listening-ip={ip}",
            f"--listening-port={port}",
            f"--relay-ip={ip}",
            f"--min-port={first}",
            f"--max-port={last}",
            "--use-auth-secret",
            "--realm=ringfence",
            "--fingerprint",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-multicast-peers",
            "--no-software-attribute",
            "--log-file=stdout",  # and stdout goes nowhere: coturn's log names addresses
        ]
        if ipaddress.ip_address(ip).is_loopback:
            args.append("--allow-loopback-peers")  # both browsers are on this machine
        return args

    async def start(self) -> Turn | None:
        if self.binary is None:
            log.warning("roulette_turn_missing", detail="coturn (turnserver) is not installed")
            return None
        ip = self.settings.managed_turn_ip
        port = self.settings.managed_turn_port or _free_port(ip)
        secret = secrets.token_urlsafe(32)
        fd, config = tempfile.mkstemp(prefix="ringfence-turn-", suffix=".conf")  # mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(f"static-auth-secret={secret}\n")
            self._process = await asyncio.create_subprocess_exec(
                *_dies_with_us(self.binary),
                *self.arguments(port, config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            ready = await stun_answers(ip, port, READY_WITHIN)
        finally:
            os.unlink(config)  # read at start: it need not outlive it
        if not ready:
            log.error("roulette_turn_failed", ip=ip, port=port)
            await self.stop()
            return None
        log.info("roulette_turn_started", ip=ip, port=port)
        host = _host(ip)
        return Turn(
            (f"turn:{host}:{port}?transport=udp", f"turn:{host}:{port}?transport=tcp"), secret
        )

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_WITHIN)
        except TimeoutError:
            process.kill()
            await process.wait()


def _dies_with_us(binary: str) -> list[str]:
    """The command that runs ``binary`` as a child killed with this process, however it ends:
    ``stop`` ends coturn on a clean shutdown, but a server killed outright (SIGKILL, the OOM
    killer) runs no code, and an orphaned coturn would keep the relay port and its secret
    alive. util-linux's ``setpriv --pdeathsig`` asks the kernel to kill the child when its
    parent goes (kept across the exec of coturn); where setpriv is missing, coturn runs
    alone, as before."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", binary] if setpriv else [binary]
