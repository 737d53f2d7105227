"""The only module that imports the SIP and RTP libraries (aiosipua, aiortp).

Everything above it sees ``SipStack``, ``OutboundLeg``, ``InboundLeg`` and ``Media``: signalling
legs with plain callbacks, and an RTP stream that takes and gives 20 ms PCM frames. Replacing the
libraries means rewriting this file only.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiortp
from aiortp.port_allocator import PortAllocator
from aiosipua import (
    Codec,
    IncomingCall,
    Registration,
    SdpNegotiationError,
    SipDigestAuth,
    SipMessage,
    SipRequest,
    SipResponse,
    SipUAC,
    SipUAS,
    build_sdp,
    negotiate_sdp,
    parse_sdp,
)
from aiosipua.outgoing_call import OutgoingCall
from aiosipua.rtp_bridge import CallSession
from aiosipua.transport import TcpSipTransport, UdpSipTransport, _UdpProtocol

SUPPORTED_PAYLOADS = [0, 8]  # PCMU, PCMA
CODEC_NAMES = {0: "PCMU", 8: "PCMA"}
DTMF_PT = 101


class Media:
    """One call's RTP stream: ``send`` a 20 ms PCM frame; frames and digits arrive by callback."""

    def __init__(
        self,
        session: Any,
        port: int,
        allocator: PortAllocator,
        pt: int,
        on_close: Callable[[], None] = lambda: None,
    ) -> None:
        self._session = session
        self._port = port
        self._on_close = on_close
        self._allocator = allocator
        self.payload_type = pt
        self.codec = CODEC_NAMES.get(pt, str(pt))
        self._closed = False
        self._last_dtmf: int | None = None

    def on_audio(self, callback: Callable[[bytes], None]) -> None:
        self._session.on_audio = lambda pcm, _ts: callback(pcm)

    def on_dtmf(self, callback: Callable[[str], None]) -> None:
        self._session.on_dtmf = lambda digit, _duration: callback(digit)

    def send(self, frame: bytes) -> None:
        if not self._closed:
            self._session.send_audio_pcm_auto(frame)

    def send_dtmf(self, digit: str, duration_ms: int = 160) -> None:
        if self._closed:
            return
        # aiortp stamps every event with timestamp 0 unless told otherwise, so a receiver takes a
        # second digit for a repeat of the first (RFC 4733 §2.5.1.1: the timestamp identifies
        # the event). Stamp each event with the stream's current media timestamp.
        # Two digits sent within one 20 ms frame would share it: keep each event's own.
        sender = getattr(self._session, "_sender", None)
        now = sender.current_timestamp if sender is not None else 0
        stamp = now if self._last_dtmf is None else max(now, self._last_dtmf + duration_ms * 8)
        self._last_dtmf = stamp
        self._session.send_dtmf(digit, duration_ms, timestamp=stamp & 0xFFFFFFFF)

    @property
    def stats(self) -> dict[str, Any]:
        return dict(self._session.stats)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._on_close()
        await self._session.close()
        await self._allocator.release(self._port)

    @property
    def port(self) -> int:
        return self._port


@dataclass
class LegCallbacks:
    trying: Callable[[], None]
    ringing: Callable[[], None]
    answered: Callable[[], None]
    rejected: Callable[[int, str], None]


class OutboundLeg:
    def __init__(self, stack: SipStack, call: OutgoingCall, rtp_port: int) -> None:
        self._stack = stack
        self._call = call
        self.rtp_port = rtp_port

    @property
    def call_id(self) -> str:
        return self._call.call_id

    def cancel(self) -> None:
        self._call.cancel(self._stack.uac)

    def hangup(self) -> None:
        self._call.hangup(self._stack.uac)

    @property
    def has_early_media(self) -> bool:
        return self.call_id in self._stack.uac.early_sdp

    def media_matches_answer(self, media: Media) -> bool:
        """Whether the final answer keeps the early-media stream (same address and codec)."""
        answer = self._call.sdp_answer
        early = self._stack.uac.early_sdp.get(self.call_id)
        return bool(
            answer is not None
            and early is not None
            and answer.rtp_address == early.rtp_address
            and media.payload_type
            in [c.payload_type for c in (answer.audio.codecs if answer.audio else [])]
        )

    async def open_media(self, *, early: bool = False) -> Media:
        """RTP towards the address and codec of the callee's SDP (the 183's when ``early``)."""
        answer = self._stack.uac.early_sdp.get(self.call_id) if early else self._call.sdp_answer
        if answer is None or answer.rtp_address is None or answer.audio is None:
            raise ValueError("the answer carries no audio description")
        offered = [c.payload_type for c in answer.audio.codecs]
        pt = next((p for p in offered if p in SUPPORTED_PAYLOADS), None)
        if pt is None:
            raise ValueError(f"no common codec in the answer ({offered})")
        session = await aiortp.RTPSession.create(
            local_addr=(self._stack.host, self.rtp_port),
            remote_addr=answer.rtp_address,
            payload_type=pt,
            dtmf_payload_type=DTMF_PT,
        )
        return self._stack.register_media(self.call_id, session, self.rtp_port, pt)

    async def release(self) -> None:
        await self._stack.ports.release(self.rtp_port)


