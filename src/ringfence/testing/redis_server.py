"""A scratch ``redis-server`` of its own, for tests and benchmarks that stop and restart Redis.

It listens on a free loopback port with its files (the append-only log, its own log) in a
folder; ``stop`` stops it as ``systemctl restart`` does (SIGTERM: the log flushed first), ``kill``
as a crash would (SIGKILL: nothing flushed on the way out), and ``start`` brings it back on the
same port and files. Needs Debian's ``redis-server``
(``scripts/system-deps.sh test`` installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

READY_SECONDS = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(
        self, folder: Path, *, appendonly: bool = True, appendfsync: str = "everysec"
    ) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (scripts/system-deps.sh test)")
        self.binary = binary
        self.folder = folder
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and return once it answers PING."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", self.appendfsync,
                "--save", "",  # no snapshots: what survives a restart is the append-only log's
                "--logfile", str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + READY_SECONDS
        try:
            while True:
                if self._proc.poll() is not None:
                    raise RuntimeError((self.folder / "redis.log").read_text())
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("redis-server did not answer")
                time.sleep(0.02)  # a subprocess's port: there is no event to await
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it as a service manager does (it flushes its log first)."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait()
            self._proc = None

    def kill(self) -> None:
        """Stop it as a crash would."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()
