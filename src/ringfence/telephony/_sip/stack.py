"""One transport with its UAS and UAC: how the engine places and takes calls."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from aiosipua import (
    IncomingCall,
    Registration,
    SdpNegotiationError,
    SipDigestAuth,
    SipRequest,
    negotiate_sdp,
)
from aiosipua.outgoing_call import OutgoingCall
from aiosipua.transport import TcpSipTransport, UdpSipTransport

from ringfence.telephony._sip.admission import Admit
from ringfence.telephony._sip.gated_uas import GatedUAS
from ringfence.telephony._sip.legs import InboundLeg, LegCallbacks, OutboundLeg
from ringfence.telephony._sip.media import DTMF_PT, Media, build_offer, info_digit
from ringfence.telephony._sip.ports import RtpPorts, shared
from ringfence.telephony._sip.transports import StreamTransport, UdpTransport
from ringfence.telephony._sip.uac import T1, TIMER_B, CarrierGradeUAC, RetransmittedRegistration


class SipStack:
    """One SIP transport (UDP or TCP) with a UAS for inbound requests and a UAC for outbound."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ports: RtpPorts,
        advertised: str | None,
        user_agent: str,
        on_inbound: Callable[[InboundLeg], None],
        on_remote_bye: Callable[[str], None],
        on_remote_cancel: Callable[[str], None],
        on_info_digit: Callable[[str, str], None],
        on_hold: Callable[[str, bool], None],
        on_session_expired: Callable[[str], None],
        session_expires: int | None = None,
        min_se: int = 90,
        transport: str = "udp",
        tls: tuple[ssl.SSLContext | None, ssl.SSLContext | None] = (None, None),
        reuse_port: bool = False,
        admit: Admit | None = None,
    ) -> None:
        """``admit`` decides on every request from outside a dialog (``_sip/admission.py``);
        without one every source is taken (a stack in a test of the stack alone)."""
        self.host = host
        self.advertised = advertised
        self.ports = ports  # shared by the UDP and TCP stacks: one RTP port, one call
        self.kind = transport
        self.transport: UdpSipTransport | TcpSipTransport
        if transport in ("tcp", "tls"):
            stream = StreamTransport(local_addr=(host, port))
            stream.reuse_port = reuse_port
            if transport == "tls":
                stream.via_token = "TLS"
                stream.server_ssl, stream.client_ssl = tls
            self.transport = stream
        else:
            datagrams = UdpTransport(local_addr=(host, port))
            datagrams.reuse_port = reuse_port
            self.transport = datagrams
        advertised_addr = (advertised, port) if advertised else None
        self.uac = CarrierGradeUAC(self.transport, advertised_addr=advertised_addr)
        self._timers: set[asyncio.Task[None]] = set()
        self.session_expires = session_expires
        self.uas = GatedUAS(
            self.transport,
            user_agent=user_agent,
            uac=self.uac,
            advertised_addr=advertised_addr,
            session_expires=session_expires,
            min_se=min_se,
        )
        # RFC 4028: when the peer stops refreshing, aiosipua sends BYE; we end the call.
        self.uas.on_session_expired = lambda call: on_session_expired(call.call_id)
        self._on_session_expired = on_session_expired
        self.user_agent = user_agent
        if admit is not None:
            self.uas.admit = admit
        self.uas.on_invite = lambda call: on_inbound(
            InboundLeg(self, call, self.uas.admitted.pop(call.call_id, ""))
        )
        self.uas.on_bye = lambda call, _request: on_remote_bye(call.call_id)
        self.uas.on_cancel = lambda request, _addr: on_remote_cancel(request.call_id or "")
        # aiosipua answers INFO with 405; carriers send DTMF that way (application/dtmf-relay).
        self.uas._handlers["INFO"] = self._handle_info
        self._on_info_digit = on_info_digit
        # Without an on_reinvite handler aiosipua leaves a re-INVITE unanswered: the carrier
        # retransmits and then drops the call. We answer it from the call's media.
        self.uas.on_reinvite = self._on_reinvite
        self._on_hold = on_hold
        self.media_by_call: dict[str, Media] = {}

    @property
    def local_port(self) -> int:
        return int(self.transport.local_addr[1])

    async def start(self) -> None:
        await self.uas.start()

    def register_media(self, call_id: str, session: Any, port: int, pt: int) -> Media:
        def forget() -> None:
            self.media_by_call.pop(call_id, None)

        media = Media(session, port, pt, on_close=forget)
        self.media_by_call[call_id] = media
        return media

    def _on_reinvite(self, call: IncomingCall) -> None:
        """RFC 3264 §8: answer a new offer on the same stream; sendonly/inactive is hold."""
        media = self.media_by_call.get(call.call_id)
        offer = call.sdp_offer
        if media is None or offer is None or offer.audio is None:
            call.reject(488, "Not Acceptable Here")
            return
        try:
            answer, _ = negotiate_sdp(
                offer,
                local_ip=self.host,
                rtp_port=media.port,
                supported_codecs=[media.payload_type],
                dtmf_payload_type=DTMF_PT,
                advertised_ip=self.advertised,
            )
        except SdpNegotiationError:
            call.reject(488, "Not Acceptable Here")
            return
        call.accept(answer)
        self._on_hold(call.call_id, offer.audio.direction in ("sendonly", "inactive"))

    def _handle_info(self, request: SipRequest, addr: tuple[str, int]) -> None:
        call_id = request.call_id or ""
        incoming = self.uas.get_call(call_id)
        outgoing = self.uac._calls.get(call_id)
        dialog = incoming.dialog if incoming else (outgoing.dialog if outgoing else None)
        if dialog is None:
            self.uas._send_error(request, 481, "Call/Transaction Does Not Exist")
            return
        self.transport.send_reply(dialog.create_response(request, 200, "OK"))
        digit = info_digit(request.headers.get_first("Content-Type") or "", request.text)
        if digit is not None:
            self._on_info_digit(call_id, digit)

    async def ensure_connected(self, remote: tuple[str, int]) -> None:
        """Over TCP, open the connection to ``remote`` once; a no-op over UDP."""
        if (
            isinstance(self.transport, TcpSipTransport)
            and remote not in self.transport._connections
        ):
            await self.transport.connect(remote)

    def spawn_timer(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    def registration(
        self,
        *,
        aor: str,
        registrar: tuple[str, int],
        username: str | None,
        password: str | None,
        expires: int,
        on_change: Callable[[str, int, str], None],
    ) -> Registration:
        """Register ``aor`` and keep it refreshed; ``on_change(state, status, reason)``."""
        auth = SipDigestAuth(username, password) if username and password else None
        reg = RetransmittedRegistration(
            self, aor, registrar, expires=expires, auth=auth, user_agent=self.user_agent
        )
        reg.on_registered = lambda r: on_change("registered", 200, "")
        reg.on_failed = lambda r, status, reason: on_change("failed", status, reason)
        reg.on_expired = lambda r: on_change("expired", 0, "")
        reg.register()
        return reg

    async def unregister(self, reg: Registration, grace: float = 2.0) -> bool:
        """Remove the binding; True once the registrar confirmed it within ``grace`` seconds."""
        assert isinstance(reg, RetransmittedRegistration)
        try:
            async with asyncio.timeout(grace):
                while reg.state.value != "unregistered":
                    reg.answered.clear()
                    if reg.state.value != "unregistered" and not reg._unregistering:
                        reg.unregister()
                    await reg.answered.wait()
                    if reg.state.value == "failed":
                        return False
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        for task in list(self._timers):
            task.cancel()
        await asyncio.gather(*self._timers, return_exceptions=True)
        await self.uas.stop()

    async def retransmit_invite(self, call: OutgoingCall, remote: tuple[str, int]) -> None:
        """Timer A for a re-INVITE: its answer's absence is the waiter's to handle."""
        await self._timer_a(call, remote, lambda: None)

    async def _timer_a(
        self, call: OutgoingCall, remote: tuple[str, int], on_timeout: Callable[[], None]
    ) -> None:
        """Retransmit the current INVITE until a response to it arrives (or Timer B fires)."""
        interval, waited = T1, 0.0
        while waited < TIMER_B:
            await asyncio.sleep(interval)
            waited += interval
            invite = call.invite
            sent_cseq = invite.cseq.seq if invite.cseq else 0
            if (call.call_id, sent_cseq) not in self.uac.invites:
                return  # the call has ended and its state was dropped
            if self.uac.answered_cseq.get(call.call_id, 0) >= sent_cseq:
                return
            self.transport.send(invite, remote)
            interval = min(interval * 2, 4.0)  # T2 caps non-INVITE only; keep it gentle
        if self.uac.answered_cseq.get(call.call_id, 0) == 0:
            on_timeout()
        self.uac.timed_out(call.call_id)

    async def invite(
        self,
        *,
        from_uri: str,
        to_uri: str,
        remote: tuple[str, int],
        callbacks: LegCallbacks,
        username: str | None = None,
        password: str | None = None,
        codecs: tuple[str, ...] = ("PCMU", "PCMA"),
        media_to_signalling_source: bool = False,
    ) -> OutboundLeg:
        if (
            isinstance(self.transport, TcpSipTransport)
            and remote not in self.transport._connections
        ):
            await self.transport.connect(remote)
        port = self.ports.allocate(self.host)
        try:
            offer = build_offer(self.host, port, self.advertised, codecs)
            auth = SipDigestAuth(username, password) if username and password else None
            # aiosipua stamps the RFC 4028 headers on the INVITE after sending it, so the first
            # transmission would go without them; set them up front (it sets them again).
            timer_headers = (
                {"Supported": "100rel, timer", "Session-Expires": str(self.session_expires)}
                if self.session_expires
                else None
            )
            call = self.uac.send_invite(
                from_uri,
                to_uri,
                remote,
                offer,
                extra_headers=timer_headers,
                auth=auth,
                user_agent=self.user_agent,
                session_expires=self.session_expires,
            )
        except BaseException:
            self.ports.release(port)
            raise
        call.on_session_expired = lambda c: self._on_session_expired(c.call_id)
        self.uac.on_trying[call.call_id] = callbacks.trying
        call.on_ringing = lambda _c: callbacks.ringing()
        call.on_answer = lambda _c: callbacks.answered()
        call.on_rejected = lambda _c, code, reason: callbacks.rejected(code, reason)
        self.uac.remember(call, remote)
        if self.kind == "udp":  # TCP is reliable: no retransmission (RFC 3261 §17.1.1.2)
            self.spawn_timer(
                self._timer_a(call, remote, lambda: callbacks.rejected(408, "Request Timeout"))
            )
        return OutboundLeg(self, call, port, remote, media_to_signalling_source)


async def resolve(host: str, port: int) -> tuple[str, int]:
    """A SIP peer's address as an IP, resolved without blocking the loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=2)  # SOCK_DGRAM
    return str(infos[0][4][0]), int(infos[0][4][1])


def port_allocator(low: int, high: int) -> RtpPorts:
    """The process's one allocator for the range, shared by every engine, thread and loop."""
    return shared(low, high)