class InboundLeg:
    def __init__(self, stack: SipStack, call: IncomingCall) -> None:
        self._stack = stack
        self._call = call
        self._answered = False

    @property
    def call_id(self) -> str:
        return self._call.call_id

    @property
    def caller_user(self) -> str:
        return _user(self._call.caller)

    @property
    def callee_user(self) -> str:
        return _user(self._call.callee)

    def ringing(self) -> None:
        self._call.ringing()

    def reject(self, status: int, reason: str = "") -> None:
        self._call.reject(status, reason)

    def hangup(self) -> None:
        if self._answered:
            self._call.hangup()

    async def answer(self) -> Media:
        offer = self._call.sdp_offer
        if offer is None:
            self._call.reject(488, "Not Acceptable Here")
            raise ValueError("INVITE without SDP offer")
        port, _ = await self._stack.ports.allocate()
        try:
            session = CallSession(
                local_ip=self._stack.host,
                rtp_port=port,
                offer=offer,
                advertised_ip=self._stack.advertised,
                supported_codecs=SUPPORTED_PAYLOADS,
                dtmf_payload_type=DTMF_PT,
            )
        except Exception:
            await self._stack.ports.release(port)
            self._call.reject(488, "Not Acceptable Here")
            raise
        # Bind the RTP socket before the 200 OK goes out: the caller may send media (or a DTMF
        # digit) the moment it reads our answer, and packets to an unbound port are lost.
        try:
            await session.start()
        except OSError:
            await self._stack.ports.release(port)
            self._call.reject(500, "Server Internal Error")
            raise
        self._call.accept(session.sdp_answer)
        self._answered = True
        return self._stack.register_media(
            self.call_id, session.rtp_session, port, session.chosen_payload_type
        )


PAYLOADS = {name: pt for pt, name in CODEC_NAMES.items()}


def _offer(
    host: str, port: int, advertised: str | None, codecs: tuple[str, ...] = ("PCMU", "PCMA")
) -> Any:
    """An SDP offer for the G.711 codecs in ``codecs`` order, with telephone-event (aiosipua's
    build_sdp offers a single codec)."""
    first, *others = [PAYLOADS[name] for name in codecs]
    offer = build_sdp(
        local_ip=host,
        rtp_port=port,
        payload_type=first,
        codec_name=CODEC_NAMES[first],
        dtmf_payload_type=DTMF_PT,
        advertised_ip=advertised,
    )
    audio = offer.audio
    assert audio is not None
    for i, pt in enumerate(others, start=1):
        audio.formats.insert(i, str(pt))
        audio.attributes["rtpmap"].insert(i, f"{pt} {CODEC_NAMES[pt]}/8000")
        audio.codecs.insert(
            i, Codec(payload_type=pt, encoding_name=CODEC_NAMES[pt], clock_rate=8000)
        )
    return offer


