"""A real ``ringfence serve`` in a subprocess on a free loopback port, for browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_process(
    data_dir: Path, port: int | None = None, output: Path | None = None, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Migrate, start the server, wait until /readyz answers, yield its base URL and process.
    Everything the processes print goes to a file (``output``, or one beside the data dir),
    never to a pipe nobody reads: a full pipe would block the server's logging and so the
    server."""
    port = port or free_port()
    output = output or data_dir.parent / f"{data_dir.name}-serve-{port}.log"
    full_env = {
        **os.environ,
        "RINGFENCE_DATA_DIR": str(data_dir),
        "RINGFENCE_WEB__PORT": str(port),
        **env,
    }
    cli = [sys.executable, "-m", "ringfence"]
    migrated = subprocess.run([*cli, "migrate"], env=full_env, capture_output=True, cwd=REPO)
    output.write_bytes(migrated.stdout + migrated.stderr)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    sink = output.open("ab")
    proc = subprocess.Popen(
        [*cli, "serve"], env=full_env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # start-up imports every service; a loaded CPU
        while True:
            if proc.poll() is not None:
                raise RuntimeError(output.read_text())
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server did not become ready")
            time.sleep(0.1)  # polling a subprocess's port: there is no event to await
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        sink.close()


@contextmanager
def running_server(
    data_dir: Path, port: int | None = None, output: Path | None = None, **env: str
) -> Iterator[str]:
    """``serving_process`` for a test that needs the server's address only."""
    with serving_process(data_dir, port, output, **env) as (base, _):
        yield base
