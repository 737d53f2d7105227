"""coturn on loopback as roulette's relay, in its use-auth-secret (TURN REST API) mode."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.server import free_port

TURNSERVER = shutil.which("turnserver") or "/usr/sbin/turnserver"


@dataclass(frozen=True)
class Turn:
    url: str
    secret: str


def _udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def coturn() -> Iterator[Turn]:
    port = free_port()
    relay = free_port() // 2 * 2
    secret = secrets.token_hex(16)
    args = [
        TURNSERVER,
        "-n",  # no configuration file
        "--listening-ip=127.0.0.1",
        f"--listening-port={port}",
        "--relay-ip=127.0.0.1",
        f"--min-port={relay}",
        f"--max-port={relay + 40}",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        "--realm=ringfence.test",
        "--allow-loopback-peers",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--fingerprint",
        "--log-file=stdout",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while _udp_port_free(port):  # listening: the port is taken (no readiness event to await)
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("coturn did not start")
            time.sleep(0.05)
        yield Turn(url=f"turn:127.0.0.1:{port}?transport=udp", secret=secret)
    finally:
        process.terminate()
        process.wait(timeout=10)
