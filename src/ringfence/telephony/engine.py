"""The telephony engine: one SIP stack and one media clock per process, and the calls on them.

Outbound: ``_place_call``, called only by ``gate.OutboundGate`` (which applies the dialling policy,
the caller's right, the limits and the caller-ID rule first), picks a trunk by prefix (or ``via``),
sends the INVITE, rings for at most ``ring_timeout`` (then CANCEL), and cuts the call at
``max_duration``. Inbound: the dialled number
selects a handler registered with ``route``; a number nobody handles is answered ``404``. Either
way the call ends exactly once, with a SIP status and a Q.850 cause, and leaves a call record.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ringfence import __version__
from ringfence.clock import Clock, SystemClock
from ringfence.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    RingfenceError,
    ServiceUnavailable,
)
from ringfence.ip_tags import IpTags
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.settings import CarrierSettings, Settings
from ringfence.telephony import carriers, recording
from ringfence.telephony._sip import (
    InboundLeg,
    InboundRequest,
    LegCallbacks,
    NoRtpPort,
    OutboundLeg,
    Refusal,
    SipStack,
    port_allocator,
    resolve,
    tls_contexts,
)
from ringfence.telephony.calls import Q850, Call, CallEvent, CallState, EndReason
from ringfence.telephony.clock import MediaClock
from ringfence.telephony.inbound import InboundGate, TrustedTrunk, networks
from ringfence.telephony.models import CallRecord
from ringfence.telephony.privacy import RECORDING

log = get_logger(__name__)
InboundHandler = Callable[[Call], Awaitable[None]]
STOP_GRACE = 5.0


class CallFailed(RingfenceError):
    code = "call_failed"
    http_status = 502


def _reason_for(status: int) -> EndReason:
    if status in (486, 600):
        return EndReason.BUSY
    if status in (408, 480):
        return EndReason.NO_ANSWER
    if status == 487:
        return EndReason.CANCELLED
    return EndReason.REJECTED


class TelephonyEngine:
    def __init__(
        self,
        settings: Settings,
        *,
        privacy: Privacy | None = None,
        clock: Clock | None = None,
        port: int | None = None,
        host: str | None = None,
        outbound_only: bool = False,
    ) -> None:
        """``privacy``: the app's privacy core, whose store keeps each call's record and
        recording (without it, calls leave nothing). ``outbound_only``: an engine that only
        places calls (a job worker's): it never registers with a trunk, which would move the
        trunk's inbound calls to it. The clock is the privacy core's unless one is given.
        ``host`` and ``port``: where SIP binds instead of the settings' (an engine on loopback
        only, for the test phone, advertises nothing else)."""
        self.settings = settings
        self.outbound_only = outbound_only
        self.tel = settings.telephony
        self.host = host or self.tel.sip_host
        self.advertised = None if host else self.tel.advertised_host
        self._builtins: list[CarrierSettings] = []
        self.builtin: set[str] = set()
        self._source_ports: dict[str, int] = {}  # built-in carrier -> the one port it sends from
        self._answering: set[str] = set()  # outbound calls answered, their media opening
        self._hung_up_answering: set[str] = set()  # of those, the ones the callee hung up
        self.privacy = privacy
        self.db = privacy.db if privacy is not None else None
        self.clock = clock or (privacy.clock if privacy is not None else SystemClock())
        self._port = self.tel.sip_port if port is None else port
        self.media_clock = MediaClock()
        self._stacks: dict[str, SipStack] = {}
        self._calls: dict[str, Call] = {}  # by SIP Call-ID
        self._legs: dict[str, OutboundLeg | InboundLeg] = {}
        self._routes: dict[str, tuple[str, InboundHandler]] = {}
        self._default: tuple[str, InboundHandler] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._registrations: dict[str, Any] = {}
        self._early_opening: set[str] = set()
        self.registrations: dict[str, str] = {}  # trunk name -> registering|registered|failed...
        self._registration_changed = asyncio.Event()
        self._key = settings.signing_key()
        self._gate: InboundGate | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def carriers(self) -> list[CarrierSettings]:
        """The configured trunks, then any built-in one (the test phone's, on loopback)."""
        return [*self.tel.carriers, *self._builtins]

    @property
    def running(self) -> bool:
        return bool(self._stacks)

    @property
    def local_port(self) -> int:
        """The UDP SIP port."""
        return self._require("udp").local_port

    @property
    def tcp_port(self) -> int:
        return self._require("tcp").local_port

    @property
    def tls_port(self) -> int:
        return self._require("tls").local_port

    def _new_stack(self, kind: str, port: int, ports: Any) -> SipStack:
        return SipStack(
            self.host,
            port,
            ports=ports,
            advertised=self.advertised,
            user_agent=f"ringfence/{__version__}",
            on_inbound=self._on_inbound,
            on_remote_bye=self._on_remote_bye,
            on_remote_cancel=self._on_remote_cancel,
            on_info_digit=self._on_info_digit,
            on_hold=self._on_hold,
            on_session_expired=self._on_session_expired,
            session_expires=self.tel.session_expires,
            min_se=self.tel.min_se,
            transport=kind,
            tls=self._tls_contexts() if kind == "tls" else (None, None),
            reuse_port=self.tel.reuse_port,
            admit=self._admit,
        )

    def _tls_contexts(self) -> tuple[Any, Any]:
        tel = self.tel
        try:
            return tls_contexts(
                str(tel.tls_cert) if tel.tls_cert else None,
                str(tel.tls_key) if tel.tls_key else None,
                str(tel.tls_ca) if tel.tls_ca else None,
            )
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"invalid TLS certificate or key: {exc}") from None

    async def start(self) -> None:
        if self._stacks:
            return
        self._gate = InboundGate(
            await self._trusted_trunks(),
            per_minute=self.tel.inbound_invites_per_minute,
            key=self._key,
            clock=self.clock,
            tags=IpTags(self.settings.ensure_data_dir() / "logs", self.clock),
        )
        ports = port_allocator(self.tel.rtp_port_min, self.tel.rtp_port_max)
        udp = self._new_stack("udp", self._port, ports)
        await udp.start()
        self._stacks["udp"] = udp
        if self.tel.tcp or any(c.transport == "tcp" for c in self.carriers):
            # Same port number as UDP when one was configured (RFC 3263 callers expect it).
            tcp = self._new_stack("tcp", self._port and udp.local_port, ports)
            await tcp.start()
            self._stacks["tcp"] = tcp
        if self.tel.tls_port is not None or any(c.transport == "tls" for c in self.carriers):
            if self.tel.tls_port is not None and not (self.tel.tls_cert and self.tel.tls_key):
                raise ConfigurationError(
                    "RINGFENCE_TELEPHONY__TLS_PORT needs RINGFENCE_TELEPHONY__TLS_CERT and _KEY"
                )
            tls = self._new_stack("tls", self.tel.tls_port or 0, ports)
            await tls.start()
            self._stacks["tls"] = tls
        for carrier in self.carriers:
            if carrier.registers and not self.outbound_only:
                await self._register(self._stacks[carrier.transport], carrier)
        self.media_clock.start()
        log.info("sip_started", host=self.host, transports=sorted(self._stacks))

    async def _trusted_trunks(self) -> list[TrustedTrunk]:
        """Each trunk's inbound networks: its ``inbound_sources``, or the addresses its host
        resolves to now (a trunk configured before issue 17 keeps taking its calls)."""
        loop = asyncio.get_running_loop()
        trunks = []
        for carrier in self.carriers:
            if carrier.name in self.builtin:
                trunks.append(self._builtin_trunk(carrier))
                continue
            sources = carrier.inbound_sources
            if not sources:
                try:
                    infos = await loop.getaddrinfo(carrier.host, carrier.port, type=2)
                except OSError as exc:
                    log.warning("trunk_unresolved", trunk=carrier.name, error=str(exc))
                    infos = []
                sources = sorted({str(info[4][0]) for info in infos})
            password = carrier.inbound_password
            trunks.append(
                TrustedTrunk(
                    name=carrier.name,
                    networks=networks(sources),
                    username=carrier.inbound_username,
                    password=password.get_secret_value() if password else None,
                )
            )
        return trunks

    def _builtin_trunk(self, carrier: CarrierSettings) -> TrustedTrunk:
        return TrustedTrunk(
            name=carrier.name,
            networks=networks(carrier.inbound_sources),
            port=self._source_ports[carrier.name],
        )

    def add_builtin(self, carrier: CarrierSettings, *, source_port: int) -> None:
        """A carrier inside this process (the test phone, or the platform as the test phone
        sees it): calls go to it by its prefixes like any trunk's, and its calls in are taken
        only from its ``inbound_sources`` and the one port it sends from."""
        self._builtins.append(carrier)
        self.builtin.add(carrier.name)
        self._source_ports[carrier.name] = source_port
        if self._gate is not None:
            self._gate.trust(self._builtin_trunk(carrier))

    def trust_sender(self, name: str, port: int) -> None:
        """Take calls from another engine of this process that sends from port ``port`` of
        127.0.0.1 (a job worker's, calling the test phone), under ``name``, without routing any
        call to it; ``distrust(name)`` ends it."""
        if self._gate is None:
            raise ServiceUnavailable("this telephony engine is not running")
        self._gate.trust(TrustedTrunk(name=name, networks=networks(["127.0.0.1/32"]), port=port))

    def distrust(self, name: str) -> None:
        if self._gate is not None:
            self._gate.distrust(name)

    def _admit(self, request: InboundRequest) -> str | Refusal:
        if self._gate is None:
            return Refusal(503, "Service Unavailable")
        return self._gate(request)

    def inbound_refusals(self) -> dict[str, int]:
        """Inbound requests refused (or challenged) since start, by reason."""
        return dict(self._gate.refused) if self._gate is not None else {}

    def _carrier(self, name: str) -> CarrierSettings | None:
        return next((c for c in self.carriers if c.name == name), None)

    async def _register(self, stack: SipStack, carrier: CarrierSettings) -> None:
        def changed(state: str, status: int, reason: str) -> None:
            self.registrations[carrier.name] = state
            self._registration_changed.set()
            self._registration_changed = asyncio.Event()
            log.info("trunk_registration", trunk=carrier.name, state=state, status=status)

        self.registrations[carrier.name] = "registering"
        user = carrier.username or "ringfence"
        try:
            await stack.ensure_connected((carrier.host, carrier.port))
        except OSError as exc:
            changed("failed", 0, str(exc))
            return
        self._registrations[carrier.name] = stack.registration(
            aor=f"sip:{user}@{carrier.host}",
            registrar=(carrier.host, carrier.port),
            username=carrier.username,
            password=carrier.password.get_secret_value() if carrier.password else None,
            expires=carrier.register_expires,
            on_change=changed,
        )

    async def wait_registration(self, trunk: str) -> str:
        """The trunk's registration state once it is no longer "registering"."""
        while self.registrations.get(trunk) == "registering":
            await self._registration_changed.wait()
        return self.registrations.get(trunk, "not configured")

    async def stop(self) -> None:
        for name, reg in list(self._registrations.items()):
            carrier = next(c for c in self.carriers if c.name == name)
            stack = self._stacks.get(carrier.transport)
            if stack is not None and self.registrations.get(name) == "registered":
                ok = await stack.unregister(reg)
                self.registrations[name] = "unregistered" if ok else "unregister_failed"
        self._registrations.clear()
        for call in list(self._calls.values()):
            await self.hangup(call)
        try:
            # Ended calls still close media and write records: let them finish, briefly.
            await asyncio.wait_for(self.idle(), STOP_GRACE)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.media_clock.stop()
        for stack in self._stacks.values():
            await stack.stop()
        self._stacks.clear()

    async def idle(self) -> None:
        """Wait until the background work of ended calls (media close, call records) is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _require(self, kind: str = "udp") -> SipStack:
        stack = self._stacks.get(kind)
        if stack is None:
            if not self._stacks:
                raise ServiceUnavailable(
                    "the SIP engine is not running (RINGFENCE_TELEPHONY__ENABLED)"
                )
            raise ServiceUnavailable(f"SIP over {kind} is not enabled (RINGFENCE_TELEPHONY__TCP)")
        return stack

    # -- routing -------------------------------------------------------------------------------

    def route(self, number: str | None, handler: InboundHandler, *, service: str) -> None:
        """Send calls to ``number`` (E.164 or a SIP user part; None: every other number)."""
        if number is None:
            self._default = (service, handler)
        else:
            self._routes[number] = (service, handler)

    def unroute(self, number: str) -> None:
        """Calls to ``number`` go where unrouted numbers go again (``404`` without a default)."""
        self._routes.pop(number, None)

    def answers(self, number: str) -> bool:
        """Whether a handler takes calls to ``number`` itself (not the default's)."""
        return number in self._routes

    # -- outbound ------------------------------------------------------------------------------

    async def _place_call(
        self,
        to: str,
        *,
        from_: str | None = None,
        via: str | None = None,
        service: str = "platform",
        ring_timeout: float | None = None,
        max_duration: float | None = None,
    ) -> Call:
        e164 = carriers.normalise(to)
        route = carriers.parse_via(via) if via else carriers.choose(self.carriers, e164)
        stack = self._require(route.transport)
        caller = from_ or route.caller_id or "anonymous"
        if from_ is not None:
            caller = carriers.normalise(from_)
        try:
            remote = await resolve(*(route.proxy or (route.host, route.port)))
        except OSError as exc:
            raise CallFailed(f"cannot resolve carrier {route.name}: {exc}") from None
        call = Call(
            clock=self.clock,
            id=uuid.uuid4().hex,
            direction="outbound",
            remote=e164,
            local=caller,
            service=service,
            started_at=self.clock.now(),
        )
        call.control = self
        local_host = self.advertised or self.host
        callbacks = LegCallbacks(
            trying=lambda: call.emit(CallEvent("trying", self.clock.now(), status=100)),
            ringing=lambda: self._on_ringing(call),
            answered=lambda: self._answer_arrived(call, max_duration),
            rejected=lambda status, reason: self._end(
                call, _reason_for(status), status=status, by="remote", text=reason
            ),
        )
        try:
            leg = await stack.invite(
                from_uri=f"sip:{caller}@{local_host}",
                to_uri=f"sip:{e164}@{route.host}",
                remote=remote,
                callbacks=callbacks,
                username=route.username,
                password=route.password,
                codecs=route.codecs,
                media_to_signalling_source=route.media_to_signalling_source,
            )
        except NoRtpPort as exc:
            log.error("rtp_ports_exhausted", error=str(exc))
            raise CallFailed("no RTP port is free for the call's media") from None
        except OSError as exc:
            raise CallFailed(f"cannot reach carrier {route.name}: {exc}") from None
        call.carrier = route.name
        self._calls[leg.call_id] = call
        self._legs[leg.call_id] = leg
        call.sip_call_id = leg.call_id
        call.emit(CallEvent("dialling", self.clock.now()))
        log.info("call_dialling", call=call.id, to=call.masked_remote, carrier=route.name)
        self._spawn(self._ring_timer(call, leg, ring_timeout or self.tel.ring_timeout))
        return call

    def _on_ringing(self, call: Call) -> None:
        if call.state is CallState.DIALLING:
            call.state = CallState.RINGING
            call.emit(CallEvent("ringing", self.clock.now(), status=180))
        leg = self._legs.get(call.sip_call_id)
        if (
            isinstance(leg, OutboundLeg)
            and leg.has_early_media
            and call.media is None
            and call.id not in self._early_opening  # one early stream, even if 183s repeat
        ):
            self._early_opening.add(call.id)
            self._spawn(self._open_early_media(call, leg))

    async def _open_early_media(self, call: Call, leg: OutboundLeg) -> None:
        try:
            media = await leg.open_media(early=True)
        except (ValueError, OSError) as exc:
            log.warning("early_media_failed", call=call.id, error=str(exc))
            return
        finally:
            self._early_opening.discard(call.id)
        if call.ended or call.media is not None:  # ended, or answered while we opened
            await media.close()
            return
        call.media = media
        media.on_audio(call.receive_frame)
        call.emit(CallEvent("early_media", self.clock.now(), status=183))

    async def _ring_timer(self, call: Call, leg: OutboundLeg, ring_for: float) -> None:
        try:
            await asyncio.wait_for(call.wait_answered(), ring_for)
        except TimeoutError:
            if not call.ended and call.id not in self._answering:  # not while the 2xx connects
                leg.cancel()
                self._end(call, EndReason.NO_ANSWER, status=487, by="local")

    def _answer_arrived(self, call: Call, max_duration: float | None) -> None:
        """The 2xx to our INVITE: the call is answered once its media is open. A BYE that
        comes meanwhile (the callee picked up and hung up at once, or our loop was slow to open
        the media) ends it after that, so the call still counts as answered."""
        self._answering.add(call.id)
        self._spawn(self._on_answered(call, max_duration))

    async def _on_answered(self, call: Call, max_duration: float | None) -> None:
        try:
            await self._connect_answered(call, max_duration)
        finally:
            self._answering.discard(call.id)
        if call.id in self._hung_up_answering:
            self._hung_up_answering.discard(call.id)
            self._end(call, EndReason.COMPLETED, status=200, by="remote")

    async def _connect_answered(self, call: Call, max_duration: float | None) -> None:
        leg = self._legs.get(call.sip_call_id)
        if call.ended or not isinstance(leg, OutboundLeg):
            return
        try:
            early = call.media
            # An early-media stream that the answer keeps carries on as the call's media.
            if early is None or not leg.media_matches_answer(early):
                if early is not None:
                    await early.close()
                media = await leg.open_media()
                if call.ended:  # ended from our side while the media opened: nothing to carry
                    await media.close()
                    return
                call.media = media
        except (ValueError, OSError) as exc:
            # The callee has picked up and hears nothing: a failure of its own kind, which a
            # service must not take for an unanswered call and ring again.
            log.warning("call_media_failed", call=call.id, error=str(exc))
            leg.hangup()
            self._end(call, EndReason.MEDIA_FAILED, status=488, by="local", text=str(exc))
            return
        self._connected(call, max_duration)

    def _connected(self, call: Call, max_duration: float | None) -> None:
        assert call.media is not None
        call.media.on_audio(call.receive_frame)
        call.media.on_dtmf(
            lambda digit: call.emit(CallEvent("dtmf", self.clock.now(), digit=digit))
        )
        call.state = CallState.ANSWERED
        call.answered_at = self.clock.now()
        self.media_clock.add(call)
        call.emit(CallEvent("answered", call.answered_at, status=200))
        log.info("call_answered", call=call.id, codec=call.media.codec)
        self._spawn(self._max_duration(call, max_duration or self.tel.max_duration))

    async def _max_duration(self, call: Call, limit: float) -> None:
        try:
            await asyncio.wait_for(call.wait_ended(), limit)
        except TimeoutError:
            await self.hangup(call, reason=EndReason.MAX_DURATION)

    # -- inbound -------------------------------------------------------------------------------

    def _on_inbound(self, leg: InboundLeg) -> None:
        dialled = leg.callee_user
        try:
            remote = carriers.normalise(leg.caller_user)
        except InvalidInput:
            remote = leg.caller_user
        target = self._routes.get(dialled) or self._default
        call = Call(
            clock=self.clock,
            id=uuid.uuid4().hex,
            direction="inbound",
            remote=remote,
            local=dialled,
            service=target[0] if target else "none",
            started_at=self.clock.now(),
        )
        call.control = self
        call.sip_call_id = leg.call_id
        self._calls[leg.call_id] = call
        self._legs[leg.call_id] = leg
        call.emit(CallEvent("dialling", self.clock.now()))
        if target is None:
            leg.reject(404, "Not Found")
            self._end(call, EndReason.REJECTED, status=404, by="local")
            return
        leg.ringing()
        self._on_ringing(call)
        self._spawn(self._run_handler(call, target[1]))

    async def _run_handler(self, call: Call, handler: InboundHandler) -> None:
        try:
            await handler(call)
        except Exception:
            log.exception("call_handler_failed", call=call.id)
        finally:
            if not call.ended:
                await self.hangup(call)

    async def answer(self, call: Call, *, max_duration: float | None = None) -> None:
        leg = self._legs.get(call.sip_call_id)
        if call.ended or not isinstance(leg, InboundLeg):
            raise InvalidInput("only a ringing inbound call can be answered")
        carrier = self._carrier(leg.trunk)
        to_source = carrier is not None and carrier.media_to_signalling_source
        try:
            call.media = await leg.answer(media_to_signalling_source=to_source)
        except (ValueError, OSError) as exc:
            self._end(call, EndReason.FAILED, status=488, by="local", text=str(exc))
            raise CallFailed(f"cannot answer: {exc}") from None
        self._connected(call, max_duration)

    def _on_remote_bye(self, sip_call_id: str) -> None:
        call = self._calls.get(sip_call_id)
        if call is None:
            return
        if call.id in self._answering:
            self._hung_up_answering.add(call.id)  # ended once its answer is connected
            return
        self._end(call, EndReason.COMPLETED, status=200, by="remote")

    def _on_info_digit(self, sip_call_id: str, digit: str) -> None:
        call = self._calls.get(sip_call_id)
        if call is not None and not call.ended:
            call.emit(CallEvent("dtmf", self.clock.now(), digit=digit))

    def _on_hold(self, sip_call_id: str, hold: bool) -> None:
        call = self._calls.get(sip_call_id)
        if call is None or call.ended or call.on_hold == hold:
            return
        call.on_hold = hold
        call.emit(CallEvent("hold" if hold else "resumed", self.clock.now(), by="remote"))

    async def hold(self, call: Call, on: bool) -> None:
        """Our hold (``on``) or its end, by re-INVITE (RFC 3264 §8.4). Towards a party that
        holds us already, hold is ``inactive`` and its end ``recvonly``; otherwise ``sendonly``
        and ``sendrecv``. A refused re-INVITE leaves the call as it was (RFC 3261 §14.1)."""
        leg = self._legs.get(call.sip_call_id)
        if call.ended or call.state is not CallState.ANSWERED or leg is None:
            raise Conflict("the call is not connected")
        if not isinstance(leg, OutboundLeg):
            raise InvalidInput("only a call this server placed can be put on hold")
        if call.held == on:
            return
        if on:
            direction = "inactive" if call.on_hold else "sendonly"
        else:
            direction = "recvonly" if call.on_hold else "sendrecv"
        try:
            status = await leg.reoffer(direction)
        except RuntimeError as exc:
            raise Conflict(str(exc)) from None
        if call.ended:
            raise Conflict("the call ended")
        if not 200 <= status < 300:
            raise CallFailed(f"the other side refused the change (SIP {status})")
        call.held = on
        call.emit(CallEvent("hold" if on else "resumed", self.clock.now(), by="local"))
        log.info("call_held" if on else "call_resumed", call=call.id, direction=direction)

    def _on_session_expired(self, sip_call_id: str) -> None:
        call = self._calls.get(sip_call_id)
        if call is not None:
            self._end(call, EndReason.SESSION_EXPIRED, status=408, by="local")

    def _on_remote_cancel(self, sip_call_id: str) -> None:
        call = self._calls.get(sip_call_id)
        if call is not None:
            self._end(call, EndReason.CANCELLED, status=487, by="remote")

    # -- ending --------------------------------------------------------------------------------

    async def hangup(self, call: Call, *, reason: EndReason = EndReason.COMPLETED) -> None:
        """End the call from our side: BYE when answered, CANCEL or 603 before."""
        if call.ended:
            return
        leg = self._legs.get(call.sip_call_id)
        if call.state is CallState.ANSWERED:
            if leg is not None:
                leg.hangup()
            self._end(call, reason, status=200, by="local")
        elif isinstance(leg, OutboundLeg):
            leg.cancel()
            self._end(call, EndReason.CANCELLED, status=487, by="local")
        else:
            if isinstance(leg, InboundLeg):
                leg.reject(603, "Decline")
            self._end(call, EndReason.REJECTED, status=603, by="local")

    def _end(self, call: Call, reason: EndReason, *, status: int, by: str, text: str = "") -> None:
        if call.ended:
            return
        call.state = CallState.ENDED
        call.ended_at = self.clock.now()
        call.status = status
        call.end_reason = reason
        call.ended_by = by
        q850 = 16 if status == 200 else Q850.get(status, 31)
        call.emit(
            CallEvent(
                "ended",
                call.ended_at,
                status=status,
                reason=reason.value,
                by=by,
                q850=q850,
                detail=text[:200],
            )
        )
        self.media_clock.remove(call)
        sip_id = call.sip_call_id
        leg = self._legs.pop(sip_id, None)
        self._calls.pop(sip_id, None)
        self._spawn(self._cleanup(call, leg))
        log.info(
            "call_ended",
            call=call.id,
            remote=call.masked_remote,
            reason=reason.value,
            status=status,
            by=by,
            detail=text[:80],
        )

    async def _cleanup(self, call: Call, leg: OutboundLeg | InboundLeg | None) -> None:
        if isinstance(leg, OutboundLeg):
            leg.forget()
        if call.media is not None:
            await call.media.close()
        if leg is not None:
            leg.release()
        if self.db is not None:
            await self._record(call)
            if call.store_recording and call.recorder is not None and call.recorder.seconds > 0:
                await self._store_recording(call)

    async def _store_recording(self, call: Call) -> None:
        privacy = self.privacy
        assert privacy is not None and call.recorder is not None
        call.recording = await recording.store(
            call.recorder,
            call_id=call.id,
            subject_ref=phone_ref(call.remote, self._key),
            category=privacy.inventory[RECORDING],
            vault=privacy.vault,
            db=privacy.db,
            data_dir=self.settings.ensure_data_dir(),
        )
        log.info("call_recorded", call=call.id, seconds=round(call.recorder.seconds, 1))

    async def _record(self, call: Call) -> None:
        assert self.db is not None
        async with self.db.session() as session:
            session.add(
                CallRecord(
                    id=call.id,
                    direction=call.direction,
                    service=call.service,
                    carrier=call.carrier,
                    subject_ref=phone_ref(call.remote, self._key),
                    remote_masked=call.masked_remote,
                    started_at=call.started_at,
                    answered_at=call.answered_at,
                    ended_at=call.ended_at,
                    status=call.status,
                    end_reason=call.end_reason.value if call.end_reason else None,
                    ended_by=call.ended_by,
                    duration=call.duration,
                )
            )

    def active_calls(self) -> list[Call]:
        return list(self._calls.values())

    # -- status --------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "sip": f"{self.host}:{self.local_port}" if self.running else None,
            "tcp": f"{self.host}:{self.tcp_port}" if "tcp" in self._stacks else None,
            "tls": f"{self.host}:{self.tls_port}" if "tls" in self._stacks else None,
            "carriers": [
                {
                    "name": c.name,
                    "host": c.host,
                    "port": c.port,
                    "prefixes": c.prefixes,
                    "builtin": c.name in self.builtin,
                }
                for c in self.carriers
            ],
            "registrations": dict(self.registrations),
            "calls": [
                {
                    "id": c.id,
                    "direction": c.direction,
                    "remote": c.masked_remote,
                    "state": c.state.value,
                    "service": c.service,
                    "seconds": round(c.duration, 1),
                }
                for c in self._calls.values()
            ],
            "media_ticks": self.media_clock.ticks,
        }
