"""Signalling for roulette over Socket.IO: join, match, relay, next, stop, report.

The server passes WebRTC offers, answers and ICE candidates only between the two people matched
with each other, and relays chat messages and images the same way: in memory, to the partner's
connection, then gone. Logs name events, never their content. With ``RINGFENCE_REDIS_URL`` set,
python-socketio's Redis manager carries emits between server processes and the matcher keeps its
state in Redis, so people connected to different processes are matched and talk.

Events from the page: ``join`` {adult, country, wants, language, interests}, ``signal`` {type,
...}, ``message`` text, ``image`` bytes, ``typing`` bool, ``next``, ``stop``, ``report``
{reason}. Events to the page: ``welcome``, ``waiting`` {since, interestsWait}, ``matched``
{initiator, country, shared, ice}, ``signal``, ``message``, ``image``, ``typing``,
``partner_left``, ``banned`` {until, why, appeal}, ``reported``.

Whoever named interests is matched only with someone sharing one until ``interests_wait``
seconds have passed; a timer per waiting connection then asks the matcher to look again.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from collections import deque
from typing import Any

import phonenumbers
import socketio

from ringfence.abuse.geo import client_ip, country_for_ip
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import ip_ref, keyed_ref
from ringfence.services.roulette import preferences
from ringfence.services.roulette.appeals import Appeals
from ringfence.services.roulette.bans import REASONS, BanInForce, Bans
from ringfence.services.roulette.images import clean_image
from ringfence.services.roulette.matching import (
    Match,
    Matcher,
    MemoryMatcher,
    RedisMatcher,
    Seeker,
)
from ringfence.services.roulette.relay import RedisRelay
from ringfence.services.roulette.turn import ice_config
from ringfence.services.roulette.turnserver import ManagedTurn, Turn, configured
from ringfence.settings import Settings

log = get_logger(__name__)
MAX_SIGNAL_BYTES = 16_000
SIGNAL_TYPES = ("offer", "answer", "candidate")
WINDOW = 60.0
EVENTS = (
    "connect",
    "disconnect",
    "join",
    "signal",
    "message",
    "image",
    "typing",
    "stop",
    "report",
)


class Windows:
    """Sliding one-minute counts per key (a connection or an IP hash), in this process.

    A connection's keys are dropped when it goes; an address's stay until its last hit is a
    window old, and are swept every ``SWEEP_EVERY`` hits (before, every address that ever
    joined kept its key and deque for the life of the process)."""

    SWEEP_EVERY = 1024

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._until_sweep = self.SWEEP_EVERY

    def allow(self, key: str, limit: int) -> bool:
        now = time.monotonic()
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True

    def _sweep(self, now: float) -> None:
        self._until_sweep = self.SWEEP_EVERY
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - WINDOW]:
            del self._hits[key]

    def drop(self, key: str) -> None:
        self._hits.pop(key, None)

    def __len__(self) -> int:
        return len(self._hits)


def _country(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not code:
        return ""
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"{code!r} is not a country code")
    return code


def _clean_text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput("a message is text")
    text = "".join(c for c in value if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
    if not text:
        raise InvalidInput("the message is empty")
    if len(text) > limit:
        raise InvalidInput(f"messages are at most {limit} characters")
    return text


class RouletteHub:
    def __init__(self, settings: Settings, privacy: Privacy, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.options = settings.roulette
        self.key = settings.signing_key()
        manager = None
        self.matcher: Matcher
        if settings.redis_url:
            channel = f"{settings.jobs.queue_name}:roulette"
            manager = RedisRelay(settings.redis_url, channel=channel)
            self.matcher = RedisMatcher(
                settings.redis_url, channel, clock, self.options.interests_wait
            )
        else:
            self.matcher = MemoryMatcher(clock, self.options.interests_wait)
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            max_http_buffer_size=int(self.options.max_image_bytes * 1.5) + 64_000,
            logger=False,
            engineio_logger=False,
        )
        self.bans = Bans(privacy.db, privacy.inventory, clock)
        self.appeals = Appeals(privacy.db, self.bans, clock, self.options.appeals_per_day)
        self.windows = Windows()
        self.connected = 0
        self.turn: Turn | None = configured(self.options)
        self._managed: ManagedTurn | None = None
        self._fallbacks: dict[str, asyncio.Task[None]] = {}  # sid -> its interests' timer
        self._register()

    def asgi(self) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.sio, socketio_path="socket.io")

    async def start(self) -> None:
        """Run coturn as the relay when none is configured (``turnserver``)."""
        if self.turn is None and self.options.managed_turn:
            self._managed = ManagedTurn(self.options)
            self.turn = await self._managed.start()
        if self.turn is None:
            log.warning(
                "roulette_direct_mode",
                detail="no TURN relay (RINGFENCE_ROULETTE__TURN_URLS and _TURN_SECRET, or coturn "
                "installed for the managed one): strangers' browsers see each other's IP "
                "addresses",
            )

    async def close(self) -> None:
        for sid in list(self._fallbacks):
            self._cancel_fallback(sid)
        await self.matcher.close()
        if self._managed is not None:
            await self._managed.stop()

    # -- helpers ---------------------------------------------------------------------------

    def _limited(self, sid: str, ip_key: str, kind: str, limit: int) -> bool:
        return not (
            self.windows.allow(f"{kind}:{sid}", limit)
            and self.windows.allow(f"{kind}:{ip_key}", limit * 3)  # a shared address: more room
        )

    def _cancel_fallback(self, sid: str) -> None:
        timer = self._fallbacks.pop(sid, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def _wait_for_anyone(self, sid: str) -> None:
        """After ``interests_wait`` s, look again for ``sid``: anyone compatible will do then."""

        async def later() -> None:
            try:
                await asyncio.sleep(self.options.interests_wait)
                match = await self.matcher.retry(sid)
                if match is not None:
                    await self._matched(sid, match)
            finally:
                if self._fallbacks.get(sid) is asyncio.current_task():
                    del self._fallbacks[sid]

        self._cancel_fallback(sid)
        self._fallbacks[sid] = asyncio.create_task(later())

    async def _matched(self, sid: str, match: Match) -> None:
        """Tell both: ``sid`` starts the call (its offer first), each learns the other's
        country and the interests they share."""
        partner = match.partner
        self._cancel_fallback(partner)
        me, other = await self.matcher.member(sid), await self.matcher.member(partner)
        shared = list(match.shared)
        for to, initiator, them in ((partner, False, me), (sid, True, other)):
            ice = ice_config(self.options, self.turn, self.clock.now())
            country = them.country if them else ""
            info = {"initiator": initiator, "country": country, "shared": shared, "ice": ice}
            await self.sio.emit("matched", info, to=to)
        log.info("roulette_matched", waiting=await self.matcher.waiting(), shared=bool(shared))

    def _banned_info(self, ban: BanInForce) -> dict[str, Any]:
        return {
            "until": ban.until.isoformat(timespec="minutes"),
            "why": ban.why,
            "appeal": "/roulette/appeal",
        }

    async def _part(self, sid: str, reason: str) -> None:
        self._cancel_fallback(sid)
        partner = await self.matcher.leave(sid)
        if partner is not None:
            await self.sio.emit("partner_left", {"reason": reason}, to=partner)

    # -- events ----------------------------------------------------------------------------

    def _register(self) -> None:
        for event in EVENTS:
            self.sio.on(event, getattr(self, f"on_{event}"))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        # python-engineio's ASGI mode puts a placeholder in REMOTE_ADDR; the peer is the scope's.
        ip = client_ip(environ.get("asgi.scope") or {}, self.settings.web.trusted_proxies)
        ip_key = keyed_ref(ip_ref(ip), self.key)
        ban = await self.bans.in_force(ip_key)
        if ban is not None:
            info = self._banned_info(ban)
            raise socketio.exceptions.ConnectionRefusedError(
                f"you were reported ({ban.why}) and cannot use roulette until {info['until']}",
                {"banned": True, **info},
            )
        country = country_for_ip(ip) or ""
        await self.sio.save_session(sid, {"ip_key": ip_key, "country": country, "adult": False})
        self.connected += 1
        ip_hidden = self.turn is not None
        await self.sio.emit("welcome", {"country": country, "ipHidden": ip_hidden}, to=sid)

    async def on_disconnect(self, sid: str, *_: Any) -> None:
        self.connected -= 1
        self._cancel_fallback(sid)
        await self._part(sid, "left")
        await self.matcher.forget(sid)
        for kind in ("join", "message", "image"):
            self.windows.drop(f"{kind}:{sid}")

    async def on_join(self, sid: str, data: Any = None) -> dict[str, Any]:
        data = data if isinstance(data, dict) else {}
        session = await self.sio.get_session(sid)
        if not (data.get("adult") is True or session["adult"]):
            return {"error": "roulette is for adults: confirm you are 18 or over"}
        try:
            country = _country(data.get("country", session["country"]))
            wants = _country(data.get("wants", ""))
            language = preferences.language(data.get("language"))
            interests = preferences.interests(data.get("interests"))
        except InvalidInput as exc:
            return {"error": exc.message}
        if self._limited(sid, session["ip_key"], "join", self.options.joins_per_minute):
            return {"error": "too many new chats in a minute: wait a little"}
        ban = await self.bans.in_force(session["ip_key"])
        if ban is not None:
            await self.sio.emit("banned", self._banned_info(ban), to=sid)
            await self.sio.disconnect(sid)
            return {"error": "banned"}
        session.update(adult=True, country=country)
        await self.sio.save_session(sid, session)
        await self._part(sid, "next")
        seeker = Seeker(sid, country, wants, session["ip_key"], language, interests)
        match = await self.matcher.join(seeker)
        if match is None:
            waits = self.options.interests_wait if interests else None
            since = self.clock.now().isoformat(timespec="seconds")
            await self.sio.emit(
                "waiting", {"wants": wants, "since": since, "interestsWait": waits}, to=sid
            )
            if interests and self.options.interests_wait > 0:
                self._wait_for_anyone(sid)
            return {"ok": True, "state": "waiting"}
        await self._matched(sid, match)
        return {"ok": True, "state": "matched"}

    async def on_signal(self, sid: str, data: Any = None) -> None:
        if not isinstance(data, dict) or data.get("type") not in SIGNAL_TYPES:
            return
        if len(str(data)) > MAX_SIGNAL_BYTES:
            return
        partner = await self.matcher.partner(sid)
        if partner is not None:
            await self.sio.emit("signal", data, to=partner)

    async def on_message(self, sid: str, text: Any = None) -> dict[str, Any]:
        session = await self.sio.get_session(sid)
        try:
            clean = _clean_text(text, self.options.max_message)
        except InvalidInput as exc:
            return {"error": exc.message}
        if self._limited(sid, session["ip_key"], "message", self.options.messages_per_minute):
            return {"error": "you are sending messages too fast"}
        partner = await self.matcher.partner(sid)
        if partner is None:
            return {"error": "nobody is connected to you"}
        await self.sio.emit("message", {"text": clean}, to=partner)
        return {"ok": True}

    async def on_image(self, sid: str, data: Any = None) -> dict[str, Any]:
        session = await self.sio.get_session(sid)
        if not isinstance(data, bytes | bytearray):
            return {"error": "send the image's bytes"}
        if self._limited(sid, session["ip_key"], "image", self.options.images_per_minute):
            return {"error": "you are sending images too fast"}
        partner = await self.matcher.partner(sid)
        if partner is None:
            return {"error": "nobody is connected to you"}
        try:
            clean, media_type = await asyncio.to_thread(
                clean_image, bytes(data), self.options.max_image_bytes
            )
        except RingfenceError as exc:
            return {"error": exc.message}
        await self.sio.emit("image", {"type": media_type, "data": clean}, to=partner)
        return {"ok": True}

    async def on_typing(self, sid: str, active: Any = None) -> None:
        partner = await self.matcher.partner(sid)
        if partner is not None:
            await self.sio.emit("typing", bool(active), to=partner)

    async def on_stop(self, sid: str, *_: Any) -> dict[str, Any]:
        await self._part(sid, "left")
        return {"ok": True}

    async def on_report(self, sid: str, report: Any = None, *_: Any) -> dict[str, Any]:
        """``report`` {reason}: one of ``bans.REASONS``; a report without one is refused."""
        reason = report.get("reason") if isinstance(report, dict) else None
        if reason not in REASONS:
            return {"error": "say why you report them"}
        partner = await self.matcher.partner(sid)
        member = await self.matcher.member(partner) if partner else None
        if partner is None or member is None:
            return {"error": "nobody is connected to you"}
        await self.matcher.leave(sid)
        reporter = (await self.sio.get_session(sid))["ip_key"]
        ban = await self.bans.ban(member.ip_key, str(reason), reporter)
        await self.sio.emit("banned", self._banned_info(ban), to=partner)
        await self.sio.disconnect(partner)
        log.info("roulette_reported", ban_days=self.bans.length.days, reason=reason)
        return {"ok": True, "state": "reported", "ban_days": self.bans.length.days}
