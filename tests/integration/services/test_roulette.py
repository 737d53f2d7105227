"""roulette's signalling with python-socketio clients against the app on a real server."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import socketio
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from ringfence.privacy.core import Privacy
from ringfence.services.roulette.models import Ban
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.store.schema import target_metadata
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.web import serving

pytestmark = pytest.mark.integration
SECRET_TEXT = "the-parrot-sings-at-midnight-7731"


class Peer:
    """A Socket.IO client whose events wait in a queue per event name."""

    def __init__(self, base: str, ip: str) -> None:
        self.base, self.ip = base, ip
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        for name in ("welcome", "waiting", "matched", "signal", "message", "image", "typing",
                     "partner_left", "banned", "connect_error"):  # fmt: skip
            self.client.on(name, self._collect(name))

    def _collect(self, name: str) -> Any:
        async def handler(data: Any = None) -> None:
            self.events[name].put_nowait(data)

        return handler

    async def connect(self) -> None:
        await self.client.connect(  # the namespace's answer, not 1 s: a loaded machine
            self.base,
            transports=["websocket"],
            headers={"X-Forwarded-For": self.ip},
            wait_timeout=30,
        )

    async def next(self, name: str) -> Any:
        return await asyncio.wait_for(self.events[name].get(), 10)

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.client.call(event, data, timeout=10)

    async def join(self, **options: Any) -> Any:
        return await self.call("join", {"adult": True, **options})


def _settings(make_settings: SettingsFactory, database_url: str, **roulette: Any) -> Settings:
    return make_settings(
        database_url=database_url,
        web={"trusted_proxies": ["127.0.0.1"]},
        roulette=roulette,
    )


@asynccontextmanager
async def server(settings: Settings) -> AsyncIterator[str]:
    async with serving(create_app(settings, run_workers=False)) as base:
        yield base


@asynccontextmanager
async def peers(base: str, *ips: str) -> AsyncIterator[list[Peer]]:
    people = [Peer(base, ip) for ip in ips]
    try:
        for person in people:
            await person.connect()
        yield people
    finally:
        for person in people:
            await person.client.disconnect()


def _png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET_TEXT)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


async def test_matched_people_exchange_signals_messages_and_pictures(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url, max_message=40)
    async with server(settings) as base, peers(base, "81.2.69.142", "176.9.0.1") as (a, b):
        assert (await a.next("welcome"))["country"] == "GB"
        assert (await b.next("welcome")) == {"country": "DE", "ipHidden": False}
        assert (await a.join()) == {"ok": True, "state": "waiting"}
        assert (await b.join()) == {"ok": True, "state": "matched"}
        to_a, to_b = await a.next("matched"), await b.next("matched")
        assert to_b["initiator"] is True and to_a["initiator"] is False
        assert to_a["country"] == "DE" and to_b["country"] == "GB"
        assert to_a["ice"] == {"iceServers": [], "iceTransportPolicy": "all", "ipHidden": False}

        await b.client.emit("signal", {"type": "offer", "sdp": "v=0 offer"})
        assert await a.next("signal") == {"type": "offer", "sdp": "v=0 offer"}
        await b.client.emit("signal", {"type": "bogus", "sdp": "x"})  # not relayed
        await a.client.emit("signal", {"type": "answer", "sdp": "v=0 answer"})
        assert (await b.next("signal"))["type"] == "answer"

        assert await a.call("message", f"  {SECRET_TEXT}\x07 ") == {"ok": True}
        assert await b.next("message") == {"text": SECRET_TEXT}
        assert "at most 40" in (await a.call("message", "x" * 41))["error"]
        assert "empty" in (await a.call("message", "   "))["error"]
        await a.client.emit("typing", True)
        assert await b.next("typing") is True

        picture = _png_with_metadata()
        assert await b.call("image", picture) == {"ok": True}
        got = await a.next("image")
        assert got["type"] == "image/png" and got["data"].startswith(b"\x89PNG")
        assert SECRET_TEXT.encode() not in got["data"]  # metadata dropped by re-encoding
        assert Image.open(io.BytesIO(got["data"])).size == (40, 30)
        refused = await b.call("image", b"GIF89a" + b"\x00" * 100)
        assert "only PNG, JPEG and WebP" in refused["error"]
        disguised = await b.call("image", b"\x89PNG\r\n\x1a\n" + b"not really a png")
        assert "could not be read" in disguised["error"]


async def test_adults_only_and_countries_filter_both_ways(
    make_settings: SettingsFactory, database_url: str
) -> None:
    ips = ("81.2.69.142", "176.9.0.1", "2.16.0.1", "5.198.0.1")
    async with (
        server(_settings(make_settings, database_url)) as base,
        peers(base, *ips) as (gb, de, br, gb2),
    ):
        assert "18 or over" in (await gb.call("join", {"adult": False}))["error"]
        assert "not a country code" in (await gb.join(wants="XX"))["error"]
        assert (await gb.join(wants="BR"))["state"] == "waiting"
        assert (await de.join())["state"] == "waiting"  # GB only wants Brazil
        assert (await gb2.join(wants="FR"))["state"] == "waiting"  # nobody from France
        # Brazil, wanting anyone: the longest waiting person who accepts Brazil is GB.
        assert (await br.join())["state"] == "matched"
        assert (await gb.next("matched"))["country"] == "BR"
        # The user may say where they are: de now claims FR and meets gb2, who wants FR.
        assert (await de.join(country="FR"))["state"] == "matched"


async def test_next_finds_someone_else_and_never_the_same_stranger_at_once(
    make_settings: SettingsFactory, database_url: str
) -> None:
    ips = ("198.51.100.1", "198.51.100.2", "198.51.100.3")
    async with server(_settings(make_settings, database_url)) as base, peers(base, *ips) as people:
        a, b, c = people
        await a.join()
        assert (await b.join())["state"] == "matched"
        await a.next("matched")
        assert (await a.join())["state"] == "waiting"  # Next
        assert await b.next("partner_left") == {"reason": "next"}
        assert (await b.join())["state"] == "waiting"  # not matched back with a
        assert (await c.join())["state"] == "matched"  # with a: waiting longest
        assert (await a.next("matched"))["initiator"] is False
        await c.call("stop")
        assert await a.next("partner_left") == {"reason": "left"}


async def test_a_report_bans_the_address_until_the_sweeper_removes_the_ban(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    settings = _settings(make_settings, database_url)
    async with server(settings) as base:
        async with peers(base, "198.51.100.7", "198.51.100.8") as (a, b):
            await a.join()
            await b.join()
            # A report says why: without a reason (or with one not on the list) it is refused.
            assert (await a.call("report"))["error"] == "say why you report them"
            assert (await a.call("report", {"reason": "boring"}))["error"].startswith("say why")
            reported = await a.call("report", {"reason": "harassment"})
            assert reported == {"ok": True, "state": "reported", "ban_days": 30}
            until = dt.datetime.fromisoformat((await b.next("banned"))["until"])
            days = (until - dt.datetime.now(dt.UTC)).days
            assert days in (29, 30)
            assert (await a.call("report", {"reason": "spam"}))["error"] == (
                "nobody is connected to you"
            )
        banned = Peer(base, "198.51.100.8")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await banned.connect()
        refusal = await banned.next("connect_error")
        assert "cannot use roulette until" in refusal["message"]
        assert refusal["data"] == {
            "banned": True,
            "until": until.isoformat(timespec="minutes"),
            "why": "Harassment, threats or hate",  # the banned person is told why...
            "appeal": "/roulette/appeal",  # ...and where to appeal
        }
        async with peers(base, "198.51.100.7") as (reporter,):
            assert (await reporter.join())["state"] == "waiting"

    db = Database(database_url)
    try:
        async with db.session() as session:  # the operator who reviews reports sees why
            assert (await session.scalars(select(Ban.reason))).all() == ["harassment"]
        later = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
        report = await Privacy(settings, db, later).sweeper().sweep()
        assert report.counts["roulette_ban"] == 1
    finally:
        await db.dispose()
    async with server(settings) as base, peers(base, "198.51.100.8") as (again,):
        assert (await again.join())["state"] == "waiting"


async def test_messages_and_joins_are_rate_limited(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = _settings(make_settings, database_url, messages_per_minute=2, joins_per_minute=3)
    ips = ("198.51.100.20", "198.51.100.21")
    async with server(settings) as base, peers(base, *ips) as (a, b):
        await a.join()
        await b.join()
        assert await a.call("message", "one") == {"ok": True}
        assert await a.call("message", "two") == {"ok": True}
        assert "too fast" in (await a.call("message", "three"))["error"]
        await a.join()
        await a.join()
        assert "too many new chats" in (await a.join())["error"]


async def test_nothing_of_a_conversation_is_stored_or_logged(
    make_settings: SettingsFactory, database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(make_settings, database_url)
    picture = _png_with_metadata()
    async with server(settings) as base, peers(base, "198.51.100.30", "198.51.100.31") as (a, b):
        await a.join()
        await b.join()
        await a.call("message", SECRET_TEXT)
        await b.next("message")
        await b.call("image", picture)
        relayed = (await a.next("image"))["data"]
        await a.call("report", {"reason": "other"})
    logs = capfd.readouterr()
    pixels = relayed[40:120]  # a run of the re-encoded image's compressed data
    for path, content in _stored_files(settings, database_url):
        assert SECRET_TEXT.encode() not in content, path
        assert picture[20:80] not in content and pixels not in content, path
    for text in (logs.out, logs.err):
        assert SECRET_TEXT not in text
    db = Database(database_url)
    try:
        async with db.session() as session:
            dump = await _dump(session)
    finally:
        await db.dispose()
    assert SECRET_TEXT not in dump


def _stored_files(settings: Settings, database_url: str) -> list[tuple[Path, bytes]]:
    """Every file of the data directory and, on SQLite, the database with its journal."""
    files = [p for p in Path(settings.data_dir).rglob("*") if p.is_file()]
    if database_url.startswith("sqlite"):
        files += [p for p in Path(database_url.split("///", 1)[1]).parent.glob("*") if p.is_file()]
    assert files
    return [(path, path.read_bytes()) for path in files]


async def _dump(session: Any) -> str:
    rows = []
    for table in target_metadata().sorted_tables:
        rows += [str(tuple(r)) for r in (await session.execute(select(table))).all()]
    return "\n".join(rows)


async def test_two_processes_on_redis_match_and_relay_across(
    make_settings: SettingsFactory, database_url: str, redis_url: str
) -> None:
    """Two servers sharing Redis (the matcher's state and python-socketio's message queue):
    people on different servers are matched, talk, and a report reaches across."""
    settings = make_settings(
        database_url=database_url, redis_url=redis_url, web={"trusted_proxies": ["127.0.0.1"]}
    )
    async with (
        server(settings) as first,
        server(settings) as second,
        peers(first, "198.51.100.40") as (a,),
        peers(second, "198.51.100.41") as (b,),
    ):
        assert (await a.join())["state"] == "waiting"
        assert (await b.join())["state"] == "matched"
        assert (await a.next("matched"))["initiator"] is False
        await b.client.emit("signal", {"type": "offer", "sdp": "v=0"})
        assert (await a.next("signal"))["sdp"] == "v=0"
        assert await a.call("message", "hello from the first server") == {"ok": True}
        assert (await b.next("message"))["text"] == "hello from the first server"
        assert (await a.call("report", {"reason": "spam"}))["state"] == "reported"
        assert "until" in await b.next("banned")