def info_digit(content_type: str, body: str) -> str | None:
    """The digit of a SIP INFO DTMF body: ``application/dtmf-relay`` (``Signal=5``) or
    ``application/dtmf`` (``5``); None for anything else."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/dtmf-relay":
        for line in body.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                body = value
                break
        else:
            return None
    elif kind != "application/dtmf":
        return None
    digit = body.strip()
    return digit if len(digit) == 1 and digit in "0123456789*#ABCD" else None


def _user(uri: str) -> str:
    """The user part of a SIP URI (``sip:+4420...@host`` -> ``+4420...``)."""
    text = uri.strip("<>")
    text = text.split(":", 1)[1] if ":" in text else text
    return text.split("@", 1)[0]


# RFC 3261 §17.1.1.2: over UDP an INVITE is retransmitted at T1, 2*T1, 4*T1... until a response
# arrives, and the transaction times out after Timer B = 64*T1. aiosipua 0.7 sends it once, so a
# single lost datagram (or a peer still binding its socket) would lose the call: we add Timer A.
T1 = 0.5
TIMER_B = 64 * T1


# RFC 3261 §17.1.1.3: the client transaction acknowledges every 3xx-6xx final response to an
# INVITE (401/407 included) with an ACK in the same transaction. aiosipua 0.7 ACKs only 2xx, so
# a carrier keeps retransmitting its 486 until Timer H; we send that ACK here.


class _Registration(Registration):
    """aiosipua's registration with RFC 3261 Timer E: a REGISTER lost over UDP is sent again at
    T1, 2*T1... (capped at T2 = 4 s) until any response, for at most Timer F = 64*T1."""

    def __init__(self, stack: SipStack, *args: Any, **kwargs: Any) -> None:
        self._stack = stack
        self.responded_cseq = 0
        self.answered = asyncio.Event()  # set on every final response
        super().__init__(stack.uac, *args, **kwargs)

    def _send_register(
        self, expires: int, *, auth_header: tuple[str, str] | None = None
    ) -> SipRequest:
        request = super()._send_register(expires, auth_header=auth_header)
        self._stack.spawn_timer(self._timer_e(request))
        return request

    def _handle_response(self, response: Any) -> None:
        if response.cseq is not None:
            self.responded_cseq = max(self.responded_cseq, response.cseq.seq)
        super()._handle_response(response)
        if response.status_code >= 200:
            self.answered.set()

    async def _timer_e(self, request: SipRequest) -> None:
        if self._stack.kind != "udp":
            return
        seq = request.cseq.seq if request.cseq else 0
        interval, waited = T1, 0.0
        while waited < TIMER_B:
            await asyncio.sleep(interval)
            waited += interval
            if self.responded_cseq >= seq:
                return
            self.uac.transport.send(request, self.registrar)
            interval = min(interval * 2, 4.0)


class _CarrierGradeUAC(SipUAC):
    """aiosipua's UAC plus Timer A bookkeeping and ACKs for non-2xx final responses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answered_cseq: dict[str, int] = {}
        self.invites: dict[tuple[str, int], tuple[SipRequest, tuple[str, int]]] = {}
        self.early_sdp: dict[str, Any] = {}
        self.on_trying: dict[str, Callable[[], None]] = {}

    def remember(self, call: OutgoingCall, remote: tuple[str, int]) -> None:
        invite = call.invite
        seq = invite.cseq.seq if invite.cseq else 0
        self.invites[(call.call_id, seq)] = (invite, remote)

    def forget(self, call_id: str) -> None:
        self.answered_cseq.pop(call_id, None)
        self.early_sdp.pop(call_id, None)
        self.on_trying.pop(call_id, None)
        for key in [k for k in self.invites if k[0] == call_id]:
            del self.invites[key]

    def handle_response(self, response: Any, addr: tuple[str, int]) -> None:
        call_id = response.call_id or ""
        cseq = response.cseq
        seq = cseq.seq if cseq else 0
        if cseq is not None and cseq.method.upper() == "INVITE":
            self.answered_cseq[call_id] = max(self.answered_cseq.get(call_id, 0), seq)
            call = self._calls.get(call_id)
            if call is not None:
                self.remember(call, self.invites.get((call_id, seq), (call.invite, addr))[1])
            if response.status_code >= 300:
                self._ack_failure(response, self.invites.get((call_id, seq)))
            elif response.status_code == 100 and call_id in self.on_trying:
                self.on_trying.pop(call_id)()
            elif response.status_code == 183 and response.content_type == "application/sdp":
                # Early media (RFC 3960): the callee's network plays tones or announcements.
                self.early_sdp[call_id] = parse_sdp(response.text)
        super().handle_response(response, addr)
        call = self._calls.get(call_id)
        if call is not None and cseq is not None and call.invite.cseq is not None:
            if call.invite.cseq.seq > seq:  # a digest retry went out: Timer A follows it
                self.remember(call, self.invites[(call_id, seq)][1])

    def _ack_failure(self, response: Any, sent: tuple[SipRequest, tuple[str, int]] | None) -> None:
        if sent is None:
            return
        invite, remote = sent
        ack = SipRequest(method="ACK", uri=invite.uri)
        for name in ("Via", "From", "Call-ID", "Route", "Max-Forwards"):
            for value in (
                invite.headers.get(name)[:1] if name == "Via" else invite.headers.get(name)
            ):
                ack.headers.append(name, value)
        ack.headers.set_single("To", response.headers.get_first("To") or "")
        ack.headers.set_single("CSeq", f"{invite.cseq.seq if invite.cseq else 1} ACK")
        ack.headers.set_single("Content-Length", "0")
        self.transport.send(ack, remote)


