"""The test phone: a built-in carrier whose phones are browser tabs (``/phone``).

While no carrier is configured, a newcomer can still hear every service. The test phone is a
second ``TelephonyEngine`` in this process, bound to 127.0.0.1 on a port of its own, and the
platform's engine knows it as one more trunk (``test-phone``) that carries exactly the test
phone's numbers (``fiction.py``). So a call to a test phone is real SIP over loopback: the
service asks the outbound gate, the platform's engine sends the INVITE, the test phone's engine
takes it, the tab rings (a message on its websocket), and when the tab answers, its WebRTC audio
is bridged to the call (``webrtc.Bridge``, as dial bridges a browser). A call from the tab is the
reverse: the test phone's own outbound gate sends the INVITE to the platform's engine, its only
trunk, where it arrives as an inbound call (an agent's number reaches the receptionist).

Each side trusts the other only from 127.0.0.1 and the other's own port. The tab may call only
numbers the platform itself answers, so nothing ever leaves this machine, and nothing is stored
here: lines and calls live in memory (the platform's engine writes its call records as for any
call).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ringfence.errors import Forbidden, InvalidInput, NotFound, RateLimited, RingfenceError
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.redact import mask_number
from ringfence.settings import CarrierSettings, Settings
from ringfence.telephony.calls import Call, CallEvent
from ringfence.telephony.dialing import Number, parse
from ringfence.telephony.engine import TelephonyEngine
from ringfence.telephony.fiction import PLATFORM_NUMBER, PREFIX
from ringfence.telephony.gate import Caller, OutboundGate
from ringfence.telephony.lines import Line, Lines, Notify
from ringfence.telephony.webrtc import Bridge

log = get_logger(__name__)
CARRIER = "test-phone"  # the platform's name for the test phone's trunk
PLATFORM = "platform"  # the test phone's name for the platform's engine
LOOPBACK = "127.0.0.1"
CALLS_PER_MINUTE = 10  # calls one tab may place in any minute (each may start an agent's work)
WILDCARDS = ("", "0.0.0.0", "::")
LENT_AS = "telephony.test_phone"  # the name job workers of this process find it by
HANDOVER_SECONDS = 10.0  # the longest a worker waits for the app's loop to trust its engine


@dataclass(eq=False)
class PhoneCall:
    """A call on a tab: the test phone's side of the SIP call and, once connected, its bridge."""

    line: Line
    call: Call
    direction: str  # in | out
    bridge: Bridge | None = None
    answering: bool = False

    @property
    def id(self) -> str:
        return self.call.id


class PlatformNumbers:
    """The test phone's right to call: the platform's own numbers only (an agent's, say), and
    it shows its own number, which it answers."""

    def __init__(self, platform: TelephonyEngine, own: str) -> None:
        self.platform = platform
        self.own = own

    async def permit(self, number: Number) -> None:
        if not self.platform.answers(number.e164):
            raise Forbidden(
                "the test phone calls this server's own numbers only (such as an agent's "
                "number); to hear ring or dial, call the test phone from them"
            )

    async def verified(self, e164: str) -> bool:
        return e164 == self.own


