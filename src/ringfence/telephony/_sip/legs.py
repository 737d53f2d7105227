"""Signalling legs: an outgoing INVITE and an incoming one, with plain callbacks."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiosipua import IncomingCall, SdpNegotiationError, negotiate_sdp
from aiosipua.outgoing_call import OutgoingCall

from ringfence.telephony._sip.latch import LatchingSession
from ringfence.telephony._sip.media import DTMF_PT, SUPPORTED_PAYLOADS, Media
from ringfence.telephony._sip.record_route import keep_record_route
from ringfence.telephony._sip.uac import TIMER_B

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")

if TYPE_CHECKING:
    from ringfence.telephony._sip.stack import SipStack


@dataclass
class LegCallbacks:
    trying: Callable[[], None]
    ringing: Callable[[], None]
    answered: Callable[[], None]
    rejected: Callable[[int, str], None]


class OutboundLeg:
    def __init__(
        self,
        stack: SipStack,
        call: OutgoingCall,
        rtp_port: int,
        remote: tuple[str, int],
        media_to_signalling_source: bool = False,
    ) -> None:
        self._stack = stack
        self._call = call
        self.rtp_port = rtp_port
        self._remote = remote
        self._to_source = media_to_signalling_source

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
        """RTP towards the address and codec of the callee's SDP (the 183's when ``early``),
        latched to where the callee's RTP comes from (or to the trunk's signalling address)."""
        problem = self._stack.uac.bad_answers.get(self.call_id)
        if problem is not None and not early:
            raise ValueError(f"the answer's SDP is not acceptable: {problem}")
        answer = self._stack.uac.early_sdp.get(self.call_id) if early else self._call.sdp_answer
        if answer is None or answer.rtp_address is None or answer.audio is None:
            raise ValueError("the answer carries no audio description")
        offered = [c.payload_type for c in answer.audio.codecs]
        pt = next((p for p in offered if p in SUPPORTED_PAYLOADS), None)
        if pt is None:
            raise ValueError(f"no common codec in the answer ({offered})")
        remote = answer.rtp_address
        if self._to_source:
            remote = (self._remote[0], remote[1])
        session = await LatchingSession.open(
            sockets=self._stack.ports.sockets(self.rtp_port),
            remote_addr=remote,
            payload_type=pt,
            dtmf_payload_type=DTMF_PT,
            latch=not self._to_source,
        )
        return self._stack.register_media(self.call_id, session, self.rtp_port, pt)

    def release(self) -> None:
        """The call is over: its RTP port goes back to the range."""
        self._stack.ports.release(self.rtp_port)

    async def reoffer(self, direction: str) -> int:
        """Offer the same stream again with ``direction`` (RFC 3264 §8.4: ``sendonly`` or
        ``inactive`` puts the call on hold, ``sendrecv`` or ``recvonly`` takes it off) in a
        re-INVITE; the final status of its answer (408 when none came within Timer B).

        The offer is our last one with the new direction and the origin's version one higher
        (§8: the same session, changed); it becomes the offer a session refresh repeats, so a
        refresh keeps the hold. One re-INVITE at a time (RFC 3261 §14.1)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"not an SDP direction: {direction!r}")
        uac = self._stack.uac
        if self.call_id in uac.reoffers:
            raise RuntimeError("a re-INVITE of this call is still waiting for its answer")
        previous = self._call.sdp_offer
        if previous is None or previous.audio is None:
            raise ValueError("the call was placed without an offer to repeat")
        offer = copy.deepcopy(previous)
        offer.origin.session_version = str(int(previous.origin.session_version or "0") + 1)
        audio = offer.audio
        assert audio is not None
        for name in DIRECTIONS:
            audio.attributes.pop(name, None)
        audio.attributes[direction] = []
        invite = uac.send_reinvite(self._call.dialog, offer, self._call.remote_addr)
        seq = invite.cseq.seq if invite.cseq else 0
        answered: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        uac.reinvites.add((self.call_id, seq))
        uac.reoffers[self.call_id] = (seq, answered)
        uac.remember(self._call, self._call.remote_addr)
        if self._stack.kind == "udp":
            self._stack.spawn_timer(self._stack.retransmit_invite(self._call, self._remote))
        try:
            status = await asyncio.wait_for(asyncio.shield(answered), TIMER_B + 1)
        except TimeoutError:
            uac.reoffers.pop(self.call_id, None)
            return 408
        if 200 <= status < 300:
            self._call.sdp_offer = offer
        return status

    def forget(self) -> None:
        """Drop the UAC's per-call state once the call has ended."""
        self._stack.uac.forget(self.call_id)


class InboundLeg:
    def __init__(self, stack: SipStack, call: IncomingCall, trunk: str) -> None:
        self._stack = stack
        self._call = call
        keep_record_route(call.dialog)
        self._answered = False
        self.trunk = trunk  # the trunk the admission gate took the INVITE for
        self.rtp_port: int | None = None  # held from our answer until ``release``

    @property
    def source(self) -> tuple[str, int]:
        """The address the INVITE came from."""
        return self._call.source_addr

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

    def release(self) -> None:
        """The call is over: its RTP port (if it was answered) goes back to the range."""
        if self.rtp_port is not None:
            self._stack.ports.release(self.rtp_port)
            self.rtp_port = None

    async def answer(self, *, media_to_signalling_source: bool = False) -> Media:
        """Accept with our SDP answer. RTP starts towards the offer's address and latches to
        where the caller's RTP comes from, or goes to the INVITE's source address (with the
        offer's port) for a trunk that asks for it."""
        offer = self._call.sdp_offer
        if offer is None or offer.rtp_address is None:
            self._call.reject(488, "Not Acceptable Here")
            raise ValueError("INVITE without an SDP offer")
        port = self._stack.ports.allocate(self._stack.host)
        try:
            answer, pt = negotiate_sdp(
                offer=offer,
                local_ip=self._stack.advertised or self._stack.host,
                rtp_port=port,
                supported_codecs=SUPPORTED_PAYLOADS,
                dtmf_payload_type=DTMF_PT,
            )
        except SdpNegotiationError:
            self._stack.ports.release(port)
            self._call.reject(488, "Not Acceptable Here")
            raise ValueError("no common codec in the offer") from None
        remote = offer.rtp_address
        if media_to_signalling_source:
            remote = (self.source[0], remote[1])
        # The stream reads the port before the 200 OK goes out: the caller may send media (or a
        # DTMF digit) the moment it reads our answer.
        try:
            session = await LatchingSession.open(
                sockets=self._stack.ports.sockets(port),
                remote_addr=remote,
                payload_type=pt,
                dtmf_payload_type=DTMF_PT,
                latch=not media_to_signalling_source,
            )
        except OSError:
            self._stack.ports.release(port)
            self._call.reject(500, "Server Internal Error")
            raise
        self.rtp_port = port
        self._call.accept(answer)
        self._answered = True
        return self._stack.register_media(self.call_id, session, port, pt)


def _user(uri: str) -> str:
    """The user part of a SIP URI (``sip:+4420...@host`` -> ``+4420...``)."""
    text = uri.strip("<>")
    text = text.split(":", 1)[1] if ":" in text else text
    return text.split("@", 1)[0]
