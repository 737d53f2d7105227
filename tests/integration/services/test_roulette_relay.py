"""roulette's relay on a real server: with no TURN configured the server runs coturn itself,
hands out short-lived credentials for it with the relay-only policy, and stops it on shutdown;
with a TURN configured, that one is used and no coturn is started."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from ringfence.services.roulette.turnserver import stun_answers
from tests.conftest import SettingsFactory
from tests.integration.services.test_roulette import peers, server
from tests.support.server import serving_process

pytestmark = pytest.mark.integration


def _turn_port(ice: dict[str, object]) -> tuple[str, int]:
    servers = ice["iceServers"]
    assert isinstance(servers, list) and len(servers) == 1
    url = servers[0]["urls"][0]
    host, port = url.removeprefix("turn:").split("?")[0].rsplit(":", 1)
    return host, int(port)


async def test_the_server_runs_its_own_relay_and_stops_it(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url,
        web={"trusted_proxies": ["127.0.0.1"]},
        roulette={"managed_turn": True, "turn_ttl": 600},
    )
    async with server(settings) as base:
        async with peers(base, "198.51.100.50", "198.51.100.51") as (a, b):
            assert (await a.next("welcome"))["ipHidden"] is True
            await a.join()
            await b.join()
            ice = (await a.next("matched"))["ice"]
            assert ice["iceTransportPolicy"] == "relay" and ice["ipHidden"] is True
            (turn,) = ice["iceServers"]
            assert turn["urls"][0].startswith("turn:127.0.0.1:")
            assert turn["urls"][1].endswith("?transport=tcp")
            # coturn's REST credentials: "<expiry>:<tag>", valid for the TTL, and each pair
            # gets its own.
            expiry = int(turn["username"].split(":")[0])
            assert 590 <= expiry - time.time() <= 610
            assert (
                turn["credential"]
                != (await b.next("matched"))["ice"]["iceServers"][0]["credential"]
            )
            assert base64.b64decode(turn["credential"])  # an HMAC-SHA1 under the run's secret
            assert len(base64.b64decode(turn["credential"])) == hashlib.sha1().digest_size
            host, port = _turn_port(ice)
            assert await stun_answers(host, port, 5)  # the relay is up
        page = await _get(base + "/roulette")
        assert "Your IP address is hidden" in page
    assert not await stun_answers(host, port, 1)  # and gone with the server


async def test_a_configured_relay_is_used_and_none_started(
    make_settings: SettingsFactory, database_url: str
) -> None:
    secret = "the-operator-s-own-coturn-secret"
    settings = make_settings(
        database_url=database_url,
        web={"trusted_proxies": ["127.0.0.1"]},
        roulette={
            "managed_turn": True,
            "turn_urls": ["turn:turn.example.org:3478?transport=udp"],
            "turn_secret": secret,
        },
    )
    async with server(settings) as base, peers(base, "198.51.100.52", "198.51.100.53") as (a, b):
        await a.join()
        await b.join()
        ice = (await a.next("matched"))["ice"]
        assert ice["iceTransportPolicy"] == "relay"
        (turn,) = ice["iceServers"]
        assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
        expected = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
        assert base64.b64decode(turn["credential"]) == expected
        assert json.dumps(ice).count("127.0.0.1") == 0  # no coturn of our own


async def _get(url: str) -> str:
    async with httpx.AsyncClient(timeout=60) as client:
        return (await client.get(url)).text


def _children(pid: int, name: str) -> list[int]:
    """Live (not zombie) processes named ``name`` whose parent is ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        comm, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        state, parent = rest.split()[:2]
        if comm == name and int(parent) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie is dead, waiting for its reaper


def test_the_relay_dies_with_a_killed_server(tmp_path: Path) -> None:
    """A server killed outright runs no shutdown code: coturn, its child, must not outlive it
    with the relay port and the run's secret."""
    with serving_process(tmp_path / "data", RINGFENCE_ROULETTE__MANAGED_TURN="true") as (_, proc):
        (relay,) = _children(proc.pid, "turnserver")  # the default install runs one
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 60
        while _alive(relay) and time.monotonic() < deadline:
            time.sleep(0.1)  # another process's end has no event to await here
        outlived = _alive(relay)
        if outlived:
            os.kill(relay, signal.SIGKILL)  # leave no orphan behind a failed run
    assert not outlived, "coturn outlived the killed server"