class TestPhone:
    """The built-in carrier and its lines."""

    __test__ = False  # a class named Test* that pytest must not collect

    def __init__(self, settings: Settings, platform: TelephonyEngine) -> None:
        self.settings = settings
        self.platform = platform
        self.engine = TelephonyEngine(
            _udp_only(settings), host=LOOPBACK, port=0, clock=platform.clock
        )
        self.lines = Lines(settings.telephony.test_phone)
        self.calls: dict[str, PhoneCall] = {}
        self._placed: dict[str, collections.deque[float]] = {}  # browser -> when it dialled
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Bind the test phone and make it the platform's trunk for its numbers; call before the
        platform's engine starts (it trusts the trunk from then on)."""
        self._loop = asyncio.get_running_loop()
        await self.engine.start()
        self._be_trunk_of(self.platform)

    def _be_trunk_of(self, engine: TelephonyEngine) -> None:
        """Make the test phone ``engine``'s built-in trunk for the test phone's numbers."""
        port = self.engine.local_port
        engine.add_builtin(
            CarrierSettings(
                name=CARRIER,
                host=LOOPBACK,
                port=port,
                prefixes=[PREFIX],
                inbound_sources=[f"{LOOPBACK}/32"],
                caller_id=PLATFORM_NUMBER,
            ),
            source_port=port,
        )
        engine.registrations[CARRIER] = "built in"  # nothing to register with

    def connect(self) -> None:
        """Once the platform's engine runs: make it the test phone's one trunk."""
        host = self.platform.host if self.platform.host not in WILDCARDS else LOOPBACK
        port = self.platform.local_port
        self.engine.add_builtin(
            CarrierSettings(name=PLATFORM, host=host, port=port, inbound_sources=[f"{host}/32"]),
            source_port=port,
        )

    async def serve(self, engine: TelephonyEngine) -> Callable[[], Awaitable[None]]:
        """Make the test phone a trunk of ``engine``, another engine of this process (a job
        worker's, on a thread and loop of its own, placing a campaign's or an evaluation's
        calls), and take its calls to the test phone's lines as the platform's; returns what
        ends that, for when the engine stops."""
        self._be_trunk_of(engine)
        port = engine.local_port
        name = f"{PLATFORM}:{port}"
        await self._on_own_loop(lambda: self.engine.trust_sender(name, port))

        async def end() -> None:
            await self._on_own_loop(lambda: self.engine.distrust(name))

        return end

    async def _on_own_loop(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the loop the test phone runs on (the app's) from any thread's loop:
        its engine is not safe to change from another thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if loop is asyncio.get_running_loop():
            work()
            return
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                work()
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)

        loop.call_soon_threadsafe(run)
        await asyncio.wait_for(asyncio.wrap_future(done), HANDOVER_SECONDS)

    async def stop(self) -> None:
        for phone_call in list(self.calls.values()):
            await phone_call.call.hangup()
        await self.engine.stop()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- lines ---------------------------------------------------------------------------------

    async def register(self, owner: str, ip: str, notify: Notify) -> Line:
        """A line for the browser ``owner``; the tab it replaces is told and its calls end."""
        line, replaced = self.lines.register(owner, ip, notify)
        if replaced is not None:
            await self._closed(replaced)
            with contextlib.suppress(Exception):  # that tab may be gone already
                await replaced.notify({"type": "replaced"})
        self.engine.route(line.number, self._incoming, service="test phone")
        log.info("test_phone_registered", number=mask_number(line.number), lines=len(self.lines))
        return line

    async def unregister(self, line: Line) -> None:
        if self.lines.release(line):
            await self._closed(line)

    async def _closed(self, line: Line) -> None:
        if self.lines.get(line.number) is None:
            self.engine.unroute(line.number)
        for phone_call in self._calls_of(line):
            await phone_call.call.hangup()

    def _calls_of(self, line: Line) -> list[PhoneCall]:
        return [c for c in self.calls.values() if c.line is line]

    # -- calls to a tab ------------------------------------------------------------------------

    async def _incoming(self, call: Call) -> None:
        line = self.lines.get(call.local)
        if line is None or self._calls_of(line):
            return  # gone, or on another call: the engine declines it
        phone_call = PhoneCall(line, call, "in")
        self.calls[call.id] = phone_call
        try:
            await line.notify({"type": "incoming", "call": call.id, "from": call.remote})
        except Exception:  # the tab went away as the call came in: it is declined
            await self._ended(phone_call)
            return
        try:
            await self._follow(phone_call)
        finally:
            await self._ended(phone_call)

    async def answer(self, line: Line, call_id: str, offer_sdp: str) -> None:
        """The tab answers a ringing call with its WebRTC offer; it is sent the SDP answer."""
        phone_call = self._mine(line, call_id)
        if phone_call.direction != "in" or phone_call.answering or phone_call.call.ended:
            raise Forbidden("this call is not ringing")
        phone_call.answering = True
        bridge = Bridge(phone_call.call)
        try:
            sdp = await bridge.answer(offer_sdp)
        except RingfenceError:
            phone_call.answering = False  # still ringing: the tab may try again
            await bridge.close()
            raise
        phone_call.bridge = bridge
        await line.notify({"type": "sdp", "call": call_id, "sdp": sdp})
        await phone_call.call.answer()

    # -- calls from a tab ----------------------------------------------------------------------

    async def dial(self, line: Line, raw: str, offer_sdp: str) -> None:
        """Call ``raw`` (one of this server's numbers) from the tab, which is sent the call's id
        and the SDP answer to its offer before anything else about the call."""
        self._live(line)
        if self._calls_of(line):
            raise Forbidden("hang up the call you are on first")
        self._count_call(line)
        number = parse(raw, "GB")  # the test phone's own country for a national number
        gate = OutboundGate(self.engine, None, self.platform.clock, self.settings)
        call = await gate.place(
            number,
            Caller("test phone"),
            PlatformNumbers(self.platform, line.number),
            present=line.number,
        )
        bridge = Bridge(call)
        phone_call = PhoneCall(line, call, "out", bridge=bridge)
        self.calls[call.id] = phone_call
        try:
            sdp = await bridge.answer(offer_sdp)
            await line.notify({"type": "sdp", "call": call.id, "sdp": sdp})
        except BaseException:
            await self._ended(phone_call)
            raise
        # Events waited in the call's queue until now: the tab knows the call first.
        task = asyncio.create_task(self._outgoing(phone_call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("test_phone_dialled", number=mask_number(line.number), to=call.masked_remote)

    async def _outgoing(self, phone_call: PhoneCall) -> None:
        try:
            await self._follow(phone_call)
        finally:
            await self._ended(phone_call)

    # -- during and after a call ---------------------------------------------------------------

    async def _follow(self, phone_call: PhoneCall) -> None:
        """Tell the tab how the call goes until it ends: with the keys the other side presses
        and its hold, so a newcomer sees them arrive."""
        async for event in phone_call.call.events():
            if event.kind == "answered" or (
                event.kind == "ringing" and phone_call.direction == "out"
            ):
                await self._tell(phone_call, {"state": event.kind})
            elif event.kind == "dtmf" and event.digit:
                await self._tell(phone_call, {"state": "dtmf", "digit": event.digit})
            elif event.kind in ("hold", "resumed") and event.by == "remote":
                await self._tell(phone_call, {"state": event.kind})
            elif event.kind == "ended":
                await self._tell(phone_call, _ended_message(event))

    async def _tell(self, phone_call: PhoneCall, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):  # the tab closed: its line is released anyway
            await phone_call.line.notify({"type": "state", "call": phone_call.id, **message})

    async def _ended(self, phone_call: PhoneCall) -> None:
        if not phone_call.call.ended:
            await phone_call.call.hangup()
        self.calls.pop(phone_call.id, None)
        if phone_call.bridge is not None:
            await phone_call.bridge.close()

    def _count_call(self, line: Line) -> None:
        now = self.engine.clock.monotonic()
        for owner in [o for o, times in self._placed.items() if now - times[-1] >= 60]:
            del self._placed[owner]  # a browser that placed nothing for a minute
        placed = self._placed.setdefault(line.owner, collections.deque())
        while placed and now - placed[0] >= 60:
            placed.popleft()
        if len(placed) >= CALLS_PER_MINUTE:
            raise RateLimited(f"a test phone places at most {CALLS_PER_MINUTE} calls a minute")
        placed.append(now)

    def _live(self, line: Line) -> None:
        if self.lines.get(line.number) is not line:
            raise Forbidden("this test phone was opened in another tab: use that one")

    def _mine(self, line: Line, call_id: str) -> PhoneCall:
        phone_call = self.calls.get(call_id)
        if phone_call is None or phone_call.line is not line:
            raise NotFound("no call of this test phone has this id")
        return phone_call

    async def hang_up(self, line: Line, call_id: str) -> None:
        await self._mine(line, call_id).call.hangup()

    def dtmf(self, line: Line, call_id: str, digit: str) -> None:
        phone_call = self._mine(line, call_id)
        if phone_call.call.answered_at is None:
            raise Forbidden("the call is not answered yet")
        try:
            phone_call.call.send_dtmf(digit)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None


def _udp_only(settings: Settings) -> Settings:
    """The platform's settings for the test phone's engine: UDP only, so it never takes the
    TCP or TLS port the operator gave the platform, and no trunk but the platform."""
    telephony = settings.telephony.model_copy(
        update={"tcp": False, "tls_port": None, "reuse_port": False, "carriers": []}
    )
    return settings.model_copy(update={"telephony": telephony})


def _ended_message(event: CallEvent) -> dict[str, Any]:
    return {"state": "ended", "reason": event.reason, "by": event.by or ""}


async def start_telephony(
    settings: Settings, privacy: Privacy
) -> tuple[TelephonyEngine | None, TestPhone | None]:
    """The app's engine and test phone, started: the engine when telephony is enabled or the
    test phone is the carrier (then on loopback only, on any free port); the test phone when it
    is switched on and no carrier is configured."""
    tel = settings.telephony
    if not (tel.enabled or tel.builtin_test_phone):
        return None, None
    where: dict[str, Any] = {} if tel.enabled else {"host": LOOPBACK, "port": 0}
    engine = TelephonyEngine(settings, privacy=privacy, **where)
    phone = TestPhone(settings, engine) if tel.builtin_test_phone else None
    try:
        if phone is not None:
            await phone.start()
        await engine.start()
    except BaseException:
        if phone is not None:
            await phone.stop()
        raise
    if phone is not None:
        phone.connect()
    return engine, phone
