"""Symmetric RTP (RFC 4961): media goes back to where the peer's media comes from.

The SDP's address is only where we start sending. The first valid RTP packet from the peer (an
RTP version 2 packet of the payload type we negotiated, or telephone-event) fixes the
destination for the rest of the call, and after that packets from any other address are
dropped: a third party cannot redirect or inject audio. aiortp's own ``symmetric_rtp`` follows
every packet's source, which anyone able to send us a datagram could use to steal the stream.
With ``latch=False`` (a trunk with ``media_to_signalling_source``) the destination never moves.

The stream runs on sockets already bound (``ports.RtpPorts.sockets``), never binds a port itself.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiortp
from aiortp.packet import RtpPacket
from aiortp.sender import RtpSender
from aiortp.transport import RtpTransport


class _Bound:
    """The sockets a session is to run on, passed through aiortp's ``create`` in the place of
    its port allocator (whose ``allocate`` would bind ports by number)."""

    def __init__(self, sockets: tuple[socket.socket, socket.socket]) -> None:
        self.sockets = sockets


class LatchingSession(aiortp.RTPSession):
    latching = True
    latched: tuple[str, int] | None = None
    _expected: frozenset[int] = frozenset()

    @classmethod
    async def open(
        cls,
        *,
        sockets: tuple[socket.socket, socket.socket],
        remote_addr: tuple[str, int],
        payload_type: int,
        dtmf_payload_type: int,
        latch: bool,
    ) -> LatchingSession:
        """A stream on ``sockets`` (RTP, RTCP), which it owns and closes."""
        try:
            session = await cls.create(
                local_addr=sockets[0].getsockname(),
                remote_addr=remote_addr,
                payload_type=payload_type,
                dtmf_payload_type=dtmf_payload_type,
                port_allocator=_Bound(sockets),  # type: ignore[arg-type]
            )
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        assert isinstance(session, LatchingSession)  # aiortp's create builds ``cls``
        session.latching = latch
        session._expected = frozenset((payload_type, dtmf_payload_type))
        return session

    async def _bind_transports(self, local_addr: Any, remote_addr: tuple[str, int]) -> None:
        """aiortp's own binding, on the sockets handed over instead of ports bound anew."""
        bound = self._port_allocator
        assert isinstance(bound, _Bound)
        self._port_allocator = None  # the port is the allocator's to release, not aiortp's
        rtp_sock, rtcp_sock = bound.sockets
        loop = self._loop = asyncio.get_running_loop()
        self._remote_addr = remote_addr
        self._remote_rtcp_addr = self._compute_rtcp_addr(remote_addr)
        rtp = RtpTransport(on_rtp=self._handle_rtp, on_rtcp=self._handle_rtcp)
        rtcp = RtpTransport(on_rtp=self._handle_rtp, on_rtcp=self._handle_rtcp)
        await loop.create_datagram_endpoint(lambda: rtp, sock=rtp_sock)
        self._rtp_transport = rtp
        await loop.create_datagram_endpoint(lambda: rtcp, sock=rtcp_sock)
        self._rtcp_transport = rtcp
        self._sender = RtpSender(
            transport=rtp,
            payload_type=self._payload_type,
            ssrc=self._ssrc,
            clock_rate=self._clock_rate,
            enable_history=self._nack_retransmit,
            duplicate_tx=self._duplicate_tx,
        )
        self._rtcp_task = asyncio.create_task(self._run_rtcp())

    def _handle_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.latching:
            if self.latched is None:
                try:
                    packet = RtpPacket.parse(data)
                except ValueError:
                    return
                if packet.payload_type not in self._expected:
                    return
                self.latched = (str(addr[0]), int(addr[1]))
                self.update_remote(self.latched)
            elif (str(addr[0]), int(addr[1])) != self.latched:
                return
        super()._handle_rtp(data, addr)