def _refusal(line: bytes, request: SipMessage, raw: bytes) -> tuple[int, str] | None:
    """What RFC 4475 expects for requests aiosipua's parser would take as valid."""
    parts = line.split()
    if parts[2] != b"SIP/2.0":
        return 505, "Version Not Supported"  # §3.1.2.16 (the parser drops the version)
    scheme = parts[1].split(b":", 1)[0].lower()
    if scheme not in (b"sip", b"sips", b"tel"):
        return 416, "Unsupported URI Scheme"  # §3.3.2, RFC 3261 §8.2.2.1
    method = parts[0].decode(errors="replace").upper()
    cseq = (request.headers.get_first("CSeq") or "").split()
    if len(cseq) != 2 or not cseq[0].isdigit():
        return 400, "Bad CSeq"
    if cseq[1].upper() != method:
        return 400, "CSeq Method Does Not Match"  # §3.1.2.17
    if int(cseq[0]) >= 2**31:
        return 400, "CSeq Out Of Range"  # §3.1.2.4, RFC 3261 §8.1.1.5
    forwards = request.headers.get_first("Max-Forwards")
    if forwards is not None and (not forwards.strip().isdigit() or int(forwards) > 255):
        return 400, "Bad Max-Forwards"  # §3.1.2.4
    length = request.headers.get_first("Content-Length")
    if length is not None:
        if not length.strip().isdigit():
            return 400, "Bad Content-Length"  # §3.1.2.3 (negative)
        _, _, body = raw.partition(b"\r\n\r\n")
        if int(length) > len(body):
            return 400, "Content-Length Exceeds Message"  # §3.1.2.2, over a datagram
    return None


def _refused(transport: Any, data: bytes, addr: tuple[str, int]) -> bool:
    """Answer here (and stop) the requests RFC 4475 says must be refused; True when done."""
    line = data.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    parts = line.split()
    if len(parts) != 3 or parts[0].startswith(b"SIP/"):
        return False
    try:
        request = SipMessage.parse(data)
    except Exception:
        return False  # the library's own parser reports and drops it
    refusal = _refusal(line, request, data)
    if refusal is None:
        return False
    response = SipResponse(status_code=refusal[0], reason_phrase=refusal[1])
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.headers.get(name):
            response.headers.append(name, value)
    try:
        transport.send(response, addr)
    except (OSError, RuntimeError):
        pass
    return True


class _Protocol(_UdpProtocol):
    """aiosipua 0.7 asserts the transport is an ``asyncio.DatagramTransport``, which CPython
    3.11's selector transport is not (it subclasses ``_FlowControlMixin``); the assertion fails
    in ``connection_made`` and logs an error on every start. Same work, without the assert."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._udp_transport = transport  # type: ignore[assignment]


class _UdpTransport(UdpSipTransport):
    reuse_port = False

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        if not _refused(self, data, addr):
            super()._dispatch(data, addr)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=self.local_addr, reuse_port=self.reuse_port or None
        )
        self._udp_transport = transport
        # Bound to port 0, the OS picked one: Via and Contact must carry the real port.
        port = transport.get_extra_info("sockname")[1]
        self.local_addr = (self.local_addr[0], int(port))


class _TcpTransport(TcpSipTransport):
    """SIP over TCP (RFC 3261 §18), and over TLS when given SSL contexts. aiosipua writes
    ``SIP/2.0/UDP`` into the Via of every request it builds and no transport in the Contact, so
    the peer would answer and route in-dialog requests over UDP; requests are corrected here, at
    the transport boundary."""

    via_token = "TCP"
    reuse_port = False
    server_ssl: ssl.SSLContext | None = None
    client_ssl: ssl.SSLContext | None = None

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        if not _refused(self, data, addr):
            super()._dispatch(data, addr)

    async def start(self) -> None:
        if self.via_token == "TLS" and self.server_ssl is None:
            return  # a TLS client only: connections are opened, nothing is accepted
        self._server = await asyncio.start_server(
            self._handle_connection,
            host=self.local_addr[0],
            port=self.local_addr[1],
            ssl=self.server_ssl,
            reuse_port=self.reuse_port or None,
        )
        port = self._server.sockets[0].getsockname()[1]
        self.local_addr = (self.local_addr[0], int(port))

    async def connect(
        self, remote_addr: tuple[str, int]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.client_ssl is None:
            return await super().connect(remote_addr)
        reader, writer = await asyncio.open_connection(
            remote_addr[0], remote_addr[1], ssl=self.client_ssl
        )
        self._connections[remote_addr] = (reader, writer)
        self._spawn(self._handle_incoming(reader, writer, remote_addr))
        return reader, writer

    async def _handle_incoming(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, addr: tuple[str, int]
    ) -> None:
        # aiosipua forgets a connection the peer closed without closing its writer.
        try:
            await super()._handle_incoming(reader, writer, addr)
        finally:
            writer.close()

    def send(self, message: SipRequest | Any, addr: tuple[str, int]) -> None:
        if isinstance(message, SipRequest):
            vias = message.headers.get("Via")
            if len(vias) == 1:
                via = vias[0].replace("SIP/2.0/UDP", f"SIP/2.0/{self.via_token}", 1)
                message.headers.set_single("Via", via)
            contact = message.headers.get_first("Contact")
            if contact and "transport=" not in contact and contact.endswith(">"):
                param = f";transport={self.via_token.lower()}>"
                message.headers.set_single("Contact", contact[:-1] + param)
        if addr not in self._connections:
            # A request to a Contact address of a peer we reached on another port: use the
            # connection we hold to that host.
            same_host = [a for a in self._connections if a[0] == addr[0]]
            if same_host:
                addr = same_host[0]
        super().send(message, addr)


class SipStack:
    """One SIP transport (UDP or TCP) with a UAS for inbound requests and a UAC for outbound."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ports: PortAllocator,
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
    ) -> None:
        self.host = host
        self.advertised = advertised
        self.ports = ports  # shared by the UDP and TCP stacks: one RTP port, one call
        self.kind = transport
        self.transport: UdpSipTransport | TcpSipTransport
        if transport in ("tcp", "tls"):
            stream = _TcpTransport(local_addr=(host, port))
            stream.reuse_port = reuse_port
            if transport == "tls":
                stream.via_token = "TLS"
                stream.server_ssl, stream.client_ssl = tls
            self.transport = stream
        else:
            datagrams = _UdpTransport(local_addr=(host, port))
            datagrams.reuse_port = reuse_port
            self.transport = datagrams
        advertised_addr = (advertised, port) if advertised else None
        self.uac = _CarrierGradeUAC(self.transport, advertised_addr=advertised_addr)
        self._timers: set[asyncio.Task[None]] = set()
        self.session_expires = session_expires
        self.uas = SipUAS(
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
        self.uas.on_invite = lambda call: on_inbound(InboundLeg(self, call))
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

        media = Media(session, port, self.ports, pt, on_close=forget)
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
        reg = _Registration(
            self, aor, registrar, expires=expires, auth=auth, user_agent=self.user_agent
        )
        reg.on_registered = lambda r: on_change("registered", 200, "")
        reg.on_failed = lambda r, status, reason: on_change("failed", status, reason)
        reg.on_expired = lambda r: on_change("expired", 0, "")
        reg.register()
        return reg

    async def unregister(self, reg: Registration, grace: float = 2.0) -> bool:
        """Remove the binding; True once the registrar confirmed it within ``grace`` seconds."""
        assert isinstance(reg, _Registration)
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
            if self.uac.answered_cseq.get(call.call_id, 0) >= sent_cseq:
                return
            self.transport.send(invite, remote)
            interval = min(interval * 2, 4.0)  # T2 caps non-INVITE only; keep it gentle
        if self.uac.answered_cseq.get(call.call_id, 0) == 0:
            on_timeout()

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
    ) -> OutboundLeg:
        if (
            isinstance(self.transport, TcpSipTransport)
            and remote not in self.transport._connections
        ):
            await self.transport.connect(remote)
        port, _ = await self.ports.allocate()
        offer = _offer(self.host, port, self.advertised, codecs)
        auth = SipDigestAuth(username, password) if username and password else None
        # aiosipua stamps the RFC 4028 headers on the INVITE after sending it, so the first
        # transmission would go without them; set them up front (it sets the same values again).
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
        return OutboundLeg(self, call, port)


async def resolve(host: str, port: int) -> tuple[str, int]:
    """A SIP peer's address as an IP, resolved without blocking the loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=2)  # SOCK_DGRAM
    return str(infos[0][4][0]), int(infos[0][4][1])


def port_allocator(low: int, high: int) -> PortAllocator:
    return PortAllocator((low, high))


def tls_contexts(
    cert: str | None, key: str | None, ca: str | None
) -> tuple[ssl.SSLContext | None, ssl.SSLContext]:
    """(server context when a certificate is given, client context verifying peers)."""
    server = None
    if cert and key:
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert, key)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    return server, client
